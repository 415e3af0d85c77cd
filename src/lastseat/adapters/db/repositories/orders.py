"""Holds, bookings and idempotency keys."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.adapters.db.repositories import pg_sql
from lastseat.adapters.db.tables import (
    UTCDateTime,
    booking_seats,
    bookings,
    holds,
    idempotency_keys,
    seats,
    users,
)
from lastseat.domain.bookings import Booking, BookingStatus, PaymentStatus
from lastseat.domain.holds import HeldSeats, Hold, HoldStatus
from lastseat.domain.money import Money
from lastseat.domain.pricing import Quote

# Statements are built once: building a Core statement per call costs more than running it.
_ID = sa.bindparam("row_id", type_=sa.Uuid())
_USER = sa.bindparam("owner", type_=sa.Uuid())
_NOW = sa.bindparam("now", type_=UTCDateTime())
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
_BOOKING_COLUMNS = (
    bookings.c.id,
    bookings.c.reference,
    bookings.c.user_id,
    bookings.c.flight_id,
    bookings.c.seats,
    bookings.c.total_amount,
    bookings.c.currency,
    bookings.c.status,
    bookings.c.created_at,
    bookings.c.discount_code,
    bookings.c.discount_amount,
    bookings.c.payment_id,
    bookings.c.payment_status,
)
_INSERT_HOLD = holds.insert()
_OWNED_HOLD = sa.select(*_HOLD_COLUMNS).where(holds.c.id == _ID, holds.c.user_id == _USER)
_CLOSE_HOLD = (
    holds.update()
    .where(holds.c.id == _ID, holds.c.status == HoldStatus.ACTIVE.value)
    .values(status=_STATUS)
    .returning(holds.c.id)
)
_CONFIRM_HOLD = (
    holds.update()
    .where(
        holds.c.id == _ID,
        holds.c.user_id == _USER,
        holds.c.status == HoldStatus.ACTIVE.value,
        holds.c.expires_at > _NOW,
    )
    .values(status=HoldStatus.BOOKED.value)
    .returning(*_HOLD_COLUMNS)
)
_INSERT_BOOKING = bookings.insert()
_INSERT_BOOKING_SEAT = booking_seats.insert()
_OWNED_BOOKING = sa.select(*_BOOKING_COLUMNS).where(
    bookings.c.id == _ID, bookings.c.user_id == _USER
)
_CANCEL_BOOKING = (
    bookings.update()
    .where(bookings.c.id == _ID, bookings.c.status == BookingStatus.CONFIRMED.value)
    # A cancellation is a new thing to settle: whatever a capture's tries came to, paying
    # back gets its own (a booking stuck capturing must not stay stuck refunding).
    .values(
        status=BookingStatus.CANCELLED.value,
        cancelled_at=_NOW,
        settle_attempts=0,
        settle_after=None,
        settle_error=None,
    )
    .returning(bookings.c.id)
)
_RETIRE_BOOKING_SEATS = (
    booking_seats.update()
    .where(booking_seats.c.booking_id == sa.bindparam("booking", type_=sa.Uuid()))
    .values(active=False)
)
# Money not yet where the booking wants it: a confirmed booking not captured, a cancelled
# one not voided or refunded (domain/settlement.py).
_UNSETTLED = sa.or_(
    sa.and_(
        bookings.c.status == BookingStatus.CONFIRMED.value,
        bookings.c.payment_status == PaymentStatus.AUTHORIZED.value,
    ),
    sa.and_(
        bookings.c.status == BookingStatus.CANCELLED.value,
        bookings.c.payment_status.in_(
            [PaymentStatus.AUTHORIZED.value, PaymentStatus.CAPTURED.value]
        ),
    ),
)
_IDEMPOTENCY_ROW = sa.select(idempotency_keys.c.fingerprint, idempotency_keys.c.resource_id).where(
    idempotency_keys.c.user_id == _USER,
    idempotency_keys.c.key == sa.bindparam("key", type_=sa.String()),
)


def _claim_statement(dialect: str) -> Any:
    insert: Any = (postgresql if dialect == "postgresql" else sqlite).insert(idempotency_keys)
    return insert.on_conflict_do_nothing().returning(idempotency_keys.c.key)


_CLAIM = {name: _claim_statement(name) for name in ("postgresql", "sqlite")}


def _hold(row: Sequence[Any]) -> Hold:
    return Hold(
        id=row[0],
        user_id=row[1],
        flight_id=row[2],
        seats=tuple(row[3]),
        expires_at=row[4],
        status=HoldStatus(row[5]),
        quote=Quote.from_dict(row[6]),
    )


def _booking(row: Sequence[Any]) -> Booking:
    return Booking(
        id=row[0],
        reference=row[1],
        user_id=row[2],
        flight_id=row[3],
        seats=tuple(row[4]),
        total=Money(int(row[5]), row[6]),
        status=BookingStatus(row[7]),
        created_at=row[8],
        discount_code=row[9],
        discount=int(row[10]),
        payment_id=row[11],
        payment_status=None if row[12] is None else PaymentStatus(row[12]),
    )


class SqlHolds:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, hold: Hold, now: datetime, address: str | None) -> None:
        if self._conn.dialect.name == "postgresql":
            args = (
                hold.id,
                hold.user_id,
                hold.flight_id,
                pg_sql.json_text(list(hold.seats)),
                pg_sql.json_text(hold.quote.as_dict()),
                hold.status.value,
                pg_sql.naive_utc(now),
                pg_sql.naive_utc(hold.expires_at),
                address,
            )
            await self._conn.exec_driver_sql(pg_sql.INSERT_HOLD, args)
            return
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

    async def serialize(self, user_id: UUID, address: str | None) -> None:
        """PostgreSQL: transaction locks on the customer and the address, always taken in
        that order (so two holds cannot deadlock on them). SQLite: a writing transaction
        already holds the database's one write lock."""
        if self._conn.dialect.name != "postgresql":
            return
        await self._conn.exec_driver_sql(pg_sql.LOCK_CUSTOMER_HOLDS, (str(user_id),))
        if address is not None:
            await self._conn.exec_driver_sql(pg_sql.LOCK_ADDRESS_HOLDS, (address,))

    async def held_now(
        self, user_id: UUID, address: str | None, flight_id: int, now: datetime
    ) -> HeldSeats:
        def seats_where(condition: Any) -> Any:
            return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

        mine = holds.c.user_id == user_id
        on_flight = holds.c.flight_id == flight_id
        same_address = (
            sa.and_(holds.c.client_address == address, on_flight)
            if address is not None
            else sa.false()
        )
        row = (
            await self._conn.execute(
                sa.select(
                    seats_where(sa.and_(mine, on_flight)),
                    seats_where(mine),
                    seats_where(same_address),
                )
                .select_from(holds.join(seats, seats.c.hold_id == holds.c.id))
                .where(
                    holds.c.status == HoldStatus.ACTIVE.value,
                    holds.c.expires_at > now,
                    sa.or_(mine, same_address),
                )
            )
        ).one()
        # Seats in live bookings, by the customer and by holds asked from the address.
        owner = bookings.join(holds, holds.c.id == bookings.c.hold_id)
        mine_booked = bookings.c.user_id == user_id
        address_booked = holds.c.client_address == address if address is not None else sa.false()
        booked = (
            await self._conn.execute(
                sa.select(seats_where(mine_booked), seats_where(address_booked))
                .select_from(booking_seats.join(owner, bookings.c.id == booking_seats.c.booking_id))
                .where(
                    booking_seats.c.flight_id == flight_id,
                    booking_seats.c.active,
                    sa.or_(mine_booked, address_booked),
                )
            )
        ).one()
        return HeldSeats(int(row[0]), int(row[1]), int(row[2]), int(booked[0]), int(booked[1]))

    async def get_owned(self, hold_id: UUID, user_id: UUID) -> Hold | None:
        row = (await self._conn.execute(_OWNED_HOLD, {"row_id": hold_id, "owner": user_id})).first()
        return None if row is None else _hold(row)

    async def close(self, hold_id: UUID, status: HoldStatus) -> bool:
        """Move an active hold to `status`; False if it was no longer active."""
        params = {"row_id": hold_id, "new_status": status.value}
        return (await self._conn.execute(_CLOSE_HOLD, params)).first() is not None

    async def take_for_booking(self, hold_id: UUID, user_id: UUID, now: datetime) -> Hold | None:
        """Mark the caller's live hold as booked and return it; None if it is not live."""
        if self._conn.dialect.name == "postgresql":
            args = (hold_id, user_id, pg_sql.naive_utc(now))
            found: Sequence[Any] | None = (
                await self._conn.exec_driver_sql(pg_sql.TAKE_HOLD_FOR_BOOKING, args)
            ).first()
            if found is None:
                return None
            values = list(found)
            values[4] = pg_sql.aware(values[4])
            return _hold(values)
        params = {"row_id": hold_id, "owner": user_id, "now": now}
        row = (await self._conn.execute(_CONFIRM_HOLD, params)).first()
        return None if row is None else _hold(row)

    async def expire_stale(self, now: datetime) -> int:
        result = await self._conn.execute(
            holds.update()
            .where(holds.c.status == HoldStatus.ACTIVE.value, holds.c.expires_at <= now)
            .values(status=HoldStatus.EXPIRED.value)
            .returning(holds.c.id)
        )
        return len(result.all())


class SqlBookings:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, booking: Booking, hold_id: UUID) -> None:
        if self._conn.dialect.name == "postgresql":
            args = (
                booking.id,
                booking.reference,
                booking.user_id,
                booking.flight_id,
                hold_id,
                pg_sql.json_text(list(booking.seats)),
                booking.total.amount,
                booking.total.currency,
                booking.status.value,
                pg_sql.naive_utc(booking.created_at),
                booking.discount_code,
                booking.discount,
                booking.payment_id,
                None if booking.payment_status is None else booking.payment_status.value,
            )
            await self._conn.exec_driver_sql(pg_sql.INSERT_BOOKING, args)
            return
        await self._conn.execute(
            _INSERT_BOOKING,
            {
                "id": booking.id,
                "reference": booking.reference,
                "user_id": booking.user_id,
                "flight_id": booking.flight_id,
                "hold_id": hold_id,
                "seats": list(booking.seats),
                "total_amount": booking.total.amount,
                "currency": booking.total.currency,
                "status": booking.status.value,
                "created_at": booking.created_at,
                "discount_code": booking.discount_code,
                "discount_amount": booking.discount,
                "payment_id": booking.payment_id,
                "payment_status": (
                    None if booking.payment_status is None else booking.payment_status.value
                ),
            },
        )

    async def add_seats(self, booking: Booking) -> None:
        """Record the booking's seats as live; the unique index refuses any seat sold twice."""
        if self._conn.dialect.name == "postgresql":
            rows = [(booking.id, seat, booking.flight_id) for seat in booking.seats]
            await self._conn.exec_driver_sql(
                pg_sql.INSERT_BOOKING_SEAT,
                rows[0] if len(rows) == 1 else rows,
            )
            return
        await self._conn.execute(
            _INSERT_BOOKING_SEAT,
            [
                {
                    "booking_id": booking.id,
                    "seat": seat,
                    "flight_id": booking.flight_id,
                    "active": True,
                }
                for seat in booking.seats
            ],
        )

    async def get_owned(self, booking_id: UUID, user_id: UUID) -> Booking | None:
        params = {"row_id": booking_id, "owner": user_id}
        row = (await self._conn.execute(_OWNED_BOOKING, params)).first()
        return None if row is None else _booking(row)

    async def list_owned(self, user_id: UUID, limit: int, offset: int) -> list[Booking]:
        rows = await self._conn.execute(
            sa.select(*_BOOKING_COLUMNS)
            .where(bookings.c.user_id == user_id)
            .order_by(bookings.c.created_at.desc(), bookings.c.id)
            .limit(limit)
            .offset(offset)
        )
        return [_booking(row) for row in rows]

    async def cancel(self, booking_id: UUID, now: datetime) -> bool:
        rows = await self._conn.execute(_CANCEL_BOOKING, {"row_id": booking_id, "now": now})
        if rows.first() is None:
            return False
        await self._conn.execute(_RETIRE_BOOKING_SEATS, {"booking": booking_id})
        return True

    async def mark_captured(self, booking_ids: Collection[UUID]) -> None:
        await self._conn.execute(
            bookings.update()
            .where(
                bookings.c.id.in_(list(booking_ids)),
                bookings.c.payment_status == PaymentStatus.AUTHORIZED.value,
            )
            .values(payment_status=PaymentStatus.CAPTURED.value)
        )

    async def claim_unsettled(
        self, now: datetime, lease_until: datetime, limit: int, max_attempts: int
    ) -> list[Booking]:
        """The oldest unsettled bookings that are due, leased to this process until
        `lease_until` (rows another process is working on are skipped, not waited for)."""
        due = (
            sa.select(bookings.c.id)
            .where(
                _UNSETTLED,
                bookings.c.settle_attempts < max_attempts,
                sa.or_(bookings.c.settle_after.is_(None), bookings.c.settle_after <= now),
            )
            .order_by(bookings.c.created_at, bookings.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = [row[0] for row in await self._conn.execute(due)]
        if not ids:
            return []
        await self._conn.execute(
            bookings.update().where(bookings.c.id.in_(ids)).values(settle_after=lease_until)
        )
        rows = await self._conn.execute(
            sa.select(*_BOOKING_COLUMNS)
            .where(bookings.c.id.in_(ids))
            .order_by(bookings.c.created_at, bookings.c.id)
        )
        return [_booking(row) for row in rows]

    async def settled(self, booking_id: UUID, status: PaymentStatus) -> None:
        await self._conn.execute(
            bookings.update()
            .where(bookings.c.id == booking_id)
            .values(
                payment_status=status.value, settle_attempts=0, settle_after=None, settle_error=None
            )
        )

    async def settle_failed(self, booking_id: UUID, error: str, give_up_at: int | None) -> int:
        """Count a failed attempt (or jump to `give_up_at`); return the attempts so far."""
        attempts = (
            bookings.c.settle_attempts + 1
            if give_up_at is None
            else sa.func.max(bookings.c.settle_attempts + 1, give_up_at)
            if self._conn.dialect.name == "sqlite"
            else sa.func.greatest(bookings.c.settle_attempts + 1, give_up_at)
        )
        row = await self._conn.execute(
            bookings.update()
            .where(bookings.c.id == booking_id)
            .values(settle_attempts=attempts, settle_error=error[:64])
            .returning(bookings.c.settle_attempts)
        )
        return int(row.scalar_one())

    async def settle_later(self, booking_id: UUID, at: datetime) -> None:
        await self._conn.execute(
            bookings.update().where(bookings.c.id == booking_id).values(settle_after=at)
        )

    async def stuck(self, max_attempts: int, limit: int) -> list[tuple[Booking, int, str | None]]:
        """Unsettled bookings past their attempts, oldest first, with the last failure."""
        rows = await self._conn.execute(
            sa.select(*_BOOKING_COLUMNS, bookings.c.settle_attempts, bookings.c.settle_error)
            .where(_UNSETTLED, bookings.c.settle_attempts >= max_attempts)
            .order_by(bookings.c.created_at, bookings.c.id)
            .limit(limit)
        )
        width = len(_BOOKING_COLUMNS)
        return [(_booking(row), int(row[width]), row[width + 1]) for row in rows]

    async def count_stuck(self, max_attempts: int) -> int:
        result = await self._conn.execute(
            sa.select(sa.func.count()).where(_UNSETTLED, bookings.c.settle_attempts >= max_attempts)
        )
        return int(result.scalar_one())

    async def retry_settlement(self, booking_id: UUID) -> bool:
        """Give a stuck booking its attempts back (an operator fixed the cause)."""
        result = await self._conn.execute(
            bookings.update()
            .where(bookings.c.id == booking_id, _UNSETTLED)
            .values(settle_attempts=0, settle_after=None)
            .returning(bookings.c.id)
        )
        return result.first() is not None

    async def revenue(self, flight_id: int) -> tuple[int, int]:
        """Confirmed bookings of the flight and the sum they were charged."""
        row = (
            await self._conn.execute(
                sa.select(
                    sa.func.count(), sa.func.coalesce(sa.func.sum(bookings.c.total_amount), 0)
                ).where(
                    bookings.c.flight_id == flight_id,
                    bookings.c.status == BookingStatus.CONFIRMED.value,
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def manifest(self, flight_id: int) -> list[tuple[str, str, UUID, str]]:
        rows = await self._conn.execute(
            sa.select(booking_seats.c.seat, bookings.c.reference, bookings.c.user_id, users.c.email)
            .select_from(
                booking_seats.join(bookings, bookings.c.id == booking_seats.c.booking_id).join(
                    users, users.c.id == bookings.c.user_id
                )
            )
            .where(booking_seats.c.flight_id == flight_id, booking_seats.c.active)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]


class SqlIdempotencyKeys:
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
        inserted = await self._conn.execute(_CLAIM[self._conn.dialect.name], values)
        if inserted.first() is not None:
            return None
        return await self.find(user_id, key)

    async def find(self, user_id: UUID, key: str) -> tuple[str, UUID] | None:
        """(fingerprint, resource id) of the first request with this key, if there was one."""
        row = (await self._conn.execute(_IDEMPOTENCY_ROW, {"owner": user_id, "key": key})).first()
        return None if row is None else (row[0], row[1])
