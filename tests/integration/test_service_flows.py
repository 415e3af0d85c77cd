"""Every service, on SQLite and on PostgreSQL, through the real adapters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from lastseat.adapters.db import migrate
from lastseat.adapters.db.database import engine_of
from lastseat.adapters.db.tables import booking_seats, events, metadata, seats
from lastseat.bootstrap import Services
from lastseat.domain.bookings import BookingStatus
from lastseat.domain.errors import (
    AuthenticationFailed,
    CancellationClosed,
    Conflict,
    EmailTaken,
    FlightClosed,
    HoldGone,
    IdempotencyKeyReused,
    InvalidRequest,
    NotFound,
    PaymentDeclined,
    PaymentProviderError,
    SeatsUnavailable,
    UnknownSeats,
)
from lastseat.domain.flights import Flight
from lastseat.domain.holds import HoldStatus
from lastseat.domain.users import Role, User
from lastseat.entrypoints.http.app import create_app
from lastseat.services.catalog import NewFlight
from lastseat.services.ports import IdempotencyKey
from lastseat.services.samples import standard_layout
from tests.support.clock import FakeClock
from tests.support.flights import new_flight
from tests.support.passengers import passengers_for
from tests.support.payments import FakePayments


async def _user(services: Services, name: str = "ann") -> User:
    return await services.accounts.signup(f"{name}@example.com", f"{name}-password-1")


async def _flight(services: Services, clock: FakeClock, code: str = "LS101") -> Flight:
    return await services.catalog.create_flight(new_flight(clock(), code=code))


async def _seat_rows(services: Services, flight_id: int) -> dict[str, tuple[str, object]]:
    async with engine_of(services.database).connect() as conn:
        rows = await conn.execute(
            sa.select(seats.c.seat, seats.c.status, seats.c.hold_id).where(
                seats.c.flight_id == flight_id
            )
        )
        return {r[0]: (r[1], r[2]) for r in rows}


async def _events(services: Services, flight_id: int) -> list[tuple[str, str]]:
    async with engine_of(services.database).connect() as conn:
        rows = await conn.execute(
            sa.select(events.c.seat, events.c.status)
            .where(events.c.flight_id == flight_id)
            .order_by(events.c.id)
        )
        return [(r[0], r[1]) for r in rows]


async def test_migrations_are_current(services: Services) -> None:
    assert await migrate.is_current(engine_of(services.database))
    await services.database.upgrade()  # a second run is a no-op
    assert await migrate.current_revision(engine_of(services.database)) == migrate.head_revision()


async def test_the_revisions_read_without_alembic_are_alembic_s(services: Services) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    assert migrate.head_revision() == (
        ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    )
    async with engine_of(services.database).connect() as conn:
        stored = await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )
    assert stored == await migrate.current_revision(engine_of(services.database))


async def test_signup_login_authenticate_logout(services: Services) -> None:
    user = await services.accounts.signup(" Ann@Example.com ", "ann-password-1")
    assert user.email == "ann@example.com" and user.role is Role.CUSTOMER
    with pytest.raises(EmailTaken):
        await services.accounts.signup("ann@example.com", "another-password")
    with pytest.raises(InvalidRequest, match="password"):
        await services.accounts.signup("bob@example.com", "short")
    with pytest.raises(AuthenticationFailed):
        await services.accounts.login("ann@example.com", "wrong-password")
    with pytest.raises(AuthenticationFailed):
        await services.accounts.login("nobody@example.com", "ann-password-1")
    found, token = await services.accounts.login("ANN@example.com", "ann-password-1")
    assert found == user
    assert await services.accounts.authenticate(token) == user
    assert await services.accounts.authenticate(token + "x") is None
    await services.accounts.logout(token)
    assert await services.accounts.authenticate(token) is None


async def test_tokens_expire(services: Services, clock: FakeClock) -> None:
    await _user(services)
    _, token = await services.accounts.login("ann@example.com", "ann-password-1")
    clock.advance(seconds=services.settings.token_ttl_seconds + 1)
    assert await services.accounts.authenticate(token) is None


async def test_operator_can_make_an_admin(services: Services) -> None:
    admin = await services.accounts.ensure_user("ops@example.com", "ops-password-1", Role.ADMIN)
    assert admin.is_admin
    again = await services.accounts.ensure_user("ops@example.com", "ops-password-2", Role.ADMIN)
    assert again.id == admin.id
    await services.accounts.login("ops@example.com", "ops-password-2")


async def test_flights_are_created_searched_and_mapped(
    services: Services, clock: FakeClock
) -> None:
    flight = await _flight(services, clock)
    other = await services.catalog.create_flight(
        new_flight(clock(), code="LS202", days=31, origin="CDG", destination="AMS")
    )
    with pytest.raises(Conflict):
        await services.catalog.create_flight(new_flight(clock(), code="LS101"))
    with pytest.raises(InvalidRequest, match="future"):
        await services.catalog.create_flight(new_flight(clock(), code="LS303", days=-1))
    everything = await services.catalog.search()
    assert [f.id for f in everything] == [flight.id, other.id]
    assert everything[0].seats_available == 180
    assert [f.id for f in await services.catalog.search(origin="CDG")] == [other.id]
    day = other.departs_at.date()
    assert [f.id for f in await services.catalog.search(on=day)] == [other.id]
    assert await services.catalog.search(origin="LHR", destination="AMS") == []
    seat_map = await services.catalog.seat_map(flight.id)
    assert seat_map.taken == {}
    assert {seat_map.status(seat) for seat in flight.layout.seat_names()} == {"available"}
    with pytest.raises(NotFound):
        await services.catalog.seat_map(9999)


async def test_hold_is_all_or_none(services: Services, clock: FakeClock) -> None:
    ann, bob = await _user(services, "ann"), await _user(services, "bob")
    flight = await _flight(services, clock)
    held = (await services.reservations.hold_seats(ann, flight.id, ["12A", "12B"])).hold
    assert held.seats == ("12A", "12B") and held.quote.subtotal.amount == 30_000
    assert held.quote.total.amount == 30_000 + 2 * 1_200 + 1_500  # taxes: per seat + 5%
    with pytest.raises(SeatsUnavailable) as refused:
        await services.reservations.hold_seats(bob, flight.id, ["12B", "12C", "12D"])
    assert refused.value.seats == ["12B"]
    rows = await _seat_rows(services, flight.id)
    assert rows["12C"] == ("available", None) and rows["12D"] == ("available", None)
    assert rows["12B"] == ("held", held.id)
    with pytest.raises(UnknownSeats):
        await services.reservations.hold_seats(bob, flight.id, ["12C", "99A"])
    assert (await services.catalog.search())[0].seats_available == 178
    assert (await services.catalog.seat_map(flight.id)).taken == {"12A": "held", "12B": "held"}


async def test_expired_hold_counts_as_available_at_once(
    services: Services, clock: FakeClock
) -> None:
    ann, bob = await _user(services, "ann"), await _user(services, "bob")
    flight = await _flight(services, clock)
    first = (await services.reservations.hold_seats(ann, flight.id, ["3A"])).hold
    clock.advance(seconds=services.settings.hold_ttl_seconds)
    assert (await services.catalog.seat_map(flight.id)).status("3A") == "available"
    second = (await services.reservations.hold_seats(bob, flight.id, ["3A"])).hold
    with pytest.raises(HoldGone):
        await services.bookings.confirm(
            ann, first.id, "tok_ok", passengers=passengers_for(first.seats)
        )
    assert (await _seat_rows(services, flight.id))["3A"] == ("held", second.id)


async def test_sweeper_releases_expired_holds_and_records_events(
    services: Services, clock: FakeClock
) -> None:
    ann = await _user(services)
    flight = await _flight(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["5A", "5B"])).hold
    assert await services.reservations.sweep_expired() == 0
    clock.advance(seconds=services.settings.hold_ttl_seconds + 1)
    assert await services.reservations.sweep_expired() == 2
    assert (await _seat_rows(services, flight.id))["5A"] == ("available", None)
    assert (await services.reservations.get_hold(ann, hold.id)).status is HoldStatus.EXPIRED
    assert await _events(services, flight.id) == [
        ("5A", "held"),
        ("5B", "held"),
        ("5A", "available"),
        ("5B", "available"),
    ]


async def test_book_then_cancel_frees_the_seats(services: Services, clock: FakeClock) -> None:
    ann = await _user(services)
    flight = await _flight(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["1A", "7C"])).hold
    booking = (
        await services.bookings.confirm(
            ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
        )
    ).booking
    assert booking.status is BookingStatus.CONFIRMED
    assert booking.total == hold.quote.total and booking.seats == ("1A", "7C")
    assert booking.total.amount == 135_000 + 2 * 1_200 + 6_750
    assert (await _seat_rows(services, flight.id))["7C"][0] == "booked"
    with pytest.raises(HoldGone):
        await services.bookings.confirm(
            ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
        )
    with pytest.raises(Conflict):
        await services.reservations.release_hold(ann, hold.id)
    assert [b.id for b in await services.bookings.list(ann)] == [booking.id]
    manifest = await services.catalog.manifest(flight.id)
    assert sorted(e.seat for e in manifest.passengers) == ["1A", "7C"]
    assert manifest.bookings == 1 and manifest.revenue == booking.total
    cancelled = await services.bookings.cancel(ann, booking.id)
    assert cancelled.status is BookingStatus.CANCELLED
    assert (await services.bookings.cancel(ann, booking.id)).status is BookingStatus.CANCELLED
    assert (await _seat_rows(services, flight.id))["7C"] == ("available", None)
    after = await services.catalog.manifest(flight.id)
    assert after.passengers == [] and after.revenue.amount == 0
    assert await _events(services, flight.id) == [
        ("1A", "held"),
        ("7C", "held"),
        ("1A", "booked"),
        ("7C", "booked"),
        ("1A", "available"),
        ("7C", "available"),
    ]
    # a cancelled seat can be sold again: the live-booking unique index allows it
    again = (await services.reservations.hold_seats(ann, flight.id, ["7C"])).hold
    await services.bookings.confirm(ann, again.id, "tok_ok", passengers=passengers_for(again.seats))
    async with engine_of(services.database).connect() as conn:
        live = await conn.scalar(
            sa.select(sa.func.count()).where(booking_seats.c.seat == "7C", booking_seats.c.active)
        )
    assert live == 1


async def test_release_frees_seats_once(services: Services, clock: FakeClock) -> None:
    ann = await _user(services)
    flight = await _flight(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["9A"])).hold
    await services.reservations.release_hold(ann, hold.id)
    await services.reservations.release_hold(ann, hold.id)
    assert (await _seat_rows(services, flight.id))["9A"] == ("available", None)
    assert await _events(services, flight.id) == [("9A", "held"), ("9A", "available")]
    with pytest.raises(HoldGone):
        await services.bookings.confirm(
            ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
        )


async def test_a_release_racing_a_confirm_never_says_released_when_it_was_booked(
    services: Services, clock: FakeClock
) -> None:
    """Either the release wins (the confirm finds the hold gone) or the booking does (the
    release is refused): never a 204 for a hold that became a booking."""
    ann = await _user(services)
    flight = await _flight(services, clock)
    for row in range(10, 30):
        hold = (await services.reservations.hold_seats(ann, flight.id, [f"{row}A"])).hold
        released, booked = await asyncio.gather(
            services.reservations.release_hold(ann, hold.id),
            services.bookings.confirm(
                ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
            ),
            return_exceptions=True,
        )
        if isinstance(booked, BaseException):
            assert isinstance(booked, HoldGone) and released is None
        else:
            assert isinstance(released, Conflict), released
        status = (await services.reservations.get_hold(ann, hold.id)).status
        assert status is (HoldStatus.RELEASED if released is None else HoldStatus.BOOKED)


async def test_only_the_owner_sees_or_touches_a_hold_or_booking(
    services: Services, clock: FakeClock
) -> None:
    ann, bob = await _user(services, "ann"), await _user(services, "bob")
    flight = await _flight(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["10A"])).hold
    attempt: Awaitable[object]
    for attempt in (
        services.reservations.get_hold(bob, hold.id),
        services.reservations.release_hold(bob, hold.id),
        services.bookings.confirm(bob, hold.id, "tok_ok", passengers=passengers_for(hold.seats)),
    ):
        with pytest.raises(NotFound):
            await attempt
    booking = (
        await services.bookings.confirm(
            ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
        )
    ).booking
    for attempt in (
        services.bookings.get(bob, booking.id),
        services.bookings.cancel(bob, booking.id),
    ):
        with pytest.raises(NotFound):
            await attempt
    assert await services.bookings.list(bob) == []


async def test_payment_failure_keeps_the_hold_and_books_nothing(
    services: Services, clock: FakeClock
) -> None:
    ann = await _user(services)
    flight = await _flight(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["11A"])).hold
    with pytest.raises(PaymentDeclined):
        await services.bookings.confirm(
            ann, hold.id, "tok_declined", passengers=passengers_for(hold.seats)
        )
    with pytest.raises(PaymentProviderError):
        await services.bookings.confirm(
            ann, hold.id, "tok_error", passengers=passengers_for(hold.seats)
        )
    assert (await _seat_rows(services, flight.id))["11A"] == ("held", hold.id)
    assert await services.bookings.list(ann) == []
    booking = (
        await services.bookings.confirm(
            ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
        )
    ).booking
    assert booking.seats == ("11A",)


async def test_departed_flights_take_no_holds(services: Services, clock: FakeClock) -> None:
    ann = await _user(services)
    flight = await _flight(services, clock)
    clock.advance(days=31)
    with pytest.raises(FlightClosed):
        await services.reservations.hold_seats(ann, flight.id, ["12A"])
    assert await services.catalog.search() == []


async def test_departure_closes_booking_and_the_cut_off_closes_cancelling(
    services: Services, clock: FakeClock, payments: FakePayments
) -> None:
    ann = await _user(services)
    soon = await services.catalog.create_flight(
        NewFlight("LS700", "LHR", "JFK", clock() + timedelta(minutes=5), standard_layout())
    )
    # a hold ends at departure at the latest, whatever its time to live
    hold = (await services.reservations.hold_seats(ann, soon.id, ["12A"])).hold
    assert hold.expires_at == soon.departs_at
    clock.advance(minutes=6)
    with pytest.raises(FlightClosed, match="departed"):
        await services.bookings.confirm(
            ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
        )
    assert payments.calls == []  # refused before any money moved
    # a booking made in time cannot be cancelled within the cut-off, nor after departure
    cutoff = services.settings.cancellation_cutoff
    later = await services.catalog.create_flight(
        NewFlight("LS701", "LHR", "JFK", clock() + cutoff + timedelta(hours=1), standard_layout())
    )
    booked = []
    for seat in ("12A", "12B"):
        held = (await services.reservations.hold_seats(ann, later.id, [seat])).hold
        booked.append(
            (
                await services.bookings.confirm(
                    ann, held.id, "tok_ok", passengers=passengers_for(held.seats)
                )
            ).booking
        )
    await services.bookings.cancel(ann, booked[0].id)  # an hour before the cut-off: fine
    clock.advance(hours=1)
    with pytest.raises(CancellationClosed, match=f"within {cutoff.seconds // 60} minutes"):
        await services.bookings.cancel(ann, booked[1].id)
    clock.advance(days=1)
    # over HTTP: a problem that names the rule
    _, token = await services.accounts.login(ann.email, "ann-password-1")
    transport = httpx.ASGITransport(app=create_app(services.settings, services))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
        refused = await api.post(
            f"/api/v1/bookings/{booked[1].id}/cancel",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith(":cancellation-closed")
    assert "cannot be cancelled within 120 minutes of departure" in refused.json()["detail"]
    assert (await services.bookings.get(ann, booked[1].id)).status is BookingStatus.CONFIRMED
    refunds = [call for call in payments.calls if call[0] in ("refund", "void")]
    assert len(refunds) == 1  # only the one cancelled in time was paid back


async def test_idempotent_hold_and_booking(services: Services, clock: FakeClock) -> None:
    ann, bob = await _user(services, "ann"), await _user(services, "bob")
    flight = await _flight(services, clock)
    key = IdempotencyKey("hold-1", "f1")
    first = await services.reservations.hold_seats(ann, flight.id, ["14A"], key)
    again = await services.reservations.hold_seats(ann, flight.id, ["14A"], key)
    assert not first.replayed and again.replayed and again.hold.id == first.hold.id
    with pytest.raises(IdempotencyKeyReused):
        await services.reservations.hold_seats(
            ann, flight.id, ["14B"], IdempotencyKey("hold-1", "f2")
        )
    # keys belong to one user: bob's "hold-1" is his own
    with pytest.raises(SeatsUnavailable):
        await services.reservations.hold_seats(bob, flight.id, ["14A"], key)
    pay = IdempotencyKey("pay-1", "p1")
    booked = await services.bookings.confirm(
        ann, first.hold.id, "tok_ok", None, pay, passengers=passengers_for(first.hold.seats)
    )
    replay = await services.bookings.confirm(
        ann, first.hold.id, "tok_ok", None, pay, passengers=passengers_for(first.hold.seats)
    )
    assert replay.replayed and replay.booking.id == booked.booking.id
    assert len(await services.bookings.list(ann)) == 1


async def test_concurrent_retries_of_one_booking_create_one(
    services: Services, clock: FakeClock
) -> None:
    ann = await _user(services)
    flight = await _flight(services, clock)
    hold = (await services.reservations.hold_seats(ann, flight.id, ["15A"])).hold
    key = IdempotencyKey("pay-2", "p")
    results = await asyncio.gather(
        *(
            services.bookings.confirm(
                ann, hold.id, "tok_ok", None, key, passengers=passengers_for(hold.seats)
            )
            for _ in range(8)
        )
    )
    assert len({r.booking.id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert len(await services.bookings.list(ann)) == 1


async def test_concurrent_holds_of_one_seat_have_one_winner(
    services: Services, clock: FakeClock
) -> None:
    users = [await _user(services, f"u{i}") for i in range(12)]
    flight = await _flight(services, clock)
    outcomes = await asyncio.gather(
        *(services.reservations.hold_seats(u, flight.id, ["20A", "20B"]) for u in users),
        return_exceptions=True,
    )
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(o, SeatsUnavailable) for o in outcomes if o not in winners)


async def test_unknown_ids_are_not_found(services: Services, clock: FakeClock) -> None:
    ann = await _user(services)
    with pytest.raises(NotFound):
        await services.reservations.hold_seats(ann, 424242, ["1A"])
    with pytest.raises(NotFound):
        await services.bookings.confirm(
            ann, uuid.uuid4(), "tok_ok", passengers=passengers_for(["1A"])
        )
    with pytest.raises(NotFound):
        await services.bookings.get(ann, uuid.uuid4())


async def test_table_definitions_match_the_migrations(services: Services) -> None:
    def differences(conn: sa.Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with engine_of(services.database).connect() as conn:
        assert await conn.run_sync(differences) == []
