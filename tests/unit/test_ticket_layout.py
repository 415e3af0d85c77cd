"""Everything an e-ticket prints stays on its A5 page: a departure named with its zone
and a passenger's name of the longest length allowed wrap inside the right margin."""

from __future__ import annotations

import io

from fpdf import FPDF
from pypdf import PdfReader

from lastseat.adapters.mail_render import TICKET_PAGE_MM, e_ticket
from lastseat.adapters.ticket_fonts import FAMILY, use_ticket_fonts
from lastseat.domain.passengers import MAX_NAME_LENGTH, Passenger
from tests.support.tickets import booking_of, ticket_letter

POINTS_PER_MM = 72 / 25.4


def printed_runs(pdf: bytes) -> list[tuple[float, float, str]]:
    """(x in mm, font size in pt, text) of each run of text the page draws."""
    runs: list[tuple[float, float, str]] = []

    def seen(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            runs.append((tm[4] / POINTS_PER_MM, size, text))

    [page] = PdfReader(io.BytesIO(pdf)).pages
    page.extract_text(visitor_text=seen)
    return runs


def test_long_values_wrap_inside_the_page() -> None:
    given = "Maximiliane Alexandra" + " Konstanze" * 20
    family = "von Hohenzollern-Sigmaringen-Wittelsbach" * 2
    passenger = Passenger("10A", given[:MAX_NAME_LENGTH], family[:MAX_NAME_LENGTH])
    made = ticket_letter(booking_of((passenger,)))
    pdf = e_ticket(made, made.boarding_passes[0])
    measure = FPDF(format=TICKET_PAGE_MM)
    runs = printed_runs(pdf)
    use_ticket_fonts(measure, [text for _, _, text in runs])
    right_edge = TICKET_PAGE_MM[0] - measure.r_margin
    assert any("Asia/Tokyo" in text for _, _, text in runs)  # the zone-named departure
    for x, size, text in runs:
        measure.set_font(FAMILY, size=size)
        assert x + measure.get_string_width(text) <= right_edge + 0.5, (text, x)
