"""Discount codes: created by an admin, applied to a hold's quote, redeemed with a booking."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import structlog

from lastseat.domain.discounts import (
    Discount,
    DiscountNotApplicable,
    as_created,
    check_applies,
    normalise_code,
)
from lastseat.domain.errors import Conflict, InvalidFields, NotFound
from lastseat.domain.flights import Flight
from lastseat.domain.pricing import Quote
from lastseat.domain.users import User
from lastseat.services.airports import unknown_airports
from lastseat.services.context import ServiceContext
from lastseat.services.ports import UnitOfWork
from lastseat.services.throttles import discount_code_throttles, give_back_now, reserve

log = structlog.get_logger("lastseat.discounts")


async def apply_code(
    uow: UnitOfWork, quote: Quote, flight: Flight, user: User, code: str, now: datetime
) -> Quote:
    """`quote` with the code's discount, or DiscountNotApplicable naming the reason."""
    code = normalise_code(code)
    found = await uow.discounts.get(code)
    if found is None:
        raise DiscountNotApplicable(code, "no such code", telling=False)
    discount, redeemed = found
    used = await uow.discounts.used_by(code, user.id)
    check_applies(discount, quote, flight, now, used, redeemed)
    return quote.with_discount(code, discount.amount(quote))


def as_seen_by(refused: DiscountNotApplicable, user: User) -> DiscountNotApplicable:
    """The refusal as `user` may read it: an admin (support) gets the reason itself."""
    return refused if user.is_admin else refused.as_seen_by_customer()


async def try_code(
    ctx: ServiceContext,
    quote: Quote,
    flight: Flight,
    user: User,
    code: str,
    hold_id: UUID,
    address: str | None = None,
) -> Quote:
    """A customer's attempt at a code on a hold: throttled per hold, per customer and per
    address (each attempt counted before the lookup; one that applies is given back), and
    refused in words that do not tell a guesser whether the code exists."""
    throttles = discount_code_throttles(ctx.settings, user.id, hold_id, address)
    await reserve(ctx, throttles)
    try:
        async with ctx.uow() as uow:
            priced = await apply_code(uow, quote, flight, user, code, ctx.clock())
    except DiscountNotApplicable as refused:
        log.info("discount_refused", reason=refused.reason, user=str(user.id))
        raise as_seen_by(refused, user) from None
    await give_back_now(ctx, throttles)
    return priced


class Discounts:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    async def create(self, discount: Discount) -> Discount:
        """Save a new code, or refuse it before anything is saved: the same rules however
        it was typed (HTTP, CLI), and the same airports a flight may fly between."""
        discount = as_created(discount)
        route = {"origin": discount.origin, "destination": discount.destination}
        if refusals := unknown_airports(**{k: v for k, v in route.items() if v is not None}):
            raise InvalidFields(refusals)
        async with self._ctx.uow(write=True) as uow:
            if discount.flight_id is not None and await uow.flights.get(discount.flight_id) is None:
                raise NotFound(f"flight {discount.flight_id} does not exist")
            try:
                await uow.discounts.add(discount, self._ctx.clock())
            except Conflict:
                # Codes and flights are never deleted, so after a refused insert one of them
                # is known for sure: the code is there now, or the flight is not.
                if await uow.discounts.get(discount.code) is not None:
                    raise Conflict(f"discount code {discount.code} already exists") from None
                if discount.flight_id is None:
                    raise
                raise NotFound(f"flight {discount.flight_id} does not exist") from None
            await uow.commit()
        return discount
