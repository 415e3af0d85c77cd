"""The e-ticket's fonts: Unicode TrueType fonts from Debian packages, so a passenger's name
prints in its own script ("Łukasiewicz", "محمد", "สมชาย", "李小龍"), never as "?" (fpdf2's
core fonts are Latin-1 only) nor blank (a font without the glyph). DejaVu Sans is the text
font (Latin, Greek, Cyrillic, Hebrew); a character it lacks is printed in the first fallback
font that has it, one run of characters at a time. HarfBuzz (uharfbuzz) shapes each run, so
Arabic letters join, Devanagari and Thai marks sit on their letters, and right-to-left runs
read right to left. scripts/setup installs every package named here.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import logging
import os
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset  # type: ignore[import-untyped]  # no stubs
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.fonts import TTFFont

# fontTools logs each table it subsets at INFO (some 75 lines a ticket): silenced here, where
# the fonts are loaded, so the app's log keeps one line per event; its warnings still show.
logging.getLogger("fontTools").setLevel(logging.WARNING)
# Its subsetter also warns, on every Ethiopic ticket, that it drops Abyssinica SIL's
# Graphite tables: PDF viewers never read them, so that warning is noise too.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

FONT_DIR = Path("/usr/share/fonts/truetype")
FAMILY = "DejaVuSans"
# The text font is never used for Arabic script: a name has its Arabic letters from one
# font only, or HarfBuzz cannot join them (it shapes each font's run apart), and DejaVu
# lacks some letters of Urdu and Pashto names that Noto Sans Arabic has.
ARABIC = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
# What the text font serves: the Basic Multilingual Plane but the Arabic blocks (not all of
# Unicode: fpdf2 expands a range into a set of its code points, 0.15 s a font for all).
TEXT_RANGES = ((0x0000, 0x05FF), (0x0700, 0x074F), (0x0780, 0x089F), (0x0900, 0xFB4F),
               (0xFE00, 0xFE6F), (0xFF00, 0xFFFF))  # fmt: skip
NO_GLYPH = "\N{REPLACEMENT CHARACTER}"  # in DejaVu Sans: printed for a character no font has
# The Latin cut of the text font (latin_cut below): Latin with its extensions (Vietnamese's
# too), combining accents, punctuation, currency signs, and the replacement sign; and ezh
# (U+0292), which the whole font decomposes "ǯ" into before it places a mark below it.
LATIN_CUT = ((0x0020, 0x007E), (0x00A0, 0x024F), (0x0292, 0x0292), (0x0300, 0x036F),
             (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF), (0xFFFD, 0xFFFD))  # fmt: skip


@dataclass(frozen=True)
class TicketFont:
    """A font file, the Debian package that installs it, and the code points it prints."""

    family: str
    path: Path
    package: str
    ranges: tuple[tuple[int, int], ...]
    style: str = ""

    def serves(self, char: str) -> bool:
        return in_ranges(char, self.ranges)


def in_ranges(char: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(low <= ord(char) <= high for low, high in ranges)


def _noto_ui(script: str, *ranges: tuple[int, int]) -> TicketFont:
    """Noto Sans's UI cut for `script`: its ascenders and descenders fit a line of Latin."""
    family = f"NotoSans{script}UI"
    return TicketFont(family, FONT_DIR / f"noto/{family}-Regular.ttf", "fonts-noto-ui-core", ranges)


TEXT_FONTS = (
    TicketFont(FAMILY, FONT_DIR / "dejavu/DejaVuSans.ttf", "fonts-dejavu-core", TEXT_RANGES),
    TicketFont(
        FAMILY, FONT_DIR / "dejavu/DejaVuSans-Bold.ttf", "fonts-dejavu-core", TEXT_RANGES, "B"
    ),
)
# In the order fpdf2 tries them. Each is read only for a ticket with a character in its
# ranges: reading a font costs tens to hundreds of milliseconds, and most tickets need none.
FALLBACK_FONTS = (
    _noto_ui("Arabic", *ARABIC),
    _noto_ui("Thai", (0x0E00, 0x0E7F)),
    _noto_ui("Devanagari", (0x0900, 0x097F), (0x1CD0, 0x1CFF), (0xA8E0, 0xA8FF)),
    # The other scripts of South and South-East Asia whose names passports carry.
    _noto_ui("Bengali", (0x0980, 0x09FF)),
    _noto_ui("Gurmukhi", (0x0A00, 0x0A7F)),
    _noto_ui("Gujarati", (0x0A80, 0x0AFF)),
    _noto_ui("Oriya", (0x0B00, 0x0B7F)),
    _noto_ui("Tamil", (0x0B80, 0x0BFF), (0x11FC0, 0x11FFF)),
    _noto_ui("Telugu", (0x0C00, 0x0C7F)),
    _noto_ui("Kannada", (0x0C80, 0x0CFF)),
    _noto_ui("Malayalam", (0x0D00, 0x0D7F)),
    _noto_ui("Sinhala", (0x0D80, 0x0DFF), (0x111E0, 0x111FF)),
    _noto_ui("Lao", (0x0E80, 0x0EFF)),
    _noto_ui("Myanmar", (0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F)),
    _noto_ui("Khmer", (0x1780, 0x17FF), (0x19E0, 0x19FF)),
    TicketFont("AbyssinicaSIL", FONT_DIR / "abyssinica/AbyssinicaSIL-Regular.ttf",
               "fonts-sil-abyssinica", ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F),
                                        (0x1E7E0, 0x1E7FF))),
    # Han, kana and Hangul in one face (Droid Sans Fallback's Han and kana, plus Hangul).
    TicketFont("WenQuanYiMicroHei", FONT_DIR / "wqy/wqy-microhei.ttc", "fonts-wqy-microhei",
               ((0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x3000, 0x9FFF), (0xA960, 0xA97F),
                (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF))),
    # Ideographs beyond the Basic Multilingual Plane (CJK Extensions B to F: "𠮷", "𥓘"),
    # which no font above has (nor Noto Sans CJK, 91 MB, all of them): HanaMin B has all.
    TicketFont("HanaMinB", FONT_DIR / "hanazono/HanaMinB.ttf", "fonts-hanazono",
               ((0x20000, 0x3FFFF),)),
)  # fmt: skip
FONTS = TEXT_FONTS + FALLBACK_FONTS


class FontsMissing(RuntimeError):
    """The e-ticket's fonts are not installed: a set-up fault, named so it can be fixed."""


def missing_packages() -> list[str]:
    """Debian packages whose font files the e-ticket needs and cannot find."""
    return sorted({font.package for font in FONTS if not font.path.exists()})


def _add(pdf: FPDF, font: TicketFont) -> None:
    pdf.add_font(font.family, style=font.style, fname=font.path, unicode_range=list(font.ranges))


@dataclass
class LatinCut:
    """The text fonts cut down to LATIN_CUT, and the characters both of them have. The
    fonts' paths go through `descriptor`, open on the folder they were written to, so a
    folder made again under the same name (by a cleaner, then anyone) is never read."""

    fonts: tuple[TicketFont, ...]
    chars: frozenset[int]
    folder: Path
    descriptor: int
    maker: int  # the process that made it, and alone removes it
    removed: bool = False

    def usable(self) -> bool:
        return not self.removed and all(font.path.exists() for font in self.fonts)

    def remove(self) -> None:
        """The files and the folder gone, if the folder is still the one made; once (the
        descriptor's number is another file's after it is closed)."""
        if self.removed or os.getpid() != self.maker:
            return  # (a forked child's exit: the folder is its parent's)
        self.removed = True
        atexit.unregister(self.remove)
        for font in self.fonts:
            with contextlib.suppress(OSError):
                os.unlink(font.path.name, dir_fd=self.descriptor)
        with contextlib.suppress(OSError):
            if os.stat(self.folder).st_ino == os.fstat(self.descriptor).st_ino:
                os.rmdir(self.folder)
        with contextlib.suppress(OSError):
            os.close(self.descriptor)


CUT_RETRY_SECONDS = 300.0  # after the cut could not be made (no room, no temporary folder)
_cut_lock = threading.Lock()
_latin_cut: LatinCut | None = None
_cut_failed_at: float | None = None


def latin_cut() -> LatinCut | None:
    """DejaVu Sans and its bold with only the glyphs of LATIN_CUT (and those its ligatures
    and accents reach), the layout tables and hinting kept: each glyph is the whole font's
    own (test_the_latin_cut_draws_the_whole_fonts_glyphs). fpdf2 reads a font's every glyph
    for each PDF and fontTools subsets it again: the whole font's 6,200 glyphs made a letter
    cost 83 ms of CPU, most of it there, the cut's 1,100 39 ms (docs/mail.md). Cut once a
    process (some 0.6 s of CPU) into a private temporary folder (fpdf2 reads fonts from
    files only), removed when the process that made it exits normally, and made again if a
    cleaner of temporary files took it meanwhile. None when it cannot be made (no writable
    temporary folder, no room): the whole fonts serve, and it is tried again later."""
    global _latin_cut, _cut_failed_at
    with _cut_lock:
        if _latin_cut is not None and _latin_cut.usable():
            return _latin_cut
        if _latin_cut is not None:
            _latin_cut.remove()
            _latin_cut = None
        if _cut_failed_at is not None and time.monotonic() - _cut_failed_at < CUT_RETRY_SECONDS:
            return None
        try:
            _latin_cut = _make_cut()
            _cut_failed_at = None
        except OSError as error:
            _cut_failed_at = time.monotonic()
            logging.getLogger(__name__).warning(
                "the e-tickets' Latin cut could not be made (%s): the whole fonts serve", error
            )
        return _latin_cut


CUT_PREFIX = "lastseat-fonts-"


def _sweep_left_cuts() -> None:
    """Remove the cuts that processes killed before their exit left behind (their folders
    are named with their process id): ours only, and only a real folder, not a link."""
    with os.scandir(tempfile.gettempdir()) as entries:
        for entry in entries:
            maker = entry.name.removeprefix(CUT_PREFIX).split("-", 1)[0]
            if not entry.name.startswith(CUT_PREFIX) or not maker.isdigit():
                continue
            with contextlib.suppress(OSError):
                found = entry.stat(follow_symlinks=False)
                if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.getuid():
                    continue
                try:
                    os.kill(int(maker), 0)
                    continue  # its maker runs (or a process that has its id now)
                except ProcessLookupError:
                    shutil.rmtree(entry.path)  # (safe against links swapped in meanwhile)


def _make_cut() -> LatinCut:
    with contextlib.suppress(OSError):
        _sweep_left_cuts()
    folder = Path(tempfile.mkdtemp(prefix=f"{CUT_PREFIX}{os.getpid()}-"))
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        folder.rmdir()
        raise
    through = Path(f"/proc/self/fd/{descriptor}")
    made = LatinCut((), frozenset(), folder, descriptor, os.getpid())
    atexit.register(made.remove)
    try:
        chars: set[int] | None = None
        for font in TEXT_FONTS:
            cut = dataclasses.replace(font, path=through / font.path.name, ranges=LATIN_CUT)
            made.fonts += (cut,)
            has = _cut_font(font.path, cut.path, LATIN_CUT)
            chars = has if chars is None else chars & has
    except BaseException:
        made.remove()
        raise
    made.chars = frozenset(chars or ())
    return made


def _cut_font(source: Path, target: Path, ranges: tuple[tuple[int, int], ...]) -> set[int]:
    """Write `source` with only the glyphs of `ranges` to `target`; the characters it has."""
    options = subset.Options()
    options.layout_features = ["*"]  # kerning, ligatures and mark placement, as the whole font
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.glyph_names = True
    options.notdef_outline = True
    font = TTFont(source)
    cutter = subset.Subsetter(options)
    cutter.populate(unicodes=[code for low, high in ranges for code in range(low, high + 1)])
    cutter.subset(font)
    font.save(target)
    return set(font.getBestCmap())


def use_ticket_fonts(pdf: FPDF, texts: Iterable[str]) -> None:
    """Register the fonts on `pdf`: DejaVu Sans as the text font and, as its fallbacks, the
    fonts serving a character of `texts` (what the ticket will print); and turn on text
    shaping, which lays out every run in its script's own way. A ticket whose every
    character is in the Latin cut is drawn with the cut: the same glyphs, read faster."""
    missing = missing_packages()
    if missing:
        raise FontsMissing(
            "missing Debian packages: " + " ".join(missing) + " (run scripts/setup as root)"
        )
    chars = {char for text in texts for char in text}
    text_fonts: tuple[TicketFont, ...] = TEXT_FONTS
    if all(in_ranges(char, LATIN_CUT) for char in chars):  # else the cut is never made
        cut = latin_cut()
        if cut is not None and all(ord(char) in cut.chars for char in chars):
            text_fonts = cut.fonts
    for font in text_fonts:
        _add(pdf, font)
    needed = [font for font in FALLBACK_FONTS if any(font.serves(char) for char in chars)]
    for font in needed:
        _add(pdf, font)
    if needed:
        pdf.set_fallback_fonts([font.family for font in needed], exact_match=False)
    pdf.set_text_shaping(True)


def printable(pdf: FPDF, text: str) -> str:
    """`text` with each character that no font registered on `pdf` has a glyph for shown as
    "�": a reader sees that a character could not be printed, where a gap would hide it."""
    cmaps = [font.cmap for font in pdf.fonts.values() if isinstance(font, TTFFont)]
    return "".join(
        char if char.isspace() or any(ord(char) in cmap for cmap in cmaps) else NO_GLYPH
        for char in text
    )
