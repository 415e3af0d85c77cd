"""Sales through a waiting room and their lines (portable Core statements: the line is
written once per traveller and read about once a second, never on the hold's path)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.adapters.db.tables import bookings, sale_places, sales
from lastseat.domain.waiting_room import Sale
from lastseat.services.ports import LinePlace, SaleLock

_SALE = (
    sales.c.flight_id,
    sales.c.opens_at,
    sales.c.admissions_per_minute,
    sales.c.active_cap,
    sales.c.admission_seconds,
    sales.c.number,
    sales.c.paced_until,
)
_PLACE = (
    sale_places.c.place_id,
    sale_places.c.user_id,
    sale_places.c.arrival_second,
    sale_places.c.draw,
    sale_places.c.admitted_at,
    sale_places.c.expires_at,
)
_LINE_ORDER = (sale_places.c.arrival_second, sale_places.c.draw)


def _sale(row: Sequence[Any]) -> tuple[Sale, datetime]:
    sale = Sale(
        flight_id=row[0],
        opens_at=row[1],
        admissions_per_minute=row[2],
        active_cap=row[3],
        admission_ttl=timedelta(seconds=row[4]),
        number=row[5],
    )
    return sale, row[6]


def _place(row: Sequence[Any]) -> LinePlace:
    return LinePlace(*row)


def _waiting(flight_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(sale_places.c.flight_id == flight_id, sale_places.c.admitted_at.is_(None))


class SqlSales:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def _insert(self) -> Any:
        dialect = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        return dialect.insert

    async def add(self, sale: Sale, now: datetime) -> bool:
        """Open `sale`; False if the flight has one already."""
        statement = (
            self._insert()(sales)
            .values(
                flight_id=sale.flight_id,
                opens_at=sale.opens_at,
                admissions_per_minute=sale.admissions_per_minute,
                active_cap=sale.active_cap,
                admission_seconds=int(sale.admission_ttl.total_seconds()),
                paced_until=sale.opens_at,
                number=sale.number,
                created_at=now,
            )
            .on_conflict_do_nothing()
            .returning(sales.c.flight_id)
        )
        return (await self._conn.execute(statement)).first() is not None

    async def get(
        self, flight_id: int, lock: SaleLock | None = None
    ) -> tuple[Sale, datetime] | None:
        """The sale and how far its admissions have paced, with `lock` until the end of the
        transaction: `admit` makes admissions to one line one process at a time; `keep`
        keeps the sale from ending meanwhile, and does not wait for admissions."""
        query = sa.select(*_SALE).where(sales.c.flight_id == flight_id)
        if lock is SaleLock.ADMIT:
            query = query.with_for_update(key_share=True)  # FOR NO KEY UPDATE
        elif lock is SaleLock.KEEP:
            query = query.with_for_update(read=True, key_share=True)  # FOR KEY SHARE
        row = (await self._conn.execute(query)).first()
        return None if row is None else _sale(row)

    async def all(self) -> list[Sale]:
        return [_sale(row)[0] for row in await self._conn.execute(sa.select(*_SALE))]

    async def remove(self, flight_id: int) -> bool:
        await self._conn.execute(sale_places.delete().where(sale_places.c.flight_id == flight_id))
        result = await self._conn.execute(
            sales.delete().where(sales.c.flight_id == flight_id).returning(sales.c.flight_id)
        )
        return result.first() is not None

    async def set_paced_until(self, flight_id: int, paced_until: datetime) -> None:
        await self._conn.execute(
            sales.update().where(sales.c.flight_id == flight_id).values(paced_until=paced_until)
        )

    async def place(self, flight_id: int, user_id: UUID) -> LinePlace | None:
        return await self._one_place(flight_id, sale_places.c.user_id == user_id)

    async def place_by_id(self, flight_id: int, place_id: UUID) -> LinePlace | None:
        return await self._one_place(flight_id, sale_places.c.place_id == place_id)

    async def _one_place(self, flight_id: int, which: sa.ColumnElement[bool]) -> LinePlace | None:
        query = sa.select(*_PLACE).where(sale_places.c.flight_id == flight_id, which)
        row = (await self._conn.execute(query)).first()
        return None if row is None else _place(row)

    async def join(
        self, flight_id: int, user_id: UUID, place: LinePlace, joined_at: datetime
    ) -> bool:
        """Take `place` in the line; False if the traveller has one (kept as it is)."""
        statement = (
            self._insert()(sale_places)
            .values(
                flight_id=flight_id,
                user_id=user_id,
                place_id=place.place_id,
                joined_at=joined_at,
                arrival_second=place.arrival_second,
                draw=place.draw,
            )
            .on_conflict_do_nothing()
            .returning(sale_places.c.place_id)
        )
        return (await self._conn.execute(statement)).first() is not None

    async def rejoin(
        self, flight_id: int, user_id: UUID, place: LinePlace, joined_at: datetime
    ) -> bool:
        """Back of the line for a traveller whose admission is over at `joined_at`; False
        if it is not (another request of theirs put them back first)."""
        result = await self._conn.execute(
            sale_places.update()
            .where(
                sale_places.c.flight_id == flight_id,
                sale_places.c.user_id == user_id,
                sale_places.c.expires_at <= joined_at,
            )
            .returning(sale_places.c.place_id)
            .values(
                place_id=place.place_id,
                joined_at=joined_at,
                arrival_second=place.arrival_second,
                draw=place.draw,
                admitted_at=None,
                expires_at=None,
            )
        )
        return result.first() is not None

    async def ahead_of(self, flight_id: int, place: LinePlace) -> int:
        """How many wait before `place`."""
        ahead = sa.tuple_(*_LINE_ORDER) < sa.tuple_(
            sa.literal(place.arrival_second), sa.literal(place.draw)
        )
        query = (
            sa.select(sa.func.count()).select_from(sale_places).where(_waiting(flight_id), ahead)
        )
        return int((await self._conn.execute(query)).scalar_one())

    async def waiting_order(self, flight_id: int, limit: int) -> list[UUID]:
        """The places waiting, first in line first."""
        query = (
            sa.select(sale_places.c.place_id)
            .where(_waiting(flight_id))
            .order_by(*_LINE_ORDER)
            .limit(limit)
        )
        return [row[0] for row in await self._conn.execute(query)]

    async def counts(self, flight_id: int, now: datetime) -> tuple[int, int]:
        """How many wait, and how many are admitted and not done (not booked since their
        admission, and not expired)."""
        booked_since = sa.exists().where(
            bookings.c.user_id == sale_places.c.user_id,
            bookings.c.flight_id == sale_places.c.flight_id,
            bookings.c.created_at >= sale_places.c.admitted_at,
        )
        active = sa.and_(
            sale_places.c.admitted_at.is_not(None), sale_places.c.expires_at > now, ~booked_since
        )
        query = sa.select(
            sa.func.count().filter(sale_places.c.admitted_at.is_(None)),
            sa.func.count().filter(active),
        ).where(sale_places.c.flight_id == flight_id)
        waiting, admitted = (await self._conn.execute(query)).one()
        return int(waiting), int(admitted)

    async def admit(
        self, flight_id: int, limit: int, before_second: int, now: datetime, expires_at: datetime
    ) -> int:
        """Admit up to `limit` first in line whose second of arrival is over; how many."""
        first = (
            sa.select(sale_places.c.user_id)
            .where(_waiting(flight_id), sale_places.c.arrival_second < before_second)
            .order_by(*_LINE_ORDER)
            .limit(limit)
        )
        chosen = [row[0] for row in await self._conn.execute(first)]
        if chosen:
            await self._conn.execute(
                sale_places.update()
                .where(sale_places.c.flight_id == flight_id, sale_places.c.user_id.in_(chosen))
                .values(admitted_at=now, expires_at=expires_at)
            )
        return len(chosen)
