"""Through `lastseat up`: a booking's ticket reaches the mail tier, `lastseat mail` lists
and shows it, and the saved e-ticket's barcode reads back as the BCBP string. The mailer
tier drew it: no app or gRPC server loaded the PDF stack."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

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
    assert "mailer" in status.stdout


# Shared libraries only the e-tickets' stack loads (HarfBuzz shapes names, Pillow draws).
PDF_STACK = ("_harfbuzz", "PIL/_imaging")


def niceness(pid: int) -> int:
    """The process's nice value (field 19 of /proc/PID/stat)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def loaded(pid: int) -> set[str]:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return {library for library in PDF_STACK if library in maps}


async def test_the_mailer_draws_the_tickets_and_no_server_loads_their_pdf_stack(
    stack: Stack,
) -> None:
    async with HttpClient(stack.url, transport=stack.transport()) as api:
        await api.signup("drawn@example.com", "a drawn password")
        await api.login("drawn@example.com", "a drawn password")
        [flight] = await api.flights(limit=1)
        hold = await api.hold(flight["id"], ["7A"])
        booking = await api.book(hold["id"], "tok_ok", passengers=passengers_json(hold["seats"]))
    await inbox_line(stack, booking["reference"])

    tiers = stack.tiers()
    servers = {name: pid for name, pid in tiers.items() if name.startswith(("app-", "grpc-"))}
    assert len(servers) >= 2
    for name, pid in servers.items():
        assert loaded(pid) == set(), f"{name} loaded the PDF stack"
    assert loaded(tiers["mailer"]) == set(PDF_STACK)
    # and it draws them at a lower priority than the requests the servers answer
    ours = niceness(os.getpid())  # what every tier started from
    assert stack.settings.mailer_niceness > 0
    assert niceness(tiers["mailer"]) == min(19, ours + stack.settings.mailer_niceness)
    assert {niceness(pid) for pid in servers.values()} == {ours}

    async with httpx.AsyncClient(timeout=5) as client:
        health = await client.get(f"http://127.0.0.1:{stack.settings.mailer_port}/healthz")
    assert health.json() == {"status": "ok", "stuck": 0}
