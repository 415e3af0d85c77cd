"""Mail through the outbox, on both databases, to a real SMTP server (the stack's catcher,
aiosmtpd) on a free loopback port: the row is written with the booking, a round sends it,
mail being down delays nothing, and a message is kept once across crashes and resends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from lastseat.adapters.db.tables import mail_outbox
from lastseat.adapters.mail_smtp import SmtpPostman
from lastseat.bootstrap import Services, build_services
from lastseat.domain.mail import Letter
from lastseat.stack.mail_tier import MailStore, start_catcher
from lastseat.stack.ports import free_port
from tests.support.asgi import bearer, signed_in
from tests.support.clock import FakeClock
from tests.support.databases import make_settings
from tests.support.mail import barcodes, kept, pdfs, text_part
from tests.support.payments import FakePayments


@pytest.fixture
def mail_port() -> int:
    return free_port()


@pytest.fixture
def store(tmp_path: Path) -> MailStore:
    return MailStore(tmp_path / "mail")


@pytest.fixture
async def catcher(store: MailStore, mail_port: int) -> AsyncIterator[asyncio.Server]:
    server = await start_catcher(store.folder, mail_port)
    yield server
    server.close()
    await server.wait_closed()


@pytest.fixture
async def services(
    database_url: str, clock: FakeClock, payments: FakePayments, mail_port: int
) -> AsyncIterator[Services]:
    """The shared fixture's services, sending to `mail_port` (the api fixture uses these)."""
    built = build_services(
        make_settings(database_url, mail_catcher_port=mail_port), clock=clock, payments=payments
    )
    await built.database.upgrade()
    try:
        yield built
    finally:
        await built.close()


async def _book(
    api: httpx.AsyncClient, flight_id: int, seats: list[str], email: str = "ann@example.com"
) -> tuple[dict[str, str], dict[str, Any]]:
    who = bearer(await signed_in(api, email))
    held = await api.post(
        "/api/v1/holds", json={"flight_id": flight_id, "seats": seats}, headers=who
    )
    assert held.status_code == 201, held.text
    names = [("Ann", "Lee"), ("José", "Núñez"), ("Mia", "Lee")]
    body = {
        "hold_id": held.json()["id"],
        "payment": {"token": "tok_ok"},
        "passengers": [
            {"seat": seat, "given_name": g, "family_name": f}
            for seat, (g, f) in zip(seats, names, strict=False)
        ],
    }
    booked = await api.post("/api/v1/bookings", json=body, headers=who)
    assert booked.status_code == 201, booked.text
    return who, booked.json()


async def _outbox(services: Services) -> list[Any]:
    engine = create_async_engine(services.settings.database_url.get_secret_value())
    try:
        async with engine.connect() as conn:
            return list(await conn.execute(sa.select(mail_outbox).order_by(mail_outbox.c.id)))
    finally:
        await engine.dispose()


async def test_a_booking_writes_its_ticket_to_the_outbox_and_a_round_sends_it(
    api: httpx.AsyncClient, services: Services, flight_id: int, catcher: object, store: MailStore
) -> None:
    _, booking = await _book(api, flight_id, ["12A", "12B"])
    [row] = await _outbox(services)
    assert (row.kind, row.booking_id.hex, row.sent_at) == (
        "booked",
        booking["id"].replace("-", ""),
        None,
    )
    assert row.recipient == "ann@example.com"
    assert kept(store) == []  # nothing is sent while the booking is made

    assert await services.mail.send_due() == 1
    [message] = kept(store)
    assert message["Message-ID"] == row.message_id
    assert message["To"] == "ann@example.com"
    assert booking["reference"] in message["Subject"]
    text, page = text_part(message, "plain"), text_part(message, "html")
    for shown in (text, page):
        assert booking["reference"] in shown
        assert "Seat 12A" in shown and "Ann Lee" in shown and "José Núñez" in shown
        assert "Total paid" in shown and "2 hours before departure; not after." in shown
        assert "Thu 10 Jan 2030, 09:00 Europe/London (UTC+00:00)" in shown
        # the breakdown is the hold's quote, read back by the round, seat by seat
        assert "Seat 12A, economy fare" in shown and "Seat 12B, economy fare" in shown
        assert "Taxes and fees" in shown
    tickets = pdfs(message)
    assert sorted(tickets) == [
        f"e-ticket-{booking['reference']}-12A.pdf",
        f"e-ticket-{booking['reference']}-12B.pdf",
    ]
    [code] = barcodes(tickets[f"e-ticket-{booking['reference']}-12B.pdf"])
    assert code.startswith("M1NUNEZ/JOSE") and code[48:52] == "012B"
    assert len(code) == 60
    assert (await _outbox(services))[0].sent_at is not None
    assert await services.mail.send_due() == 0  # sent is sent


async def test_a_cancellation_sends_one_too_with_the_refund(
    api: httpx.AsyncClient, services: Services, flight_id: int, catcher: object, store: MailStore
) -> None:
    who, booking = await _book(api, flight_id, ["14C"])
    cancelled = await api.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=who)
    assert cancelled.status_code in (200, 204), cancelled.text
    assert [r.kind for r in await _outbox(services)] == ["booked", "cancelled"]
    assert await services.mail.send_due() == 2
    ticket, cancellation = kept(store)
    assert "Cancelled" in str(cancellation["Subject"])
    refunded = text_part(cancellation, "plain")
    total = booking["total"]
    assert f"Refunded: {total['currency']} " in refunded
    assert pdfs(cancellation) == {}
    assert ticket["Message-ID"] != cancellation["Message-ID"]


async def test_mail_down_delays_no_booking_and_the_mail_goes_once_it_is_back(
    api: httpx.AsyncClient,
    services: Services,
    flight_id: int,
    store: MailStore,
    mail_port: int,
    clock: FakeClock,
) -> None:
    await _book(api, flight_id, ["15A"])  # 201 with no mail server at all
    assert await services.mail.send_due() == 0
    [row] = await _outbox(services)
    assert (row.attempts, row.last_error, row.sent_at) == (1, "mail-unavailable", None)

    server = await start_catcher(store.folder, mail_port)
    try:
        assert await services.mail.send_due() == 0  # not yet due: the retry waits
        clock.advance(seconds=services.settings.mail_retry_seconds)
        assert await services.mail.send_due() == 1
    finally:
        server.close()
        await server.wait_closed()
    assert len(kept(store)) == 1


class Died(BaseException):
    """The process ends here (a BaseException: nothing in the round catches it)."""


class DiesAfterTheRelayAccepts:
    """Sends, then dies before the row is marked sent."""

    def __init__(self, postman: SmtpPostman) -> None:
        self._postman = postman

    async def send(self, letter: Letter) -> None:
        await self._postman.send(letter)
        raise Died


async def test_once_across_restarts(
    api: httpx.AsyncClient,
    services: Services,
    flight_id: int,
    catcher: object,
    store: MailStore,
    clock: FakeClock,
    payments: FakePayments,
) -> None:
    # This instance commits the booking, then dies before any round runs.
    await _book(api, flight_id, ["16A"])
    await services.close()

    # The next one dies after the relay accepted, before it marked the row sent.
    dying = build_services(
        services.settings,
        clock=clock,
        payments=payments,
        postman=DiesAfterTheRelayAccepts(SmtpPostman(services.settings)),
    )
    with pytest.raises(Died):
        await dying.mail.send_due()
    await dying.close()
    assert len(kept(store)) == 1

    # The one after that finds the row leased, then lapsed: sent again, kept once.
    fresh = build_services(services.settings, clock=clock, payments=payments)
    try:
        assert await fresh.mail.send_due() == 0
        clock.advance(seconds=services.settings.mail_send_lease_seconds)
        assert await fresh.mail.send_due() == 1
        assert await fresh.mail.send_due() == 0
    finally:
        await fresh.close()
    assert len(kept(store)) == 1
    [row] = await _outbox(services)
    assert row.sent_at is not None
