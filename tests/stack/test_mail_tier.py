"""Through `lastseat up`: a booking's ticket reaches the mail tier, `lastseat mail` lists
and shows it, and the saved e-ticket's barcode reads back as the BCBP string."""

from __future__ import annotations

from pathlib import Path

from lastseat.client import HttpClient
from lastseat.domain.bcbp import name_field
from tests.support.mail import barcodes, inbox_line
from tests.support.passengers import FAMILY_NAME, given_name, passengers_json
from tests.support.stack import Stack


async def test_a_booking_s_ticket_is_in_the_inbox_with_its_e_tickets(
    stack: Stack, tmp_path: Path
) -> None:
    async with HttpClient(stack.url, transport=stack.transport()) as api:
        await api.signup("inbox@example.com", "an inbox password")
        await api.login("inbox@example.com", "an inbox password")
        [flight] = await api.flights(limit=1)
        hold = await api.hold(flight["id"], ["6A", "6B"])
        booking = await api.book(hold["id"], "tok_ok", passengers=passengers_json(hold["seats"]))
    reference = booking["reference"]

    line = await inbox_line(stack, reference)
    assert "inbox@example.com" in line and "(2 attached)" in line
    number = line.split()[0]

    shown = stack.lastseat("mail", "show", number)
    assert shown.returncode == 0, shown.stderr
    assert f"Booking reference: {reference}" in shown.stdout
    assert f"attached: e-ticket-{reference}-6A.pdf (application/pdf)" in shown.stdout

    saved = stack.lastseat("mail", "save", number, "--to", str(tmp_path))
    assert saved.returncode == 0, saved.stderr
    [code] = barcodes((tmp_path / f"e-ticket-{reference}-6B.pdf").read_bytes())
    assert code[2:22] == name_field(FAMILY_NAME, given_name(1))
    assert code[23:30] == reference[:7] and code[48:52] == "006B"
    assert code[30:36] == flight["origin"] + flight["destination"]

    status = stack.lastseat("status")
    assert "mail" in status.stdout and status.returncode == 0
