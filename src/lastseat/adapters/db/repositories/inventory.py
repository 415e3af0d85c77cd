"""Flights, their seats, and the seat-event outbox.

Every seat state change is a single conditional UPDATE ... RETURNING: the WHERE clause
is the rule ("only if still available"), so there is no read-then-write window.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.adapters.db.repositories import seat_rules
from lastseat.adapters.db.tables import UTCDateTime, events, events_pruned, flights, seats
from lastseat.domain.events import SeatEvent
from lastseat.domain.fares import Surcharges
from lastseat.domain.flights import Cabin, Flight, FlightExists, Layout, SeatStatus
from lastseat.domain.money import Money
from lastseat.services.bounded import bounded_put

AVAILABLE = SeatStatus.AVAILABLE.value
HELD = SeatStatus.HELD.value
BOOKED = SeatStatus.BOOKED.value


def layout_to_json(layout: Layout) -> dict[str, Any]:
    return {
        "cabins": [
            {
                "cabin": cabin.name,
                "rows": [cabin.first_row, cabin.last_row],
                "letters": cabin.letters,
                "fare": cabin.fare.as_dict(),
                "exit_rows": list(cabin.exit_rows),
                "aisle_after": cabin.aisle_after,
            }
            for cabin in layout.cabins
        ],
        "surcharges": asdict(layout.surcharges),
    }


# Flights share a handful of aircraft layouts: each distinct one is built and kept once
# (a 180-seat layout with its seat index is some 15 kB), not once per flight in memory.
_LAYOUTS: OrderedDict[bytes, Layout] = OrderedDict()
LAYOUTS_KEPT = 256


def layout_from_json(data: dict[str, Any]) -> Layout:
    key = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    layout = _LAYOUTS.get(key) or _layout(data)
    bounded_put(_LAYOUTS, key, layout, LAYOUTS_KEPT)
    return layout


def _layout(data: dict[str, Any]) -> Layout:
    # (migration 0008 gave layouts stored before surcharges existed this shape)
    return Layout(
        tuple(
            Cabin(
                name=item["cabin"],
                first_row=int(item["rows"][0]),
                last_row=int(item["rows"][1]),
                letters=item["letters"],
                fare=Money(int(item["fare"]["amount"]), item["fare"]["currency"]),
                exit_rows=tuple(int(row) for row in item.get("exit_rows", ())),
                aisle_after=item.get("aisle_after", ""),
            )
            for item in data["cabins"]
        ),
        Surcharges(**data["surcharges"]),
    )


# Statements are built once: building a Core statement per call costs more than running it.
_FLIGHT = sa.bindparam("flight", type_=sa.Integer())
_IS_FREE = seat_rules.core(seat_rules.in_state(SeatStatus.AVAILABLE))
_TAKEN = sa.select(seats.c.seat, seats.c.status, seats.c.held_until).where(
    seats.c.flight_id == _FLIGHT, seat_rules.core(seat_rules.taken())
)


def count_booked(flight: Any) -> sa.Select[int]:
    """The seats of `flight` (an id or a bind parameter) that are sold."""
    return sa.select(sa.func.count()).where(
        seats.c.flight_id == flight, seat_rules.core(seat_rules.in_state(SeatStatus.BOOKED))
    )


# Lock the candidate rows in one fixed order first (PostgreSQL; SQLite takes the database
# write lock at BEGIN), so overlapping multi-seat holds cannot deadlock.
_HOLD_CANDIDATES = (
    sa.select(seats.c.seat)
    .where(
        seats.c.flight_id == _FLIGHT,
        seats.c.seat.in_(sa.bindparam("names", expanding=True)),
        seat_rules.core(seat_rules.may_become(SeatStatus.HELD)),
    )
    .order_by(seats.c.seat)
    .with_for_update()
)
_HOLD = (
    seats.update()
    .where(seats.c.flight_id == _FLIGHT, seats.c.seat.in_(_HOLD_CANDIDATES.scalar_subquery()))
    .values(
        status=HELD,
        hold_id=sa.bindparam("new_hold_id", type_=sa.Uuid()),
        held_until=sa.bindparam("until", type_=UTCDateTime()),
        booking_id=None,
    )
    .returning(seats.c.seat)
)
_RELEASE_HOLD = (
    seats.update()
    .where(
        seats.c.hold_id == sa.bindparam("old_hold_id", type_=sa.Uuid()),
        sa.text(seat_rules.leaving(SeatStatus.HELD, SeatStatus.AVAILABLE)),
    )
    .values(status=AVAILABLE, hold_id=None, held_until=None)
    .returning(seats.c.flight_id, seats.c.seat)
)
_BOOK = (
    seats.update()
    .where(
        seats.c.hold_id == sa.bindparam("old_hold_id", type_=sa.Uuid()),
        seat_rules.core(seat_rules.may_become(SeatStatus.BOOKED)),
    )
    .values(
        status=BOOKED,
        booking_id=sa.bindparam("new_booking_id", type_=sa.Uuid()),
        hold_id=None,
        held_until=None,
    )
    .returning(seats.c.seat)
)
_FREE_BOOKING = (
    seats.update()
    .where(
        seats.c.booking_id == sa.bindparam("old_booking_id", type_=sa.Uuid()),
        sa.text(seat_rules.leaving(SeatStatus.BOOKED, SeatStatus.AVAILABLE)),
    )
    .values(status=AVAILABLE, booking_id=None)
    .returning(seats.c.seat)
)
_RELEASE_EXPIRED_CANDIDATES = (
    sa.select(seats.c.flight_id, seats.c.seat)
    .where(
        sa.text(seat_rules.leaving(SeatStatus.HELD, SeatStatus.AVAILABLE)),
        seat_rules.core(seat_rules.in_state(SeatStatus.AVAILABLE)),
    )
    .limit(sa.bindparam("limit", type_=sa.Integer()))
    .with_for_update(skip_locked=True)
)
_RELEASE_EXPIRED = (
    seats.update()
    .where(sa.tuple_(seats.c.flight_id, seats.c.seat).in_(_RELEASE_EXPIRED_CANDIDATES))
    .values(status=AVAILABLE, hold_id=None, held_until=None)
    .returning(seats.c.flight_id, seats.c.seat)
)
_INSERT_EVENT = events.insert()


class SqlFlights:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self,
        code: str,
        origin: str,
        destination: str,
        departs_at: datetime,
        layout: Layout,
        arrives_at: datetime | None = None,
    ) -> Flight:
        try:
            async with self._conn.begin_nested():
                flight_id = (
                    await self._conn.execute(
                        flights.insert()
                        .values(
                            code=code,
                            origin=origin,
                            destination=destination,
                            departs_at=departs_at,
                            arrives_at=arrives_at,
                            layout=layout_to_json(layout),
                        )
                        .returning(flights.c.id)
                    )
                ).scalar_one()
        except IntegrityError:
            raise FlightExists(code, departs_at) from None
        await self._conn.execute(
            seats.insert(),
            [
                {"flight_id": flight_id, "seat": seat, "status": AVAILABLE}
                for seat in layout.seat_names()
            ],
        )
        return Flight(flight_id, code, origin, destination, departs_at, layout, arrives_at)

    async def get(self, flight_id: int) -> Flight | None:
        row = (
            await self._conn.execute(
                sa.select(
                    flights.c.id,
                    flights.c.code,
                    flights.c.origin,
                    flights.c.destination,
                    flights.c.departs_at,
                    flights.c.layout,
                    flights.c.arrives_at,
                ).where(flights.c.id == flight_id)
            )
        ).first()
        if row is None:
            return None
        return Flight(row[0], row[1], row[2], row[3], row[4], layout_from_json(row[5]), row[6])

    async def search(
        self,
        now: datetime,
        origin: str | None,
        destination: str | None,
        on: date | None,
        limit: int,
        offset: int,
    ) -> list[tuple[int, str, str, str, datetime, int, datetime | None]]:
        free = (
            sa.select(sa.func.count())
            .where(seats.c.flight_id == flights.c.id, _IS_FREE)
            .scalar_subquery()
        )
        query = sa.select(
            flights.c.id,
            flights.c.code,
            flights.c.origin,
            flights.c.destination,
            flights.c.departs_at,
            free,
            flights.c.arrives_at,
        ).where(flights.c.departs_at > now)
        if origin:
            query = query.where(flights.c.origin == origin)
        if destination:
            query = query.where(flights.c.destination == destination)
        if on:
            start = datetime.combine(on, time.min, tzinfo=UTC)
            query = query.where(
                flights.c.departs_at >= start, flights.c.departs_at < start + timedelta(days=1)
            )
        query = query.order_by(flights.c.departs_at, flights.c.id).limit(limit).offset(offset)
        rows = (await self._conn.execute(query, {"now": now})).all()
        return [(r[0], r[1], r[2], r[3], r[4], int(r[5]), r[6]) for r in rows]


class SqlSeats:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def taken(self, flight_id: int, now: datetime) -> list[tuple[str, str, datetime | None]]:
        """The seats of a flight that are not free: booked, or held by a live hold.

        Every other seat is available, so a mostly empty flight reads few rows.
        """
        rows = await self._conn.execute(_TAKEN, {"flight": flight_id, "now": now})
        return [(row[0], row[1], row[2]) for row in rows]

    async def hold(
        self, flight_id: int, names: Sequence[str], hold_id: UUID, now: datetime, until: datetime
    ) -> list[str]:
        """Claim the free seats among `names` for a hold; return the ones claimed."""
        params = {
            "flight": flight_id,
            "names": list(names),
            "now": now,
            "new_hold_id": hold_id,
            "until": until,
        }
        result = await self._conn.execute(_HOLD, params)
        return [row[0] for row in result]

    async def release_hold(self, hold_id: UUID) -> list[tuple[int, str]]:
        rows = await self._conn.execute(_RELEASE_HOLD, {"old_hold_id": hold_id})
        return [(row[0], row[1]) for row in rows]

    async def book(self, hold_id: UUID, booking_id: UUID, now: datetime) -> list[str]:
        params = {"old_hold_id": hold_id, "new_booking_id": booking_id, "now": now}
        result = await self._conn.execute(_BOOK, params)
        return [row[0] for row in result]

    async def free_booking(self, booking_id: UUID) -> list[str]:
        rows = await self._conn.execute(_FREE_BOOKING, {"old_booking_id": booking_id})
        return [row[0] for row in rows]

    async def release_expired(self, now: datetime, limit: int) -> list[tuple[int, str]]:
        rows = await self._conn.execute(_RELEASE_EXPIRED, {"now": now, "limit": limit})
        return [(row[0], row[1]) for row in rows]


class SqlEvents:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def append(self, items: Sequence[SeatEvent], now: datetime) -> None:
        if not items:
            return
        await self._conn.execute(
            _INSERT_EVENT,
            [
                {
                    "flight_id": e.flight_id,
                    "seat": e.seat,
                    "status": e.status.value,
                    "created_at": now,
                }
                for e in items
            ],
        )

    async def for_flight(
        self, flight_id: int, after: int, limit: int
    ) -> list[tuple[int, str, str]]:
        rows = await self._conn.execute(
            sa.select(events.c.id, events.c.seat, events.c.status)
            .where(events.c.flight_id == flight_id, events.c.id > after)
            .order_by(events.c.id)
            .limit(limit)
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def latest(self, flight_id: int) -> int:
        """The id of the flight's last event (0 if none)."""
        result = await self._conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(events.c.id), 0)).where(
                events.c.flight_id == flight_id
            )
        )
        return int(result.scalar_one())

    async def prune(self, before: datetime, limit: int, now: datetime) -> int:
        """Delete the oldest events, at most `limit`, up to the first one created at or after
        `before`: always an id prefix, so "pruned through id N" says what is gone. Read by
        id (the primary key), not by time: no index on created_at to slow every append.
        The newest event is always kept: SQLite numbers a new row after the highest id left
        (no AUTOINCREMENT), so with none left ids would start again below those pruned."""
        newest = (await self._conn.execute(sa.select(sa.func.max(events.c.id)))).scalar_one()
        oldest = await self._conn.execute(
            sa.select(events.c.id, events.c.created_at).order_by(events.c.id).limit(limit)
        )
        through = None
        for event_id, created_at in oldest:
            if created_at >= before or event_id == newest:
                break
            through = event_id
        if through is None:
            return 0
        deleted = await self._conn.execute(events.delete().where(events.c.id <= through))
        await self._conn.execute(events_pruned.insert().values(through_id=through, pruned_at=now))
        await self._conn.execute(events_pruned.delete().where(events_pruned.c.through_id < through))
        return int(deleted.rowcount)

    async def pruned_through(self) -> int:
        """Every event with an id up to this one was pruned (0: none ever was)."""
        result = await self._conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(events_pruned.c.through_id), 0))
        )
        return int(result.scalar_one())
