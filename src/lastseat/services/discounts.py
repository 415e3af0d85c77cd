"""Discount codes: created by an admin, applied to a hold's quote, redeemed with a booking."""

from __future__ import annotations

from datetime import datetime

from lastseat.domain.discounts import (
    Discount,
    DiscountNotApplicable,
    check_applies,
    normalise_code,
)
from lastseat.domain.errors import NotFound
from lastseat.domain.flights import Flight
from lastseat.domain.pricing import Quote
from lastseat.domain.users import User
from lastseat.services.context import ServiceContext
from lastseat.services.ports import UnitOfWork


async def apply_code(
    uow: UnitOfWork, quote: Quote, flight: Flight, user: User, code: str, now: datetime
) -> Quote:
    """`quote` with the code's discount, or DiscountNotApplicable naming the reason."""
    code = normalise_code(code)
    found = await uow.discounts.get(code)
    if found is None:
        raise DiscountNotApplicable(code, "no such code")
    discount, redeemed = found
    used = await uow.discounts.used_by(code, user.id)
    check_applies(discount, quote, flight, now, used, redeemed)
    return quote.with_discount(code, discount.amount(quote))


class Discounts:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    async def create(self, discount: Discount) -> Discount:
        async with self._ctx.uow(write=True) as uow:
            if discount.flight_id is not None and await uow.flights.get(discount.flight_id) is None:
                raise NotFound(f"flight {discount.flight_id} does not exist")
            await uow.discounts.add(discount, self._ctx.clock())
            await uow.commit()
        return discount
