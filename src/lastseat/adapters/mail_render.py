"""A Letter laid out as an email: plain text and HTML alternatives, and for a ticket one
PDF e-ticket per passenger carrying the BCBP string as a QR code (IATA Resolution 792
allows QR beside PDF417; QR is what phones and common readers decode)."""

from __future__ import annotations

import html
import io
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import segno
from fpdf import FPDF

from lastseat.adapters.ticket_fonts import FAMILY, printable, use_ticket_fonts
from lastseat.domain.bcbp import BoardingPass, encode
from lastseat.domain.mail import Letter, MailKind
from lastseat.domain.money import format_money
from lastseat.domain.price_words import amount_text, breakdown, cancellation_rule
from lastseat.services.airports import airport_zone, local_time, zone_label

QR_SCALE = 6  # pixels a module: sharp enough to scan from a printout or a screen
TICKET_PAGE_MM = (148, 210)  # A5
LABEL_WIDTH_MM = 40  # "Booking reference" at 11 pt, and a gap


def on_the_airport_clock(
    moment: datetime, letter: Letter, fmt: str, airport: str | None = None
) -> str:
    """`moment` as an airport's clocks show it (the departure airport's unless told), the
    zone named as every server-side output names it (services/airports.zone_label)."""
    airport = airport or letter.flight.origin
    at = local_time(moment, airport)
    return f"{at.strftime(fmt)} {zone_label(airport_zone(airport).key, at)}"


def when(letter: Letter) -> str:
    """The departure on the origin airport's clocks."""
    return on_the_airport_clock(letter.flight.departs_at, letter, "%a %d %b %Y, %H:%M")


def arrives(letter: Letter) -> str:
    """The arrival on the destination airport's clocks, or that it is not known."""
    flight = letter.flight
    if flight.arrives_at is None:
        return "not known"
    return on_the_airport_clock(flight.arrives_at, letter, "%a %d %b %Y, %H:%M", flight.destination)


def subject(letter: Letter) -> str:
    flight = letter.flight
    if letter.kind is MailKind.CANCELLED:
        return f"Cancelled: booking {letter.booking.reference}, flight {flight.code}"
    return (
        f"Your ticket: {flight.code} {flight.origin} to {flight.destination},"
        f" booking {letter.booking.reference}"
    )


def _lines(letter: Letter) -> list[tuple[str, str]]:
    """(label, value) pairs both alternatives show, in order."""
    booking, flight = letter.booking, letter.flight
    rows = [
        ("Booking reference", booking.reference),
        ("Flight", f"{flight.code} {flight.origin} to {flight.destination}"),
        ("Departs", when(letter)),
        ("Arrives", arrives(letter)),
    ]
    for p in booking.passengers:
        rows.append((f"Seat {p.seat}", f"{p.given_name} {p.family_name} ({p.type.value})"))
    if not booking.passengers:  # a booking made before passengers were named
        rows.append(("Seats", ", ".join(booking.seats)))
    if letter.kind is MailKind.BOOKED:
        rows += [(line.label, amount_text(line)) for line in breakdown(letter.price)]
        closes = on_the_airport_clock(letter.cancellable_until, letter, "%d %b %Y, %H:%M")
        rows.append(("Cancellation", cancellation_rule(closes, letter.cutoff_minutes)))
    elif letter.refund is not None:
        rows.append(("Refunded", format_money(letter.refund)))
    return rows


def plain_text(letter: Letter) -> str:
    intro = (
        "Your booking is cancelled."
        if letter.kind is MailKind.CANCELLED
        else "Your booking is confirmed. Your e-tickets are attached, one per passenger."
    )
    body = "\n".join(f"{label}: {value}" for label, value in _lines(letter))
    return f"{intro}\n\n{body}\n\nLastSeat\n"


def html_text(letter: Letter) -> str:
    intro = (
        "Your booking is cancelled."
        if letter.kind is MailKind.CANCELLED
        else "Your booking is confirmed. Your e-tickets are attached, one per passenger."
    )
    rows = "".join(
        f"<tr><th align='left'>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
        for label, value in _lines(letter)
    )
    return (
        "<!doctype html><html><body>"
        f"<p>{html.escape(intro)}</p><table>{rows}</table><p>LastSeat</p>"
        "</body></html>"
    )


def qr_png(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=QR_SCALE, border=4)
    return out.getvalue()


def e_ticket(letter: Letter, boarding: BoardingPass) -> bytes:
    """One passenger's e-ticket: the flight, the seat, and the BCBP barcode."""
    flight = letter.flight
    rows = [
        ("Passenger", f"{boarding.given_name} {boarding.family_name}"),
        ("Booking reference", letter.booking.reference),
        ("Flight", f"{flight.code} {flight.origin} to {flight.destination}"),
        ("Departs", when(letter)),
        ("Arrives", arrives(letter)),
        ("Seat", boarding.seat),
    ]
    pdf = FPDF(format=TICKET_PAGE_MM)
    use_ticket_fonts(pdf, [value for _, value in rows])
    pdf.set_title(f"E-ticket {letter.booking.reference} seat {boarding.seat}")
    pdf.add_page()
    pdf.set_font(FAMILY, style="B", size=16)
    pdf.cell(0, 10, "LastSeat e-ticket", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=11)
    for label, value in rows:
        pdf.cell(LABEL_WIDTH_MM, 7, label)
        # wrapped within the page: a zone-named time or a 64-letter name is wider than A5
        pdf.multi_cell(0, 7, printable(pdf, value), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.image(io.BytesIO(qr_png(encode(boarding))), x=pdf.l_margin, y=pdf.get_y() + 5, w=60)
    return bytes(pdf.output())


def render(letter: Letter, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["Message-ID"] = letter.message_id
    message["From"] = sender
    message["To"] = letter.recipient
    message["Subject"] = subject(letter)
    message["Date"] = format_datetime(letter.written_at)
    message.set_content(plain_text(letter))
    message.add_alternative(html_text(letter), subtype="html")
    for boarding in letter.boarding_passes:
        message.add_attachment(
            e_ticket(letter, boarding),
            maintype="application",
            subtype="pdf",
            filename=f"e-ticket-{letter.booking.reference}-{boarding.seat}.pdf",
        )
    return message
