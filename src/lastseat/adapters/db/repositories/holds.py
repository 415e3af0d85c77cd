"""Holds and idempotency keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.adapters.db.repositories.binds import NOW, OWNER, ROW_ID
from lastseat.adapters.db.repositories.inventory import SqlEvents, SqlSeats, count_booked
from lastseat.adapters.db.tables import (
    booking_seats,
    bookings,
    holds,
    idempotency_keys,
    seats,
)
from lastseat.domain.events import SeatEvent
from lastseat.domain.holds import HeldSeats, Hold, HoldStatus
from lastseat.domain.pricing import Quote
from lastseat.services.ports import KeyClaim, Placement

# Statements are built once: building a Core statement per call costs more than running it.
_STATUS = sa.bindparam("new_status", type_=sa.String())

_HOLD_COLUMNS = (
    holds.c.id,
    holds.c.user_id,
    holds.c.flight_id,
    holds.c.seats,
    holds.c.expires_at,
    holds.c.status,
    holds.c.quote,
)
_INSERT_HOLD = holds.insert()
_OWNED_HOLD = sa.select(*_HOLD_COLUMNS).where(holds.c.id == ROW_ID, holds.c.user_id == OWNER)
_CLOSE_HOLD = (
    holds.update()
    .where(holds.c.id == ROW_ID, holds.c.status == HoldStatus.ACTIVE.value)
    .values(status=_STATUS)
    .returning(holds.c.id)
)
_CONFIRM_HOLD = (
    holds.update()
    .where(
        holds.c.id == ROW_ID,
        holds.c.user_id == OWNER,
        holds.c.status == HoldStatus.ACTIVE.value,
        holds.c.expires_at > NOW,
    )
    .values(status=HoldStatus.BOOKED.value)
    .returning(*_HOLD_COLUMNS)
)
_IDEMPOTENCY_ROW = sa.select(idempotency_keys.c.fingerprint, idempotency_keys.c.resource_id).where(
    idempotency_keys.c.user_id == OWNER,
    idempotency_keys.c.key == sa.bindparam("key", type_=sa.String()),
)


def held_and_sold_from(row: Sequence[Any]) -> tuple[HeldSeats, int]:
    """A held-and-sold read's one row: the five counts of HeldSeats, in its order, then the
    seats sold on the flight."""
    counts = [int(value) for value in row]
    return HeldSeats(*counts[:5]), counts[5]


def hold_from(row: Mapping[Any, Any]) -> Hold:
    return Hold(
        id=row["id"],
        user_id=row["user_id"],
        flight_id=row["flight_id"],
        seats=tuple(row["seats"]),
        expires_at=row["expires_at"],
        status=HoldStatus(row["status"]),
        quote=Quote.from_dict(row["quote"]),
    )


class SqlHolds:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, hold: Hold, now: datetime, address: str | None) -> None:
        await self._conn.execute(
            _INSERT_HOLD,
            {
                "id": hold.id,
                "user_id": hold.user_id,
                "flight_id": hold.flight_id,
                "seats": list(hold.seats),
                "quote": hold.quote.as_dict(),
                "status": hold.status.value,
                "created_at": now,
                "expires_at": hold.expires_at,
                "client_address": address,
            },
        )

    async def serialize(self, user_id: UUID, address: str | None, flight_id: int) -> None:
        """Nothing to do where a writing transaction holds the database's one write lock
        (SQLite); PostgreSQL locks the customer, and the address on the flight
        (postgres.PgHolds)."""

    async def serialize_round(
        self, user_ids: Sequence[UUID], addresses: Sequence[str | None], flight_id: int
    ) -> None:
        """Nothing to do here either (SQLite)."""

    async def serialize_choices(self, flight_id: int) -> None:
        """Nothing to do here either (SQLite); PostgreSQL locks the flight's choices."""

    async def place(
        self, hold: Hold, now: datetime, address: str | None, changes: Sequence[SeatEvent]
    ) -> list[str]:
        """Add the hold, claim its seats that are free, and append `changes` (the seat
        events of the hold placed whole); the seats claimed. The caller rolls all of it
        back unless every seat was claimed. PostgreSQL does it in one statement."""
        await self.add(hold, now, address)
        claimed = await SqlSeats(self._conn).hold(
            hold.flight_id, hold.seats, hold.id, now, hold.expires_at
        )
        await SqlEvents(self._conn).append(changes, now)
        return claimed

    async def place_all(
        self, placements: Sequence[Placement], changes: Sequence[SeatEvent], now: datetime
    ) -> list[list[str]]:
        """One placement after another here; PostgreSQL places them in one statement."""
        claimed = [await self.place(p.hold, now, p.address, []) for p in placements]
        await SqlEvents(self._conn).append(changes, now)
        return claimed

    async def held_and_sold(
        self, user_id: UUID, address: str | None, flight_id: int, now: datetime
    ) -> tuple[HeldSeats, int]:
        """What the limits count (seats held by live holds and in live bookings, by the
        customer and by holds asked from the address) and the seats sold on the flight
        (what its price follows), in one statement."""

        def seats_where(condition: Any) -> Any:
            return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

        mine = holds.c.user_id == user_id
        on_flight = holds.c.flight_id == flight_id
        same_address = (
            sa.and_(holds.c.client_address == address, on_flight)
            if address is not None
            else sa.false()
        )
        held = (
            sa.select(
                seats_where(sa.and_(mine, on_flight)).label("mine_on_flight"),
                seats_where(mine).label("mine"),
                seats_where(same_address).label("address"),
            )
            .select_from(holds.join(seats, seats.c.hold_id == holds.c.id))
            .where(
                holds.c.status == HoldStatus.ACTIVE.value,
                holds.c.expires_at > now,
                sa.or_(mine, same_address),
            )
            .subquery("held")
        )
        # Seats in live bookings, by the customer and by holds asked from the address.
        owner = bookings.join(holds, holds.c.id == bookings.c.hold_id)
        mine_booked = bookings.c.user_id == user_id
        address_booked = holds.c.client_address == address if address is not None else sa.false()
        booked = (
            sa.select(
                seats_where(mine_booked).label("mine"),
                seats_where(address_booked).label("address"),
            )
            .select_from(booking_seats.join(owner, bookings.c.id == booking_seats.c.booking_id))
            .where(
                booking_seats.c.flight_id == flight_id,
                booking_seats.c.active,
                sa.or_(mine_booked, address_booked),
            )
            .subquery("booked")
        )
        sold = count_booked(flight_id).scalar_subquery()
        both = held.join(booked, sa.true())  # one row each
        row = (await self._conn.execute(sa.select(held, booked, sold).select_from(both))).one()
        return held_and_sold_from(row)

    async def held_and_sold_all(
        self, askers: Sequence[tuple[UUID, str | None]], flight_id: int, now: datetime
    ) -> list[tuple[HeldSeats, int]]:
        """One read each here; PostgreSQL reads them all in one statement."""
        return [
            await self.held_and_sold(user_id, address, flight_id, now)
            for user_id, address in askers
        ]

    async def get_owned(self, hold_id: UUID, user_id: UUID) -> Hold | None:
        row = (await self._conn.execute(_OWNED_HOLD, {"row_id": hold_id, "owner": user_id})).first()
        return None if row is None else hold_from(row._mapping)

    async def live_owned(
        self, user_id: UUID, flight_id: int | None, now: datetime, limit: int, offset: int
    ) -> list[Hold]:
        # The expiry is checked here, not left to the sweeper: an expired hold is no one's.
        where = [
            holds.c.user_id == user_id,
            holds.c.status == HoldStatus.ACTIVE.value,
            holds.c.expires_at > now,
        ]
        if flight_id is not None:
            where.append(holds.c.flight_id == flight_id)
        rows = await self._conn.execute(
            sa.select(*_HOLD_COLUMNS)
            .where(*where)
            .order_by(holds.c.created_at.desc(), holds.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [hold_from(row._mapping) for row in rows]

    async def close(self, hold_id: UUID, status: HoldStatus) -> bool:
        """Move an active hold to `status`; False if it was no longer active."""
        params = {"row_id": hold_id, "new_status": status.value}
        return (await self._conn.execute(_CLOSE_HOLD, params)).first() is not None

    async def take_for_booking(self, hold_id: UUID, user_id: UUID, now: datetime) -> Hold | None:
        """Mark the caller's live hold as booked and return it; None if it is not live."""
        params = {"row_id": hold_id, "owner": user_id, "now": now}
        row = (await self._conn.execute(_CONFIRM_HOLD, params)).first()
        return None if row is None else hold_from(row._mapping)

    async def expire_stale(self, now: datetime) -> int:
        result = await self._conn.execute(
            holds.update()
            .where(holds.c.status == HoldStatus.ACTIVE.value, holds.c.expires_at <= now)
            .values(status=HoldStatus.EXPIRED.value)
            .returning(holds.c.id)
        )
        return len(result.all())


def claim_statement(insert: Any) -> Any:
    """Insert a key unless it is there (`insert`: the dialect's, for ON CONFLICT)."""
    return insert(idempotency_keys).on_conflict_do_nothing().returning(idempotency_keys.c.key)


class SqlIdempotencyKeys:
    _CLAIM = claim_statement(sqlite.insert)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim(
        self, user_id: UUID, key: str, fingerprint: str, resource_id: UUID, now: datetime
    ) -> tuple[str, UUID] | None:
        """Record `key` for this request, or return (fingerprint, resource id) of its first use.

        On PostgreSQL, a concurrent first use of the same key makes this insert wait until
        that transaction ends; it then sees the committed row, so retries never run twice.
        """
        values = {
            "user_id": user_id,
            "key": key,
            "fingerprint": fingerprint,
            "resource_id": resource_id,
            "created_at": now,
        }
        inserted = await self._conn.execute(self._CLAIM, values)
        if inserted.first() is not None:
            return None
        return await self.find(user_id, key)

    async def claim_all(
        self, claims: Sequence[KeyClaim], now: datetime
    ) -> list[tuple[str, UUID] | None]:
        """One claim after another here; PostgreSQL claims them in one statement."""
        return [
            await self.claim(c.user_id, c.key, c.fingerprint, c.resource_id, now) for c in claims
        ]

    async def find(self, user_id: UUID, key: str) -> tuple[str, UUID] | None:
        """(fingerprint, resource id) of the first request with this key, if there was one."""
        row = (await self._conn.execute(_IDEMPOTENCY_ROW, {"owner": user_id, "key": key})).first()
        return None if row is None else (row[0], row[1])

    async def find_all(self, keys: Sequence[tuple[UUID, str]]) -> list[tuple[str, UUID] | None]:
        """One read each here; PostgreSQL reads them all in one statement."""
        return [await self.find(user_id, key) for user_id, key in keys]
