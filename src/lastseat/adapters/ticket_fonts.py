"""The e-ticket's fonts: Unicode TrueType fonts from Debian packages, so a passenger's name
prints in its own script ("Łukasiewicz", "李小龍"), never as "?" (fpdf2's core fonts are
Latin-1 only). DejaVu Sans covers Latin, Greek and Cyrillic; Droid Sans Fallback is the
fallback for Chinese, Japanese and Korean. scripts/setup installs both packages.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import TTFFont

FAMILY = "DejaVuSans"
CJK_FAMILY = "DroidSansFallback"
# (family, style, file, Debian package)
FONTS: tuple[tuple[str, str, Path, str], ...] = (
    (FAMILY, "", Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), "fonts-dejavu-core"),
    (
        FAMILY,
        "B",
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
        "fonts-dejavu-core",
    ),
    (
        CJK_FAMILY,
        "",
        Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
        "fonts-droid-fallback",
    ),
)


class FontsMissing(RuntimeError):
    """The e-ticket's fonts are not installed: a set-up fault, named so it can be fixed."""


def missing_packages() -> list[str]:
    """Debian packages whose font files the e-ticket needs and cannot find."""
    return sorted({package for _, _, path, package in FONTS if not path.exists()})


def use_ticket_fonts(pdf: FPDF, texts: Iterable[str]) -> None:
    """Register the fonts on `pdf`: DejaVu Sans as the text font and, when `texts` (what
    the ticket will print) have a character it lacks, the CJK font as its fallback. Only
    then: reading that font takes about half a second per PDF."""
    missing = missing_packages()
    if missing:
        raise FontsMissing(
            "missing Debian packages: " + " ".join(missing) + " (run scripts/setup as root)"
        )
    for family, style, path, _ in FONTS:
        if family == FAMILY:
            pdf.add_font(family, style=style, fname=str(path))
    text_font = pdf.fonts[FAMILY.lower()]
    assert isinstance(text_font, TTFFont)
    covered = text_font.cmap
    if any(ord(ch) not in covered for text in texts for ch in text if not ch.isspace()):
        for family, style, path, _ in FONTS:
            if family != FAMILY:
                pdf.add_font(family, style=style, fname=str(path))
        pdf.set_fallback_fonts([CJK_FAMILY], exact_match=False)
