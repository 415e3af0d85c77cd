"""A passenger's name prints on the e-ticket in every script a passport may hold: each
character is drawn from a font that has its glyph (read from the font file itself), the
PDF embeds that font, and a reader extracting the text gets the name back. A name printed
blank (no glyph) or with its letters reversed (no shaping, no bidi) fails. One ticket is
rendered per script: a render takes a tenth of a second, a CJK one up to a second."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection, TTFont  # type: ignore[import-untyped]  # no stubs
from fpdf import FPDF
from fpdf.fonts import TTFFont

from lastseat.adapters import ticket_fonts
from lastseat.adapters.mail_render import e_ticket
from lastseat.domain.passengers import Passenger
from tests.support.tickets import booking_of, pdf_text, ticket_letter

# (script, given name, family name, the ticket's font families for its characters)
NAMES = [
    ("Latin", "Zoë", "Nguyễn-Łukasiewicz", {"DejaVuSans"}),
    ("Greek", "Ελένη", "Παπαδοπούλου", {"DejaVuSans"}),
    ("Cyrillic", "Пётр", "Ёлкин", {"DejaVuSans"}),
    ("Hebrew", "דוד", "כהן", {"DejaVuSans"}),
    ("Arabic", "محمد", "عبد الله", {"NotoSansArabicUI"}),
    ("Urdu", "ٹیپو", "سلطان", {"NotoSansArabicUI"}),
    ("Thai", "สมชาย", "ใจดี", {"NotoSansThaiUI"}),
    ("Devanagari", "राहुल", "शर्मा", {"NotoSansDevanagariUI"}),
    ("Ethiopic", "አበበ", "ቢቂላ", {"AbyssinicaSIL"}),
    ("Tamil", "முருகன்", "செல்வம்", {"NotoSansTamilUI"}),
    ("Bengali", "অমিত", "রায়", {"NotoSansBengaliUI"}),
    ("Sinhala", "ශ්‍රී", "පෙරේරා", {"NotoSansSinhalaUI"}),
    ("Myanmar", "အောင်", "ဆန်း", {"NotoSansMyanmarUI"}),
    ("Khmer", "សុខ", "ចាន់", {"NotoSansKhmerUI"}),
    ("Korean", "민준", "김", {"WenQuanYiMicroHei"}),
    ("Japanese kana", "さくら", "タナカ", {"WenQuanYiMicroHei"}),
    ("Chinese", "小龍", "李", {"WenQuanYiMicroHei"}),
    ("CJK beyond the BMP", "𥓘", "𠮷田", {"HanaMinB", "WenQuanYiMicroHei"}),
    ("mixed", "Zoë محمد", "李", {"DejaVuSans", "NotoSansArabicUI", "WenQuanYiMicroHei"}),
]
RIGHT_TO_LEFT = {"Hebrew", "Arabic", "Urdu"}
TICKET_BYTES_AT_MOST = 60_000  # each font subset to the glyphs used; one whole CJK font is 5 MB


def ticket(given: str, family: str) -> bytes:
    made = ticket_letter(booking_of((Passenger("10A", given, family),)))
    return e_ticket(made, made.boarding_passes[0])


@cache
def font_cmap(family: str) -> dict[int, str]:
    """The font's own character map, read from its file by fontTools."""
    [font] = [font for font in ticket_fonts.FONTS if font.family == family and not font.style]
    loaded = TTCollection(font.path).fonts[0] if font.path.suffix == ".ttc" else TTFont(font.path)
    cmap: dict[int, str] = loaded.getBestCmap()
    return cmap


def embedded(pdf: bytes) -> set[str]:
    """The PDF's fonts, by name without the subset tag ("ABCDEF+DejaVuSansBook")."""
    return {name.decode().split("+")[-1] for name in re.findall(rb"/BaseFont /([^\s/]+)", pdf)}


def family_for(pdf: FPDF, char: str) -> str:
    """The font fpdf2 prints `char` in: the text font if it serves it, else a fallback."""
    text_font = pdf.fonts[ticket_fonts.FAMILY.lower()]
    if isinstance(text_font, TTFFont) and ord(char) in text_font.cmap:
        return ticket_fonts.FAMILY
    fallback = pdf.get_fallback_font(char)
    assert fallback is not None, f"no font on the ticket for {char!r}"
    return next(f.family for f in ticket_fonts.FALLBACK_FONTS if f.family.lower() == fallback)


@pytest.mark.parametrize(
    ("script", "given", "family", "fonts"), NAMES, ids=[name[0] for name in NAMES]
)
def test_a_name_prints_in_its_own_script(
    script: str, given: str, family: str, fonts: set[str]
) -> None:
    name = f"{given} {family}"
    pdf = FPDF()
    ticket_fonts.use_ticket_fonts(pdf, [name])
    # a joiner only joins (nothing is drawn for it), whichever font has it
    drawn = [char for char in name if not char.isspace() and unicodedata.category(char) != "Cf"]
    chosen = {char: family_for(pdf, char) for char in drawn}
    assert set(chosen.values()) == fonts
    for char, font in chosen.items():
        assert ord(char) in font_cmap(font), f"{font} has no glyph for {char!r}"

    printed = ticket(given, family)
    assert len(printed) <= TICKET_BYTES_AT_MOST
    assert all(any(name.startswith(font) for name in embedded(printed)) for font in fonts)
    # pypdf puts a control character where a shaped cluster's glyphs stand in another
    # order than its letters (Tamil, Bengali, Myanmar vowel signs): not the page's text.
    text = re.sub("[\x00-\x08\x0b-\x1f]", "", pdf_text(printed))
    if script in RIGHT_TO_LEFT:
        # Readers extract the words of a right-to-left line in the order they stand on the
        # page, each word's letters in reading order: a word of unjoined letters laid out
        # left to right reads back reversed and fails here.
        assert all(word in text for word in name.split())
    else:
        assert name in text


def test_a_character_no_font_has_prints_as_a_replacement_sign_not_a_gap() -> None:
    beyond = "\U00031350"  # CJK Extension G (Unicode 13): in no font scripts/setup installs
    text = pdf_text(ticket(f"A{beyond}B", "Lee"))
    assert "A\N{REPLACEMENT CHARACTER}B Lee" in text


def test_rendering_a_ticket_logs_nothing_from_font_subsetting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        ticket("Zoë", "李")
        ticket("አበበ", "ቢቂላ")  # a font with Graphite tables the subsetter drops
    assert [r.name for r in caplog.records if r.name.startswith("fontTools")] == []


def _glyphs(path: Path, chars: Iterable[int]) -> dict[int, tuple[int, list[tuple[float, float]]]]:
    """Each character's advance width and outline points, read from the font file."""
    font = TTFont(path)
    cmap, glyf, hmtx = font.getBestCmap(), font["glyf"], font["hmtx"]
    return {
        code: (hmtx[cmap[code]][0], list(glyf[cmap[code]].getCoordinates(glyf)[0]))
        for code in chars
    }


@pytest.mark.parametrize("index", [0, 1], ids=["regular", "bold"])
def test_the_latin_cut_draws_the_whole_fonts_glyphs(index: int) -> None:
    """Every character of LATIN_CUT the whole font has is in the cut, drawn the same."""
    whole, cut = ticket_fonts.TEXT_FONTS[index], the_cut().fonts[index]
    whole_cmap = TTFont(whole.path).getBestCmap()
    wanted = {c for low, high in ticket_fonts.LATIN_CUT for c in range(low, high + 1)}
    has = wanted & set(whole_cmap)
    assert len(has) > 1_000 and set(TTFont(cut.path).getBestCmap()) == has
    assert _glyphs(cut.path, has) == _glyphs(whole.path, has)
    assert cut.path.stat().st_size < whole.path.stat().st_size / 5


@pytest.mark.parametrize(
    ("name", "cut"),
    [("Zoë Nguyễn-Łukasiewicz", True), ("Ann O\N{RIGHT SINGLE QUOTATION MARK}Neill", True),
     ("Ελένη Lee", False), ("Пётр Ёлкин", False), ("Ann 李", False)],
)  # fmt: skip
def test_a_ticket_all_in_latin_is_drawn_with_the_cut_any_other_with_the_whole_font(
    name: str, cut: bool
) -> None:
    pdf = FPDF()
    ticket_fonts.use_ticket_fonts(pdf, [name, "Mon 01 Mar 2031, 09:30 GMT+1"])
    text_font = pdf.fonts[ticket_fonts.FAMILY.lower()]
    assert isinstance(text_font, TTFFont)
    expected = the_cut().fonts if cut else ticket_fonts.TEXT_FONTS
    assert Path(text_font.ttffile) == expected[0].path
    assert name in pdf_text(ticket(*name.rsplit(" ", 1)))


def the_cut() -> ticket_fonts.LatinCut:
    cut = ticket_fonts.latin_cut()
    assert cut is not None, "the Latin cut could not be made"
    return cut


def test_the_latin_cut_is_made_again_if_its_folder_was_cleaned_away() -> None:
    first = the_cut()
    shutil.rmtree(first.folder)
    again = the_cut()
    assert again.folder != first.folder and again.usable()
    assert again.chars == first.chars
    assert "Ann Lee" in pdf_text(ticket("Ann", "Lee"))


def test_a_folder_made_again_under_the_cuts_name_is_never_read() -> None:
    """A cleaner took the folder, and someone made one of the same name with a font of
    their own in it: the cut is made afresh elsewhere, theirs left alone."""
    first = the_cut()
    shutil.rmtree(first.folder)
    first.folder.mkdir(mode=0o700)
    planted = first.folder / ticket_fonts.TEXT_FONTS[0].path.name
    shutil.copyfile(ticket_fonts.FALLBACK_FONTS[1].path, planted)  # another font entirely
    again = the_cut()
    assert again.folder != first.folder
    assert all(font.path.resolve().parent == again.folder for font in again.fonts)
    assert "Ann Lee" in pdf_text(ticket("Ann", "Lee"))
    first.remove()  # what its exit would do: the planted folder is not the one it made
    assert planted.exists()
    shutil.rmtree(first.folder)


def test_without_a_writable_temporary_folder_tickets_take_the_whole_fonts(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(ticket_fonts, "_latin_cut", None)
    monkeypatch.setattr(ticket_fonts, "_cut_failed_at", None)
    monkeypatch.setattr(tempfile, "tempdir", "/proc/no-such-folder")
    with caplog.at_level(logging.WARNING):
        assert "Ann Lee" in pdf_text(ticket("Ann", "Lee"))
        assert "Zoë 李" in pdf_text(ticket("Zoë", "李"))
        assert "Ann Lee" in pdf_text(ticket("Ann", "Lee"))
    # tried once, not at every ticket, and said so
    assert [r.getMessage()[:40] for r in caplog.records if "Latin cut" in r.getMessage()] == [
        "the e-tickets' Latin cut could not be ma"
    ]
    monkeypatch.setattr(ticket_fonts, "_cut_failed_at", time.monotonic() - 301)
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert ticket_fonts.latin_cut() is not None  # and tried again later


def test_a_ticket_beyond_latin_never_makes_the_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("the cut was asked for")

    monkeypatch.setattr(ticket_fonts, "latin_cut", refuse)
    assert "Passenger 李 محمد" in pdf_text(ticket("محمد", "李"))  # right to left, as printed


def test_a_process_that_made_the_cut_removes_it_when_it_exits() -> None:
    drawn = subprocess.run(
        [sys.executable, "-c", DRAW_AND_SAY_WHERE], capture_output=True, text=True, check=True
    )
    folder = Path(drawn.stdout.strip())
    assert folder.name.startswith("lastseat-fonts-") and not folder.exists()


DRAW_AND_SAY_WHERE = """
from lastseat.adapters import ticket_fonts
from tests.unit.test_ticket_scripts import ticket
ticket("Ann", "Lee")
cut = ticket_fonts.latin_cut()
assert cut is not None and cut.folder.exists()
print(cut.folder, flush=True)
"""


def test_a_cut_left_by_a_killed_process_is_removed_when_a_cut_is_made() -> None:
    killed = subprocess.Popen(
        [sys.executable, "-c", DRAW_AND_SAY_WHERE + "import time; time.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert killed.stdout is not None
        left = Path(killed.stdout.readline().strip())
        assert left.name.startswith(f"lastseat-fonts-{killed.pid}-") and left.exists()
    finally:
        killed.kill()
        killed.wait(timeout=10)
    assert left.exists()  # no exit of its own removed it
    running = the_cut()  # this process's, kept
    # named as a dead process's cut, but a link: never followed, nor removed
    elsewhere = Path(tempfile.gettempdir()) / f"lastseat-fonts-{killed.pid}-a-link"
    elsewhere.symlink_to(running.folder)
    try:
        shutil.rmtree(running.folder)  # so a cut is made again: the sweep runs
        again = the_cut()
        assert not left.exists()
        assert again.usable() and elsewhere.is_symlink()
    finally:
        elsewhere.unlink()
