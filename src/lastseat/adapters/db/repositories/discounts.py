"""Discount codes and their redemptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.adapters.db.tables import bookings, discount_codes, discount_redemptions
from lastseat.domain.discounts import Discount, DiscountKind, DiscountNotApplicable
from lastseat.domain.errors import Conflict

_COLUMNS = (
    discount_codes.c.code,
    discount_codes.c.kind,
    discount_codes.c.value,
    discount_codes.c.currency,
    discount_codes.c.valid_from,
    discount_codes.c.valid_until,
    discount_codes.c.min_spend,
    discount_codes.c.max_redemptions,
    discount_codes.c.flight_id,
    discount_codes.c.origin,
    discount_codes.c.destination,
    discount_codes.c.redeemed,
)


def _discount(row: Sequence[Any]) -> Discount:
    return Discount(
        code=row[0],
        kind=DiscountKind(row[1]),
        value=int(row[2]),
        currency=row[3],
        valid_from=row[4],
        valid_until=row[5],
        min_spend=int(row[6]),
        max_redemptions=row[7],
        flight_id=row[8],
        origin=row[9],
        destination=row[10],
    )


class SqlDiscounts:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, discount: Discount, now: datetime) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    discount_codes.insert().values(
                        code=discount.code,
                        kind=discount.kind.value,
                        value=discount.value,
                        currency=discount.currency,
                        valid_from=discount.valid_from,
                        valid_until=discount.valid_until,
                        min_spend=discount.min_spend,
                        max_redemptions=discount.max_redemptions,
                        flight_id=discount.flight_id,
                        origin=discount.origin,
                        destination=discount.destination,
                        redeemed=0,
                        created_at=now,
                    )
                )
        except IntegrityError:
            raise Conflict(
                f"discount code {discount.code} already exists, or its flight does not"
            ) from None

    async def get(self, code: str) -> tuple[Discount, int] | None:
        """The code and how many times it has been redeemed."""
        row = (
            await self._conn.execute(sa.select(*_COLUMNS).where(discount_codes.c.code == code))
        ).first()
        return None if row is None else (_discount(row), int(row[11]))

    async def used_by(self, code: str, user_id: UUID) -> bool:
        row = await self._conn.execute(
            sa.select(discount_redemptions.c.code).where(
                discount_redemptions.c.code == code, discount_redemptions.c.user_id == user_id
            )
        )
        return row.first() is not None

    async def redeem(
        self, code: str, user_id: UUID, booking_id: UUID, amount: int, now: datetime
    ) -> None:
        """Count one use inside the booking's transaction, or refuse with the reason."""
        counted = await self._conn.execute(
            discount_codes.update()
            .where(
                discount_codes.c.code == code,
                sa.or_(
                    discount_codes.c.max_redemptions.is_(None),
                    discount_codes.c.redeemed < discount_codes.c.max_redemptions,
                ),
            )
            .values(redeemed=discount_codes.c.redeemed + 1)
            .returning(discount_codes.c.redeemed)
        )
        if counted.first() is None:
            raise DiscountNotApplicable(code, "fully redeemed", telling=False)
        try:
            await self._conn.execute(
                discount_redemptions.insert().values(
                    code=code,
                    user_id=user_id,
                    booking_id=booking_id,
                    amount=amount,
                    created_at=now,
                )
            )
        except IntegrityError:
            # a concurrent booking by the same user got there first
            raise DiscountNotApplicable(code, "already used on your account") from None

    async def give_back(self, booking_id: UUID) -> None:
        """Undo the redemption made by a booking (cancelled): the code can be used again."""
        given_back = await self._conn.execute(
            discount_redemptions.delete()
            .where(discount_redemptions.c.booking_id == booking_id)
            .returning(discount_redemptions.c.code)
        )
        code = given_back.scalar_one_or_none()
        if code is not None:
            await self._conn.execute(
                discount_codes.update()
                .where(discount_codes.c.code == code, discount_codes.c.redeemed > 0)
                .values(redeemed=discount_codes.c.redeemed - 1)
            )

    async def redemptions_on(self, flight_id: int) -> list[tuple[str, int, int]]:
        """Per code: how many live bookings of the flight used it, and the amount taken off."""
        rows = await self._conn.execute(
            sa.select(
                discount_redemptions.c.code,
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(discount_redemptions.c.amount), 0),
            )
            .select_from(
                discount_redemptions.join(
                    bookings, bookings.c.id == discount_redemptions.c.booking_id
                )
            )
            .where(bookings.c.flight_id == flight_id)
            .group_by(discount_redemptions.c.code)
            .order_by(discount_redemptions.c.code)
        )
        return [(row[0], int(row[1]), int(row[2])) for row in rows]
