"""What every way of placing a hold shares (seats named, or chosen in rounds): its result,
the replay of a key used before, the new hold itself, and the release of the hold it
replaces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from lastseat.config import Settings
from lastseat.domain import pricing
from lastseat.domain.errors import HoldGone, NotFound
from lastseat.domain.flights import Flight
from lastseat.domain.holds import Hold, HoldStatus, check_replaceable, expiry
from lastseat.domain.users import User
from lastseat.services.idempotency import first_use
from lastseat.services.ports import IdempotencyKey, UnitOfWork


@dataclass(frozen=True, slots=True)
class HoldResult:
    hold: Hold
    replayed: bool


async def release_replaced(
    uow: UnitOfWork, user: User, replaces: UUID | None, flight_id: int, now: datetime
) -> list[str]:
    """Release the hold a new one replaces, inside the new one's transaction (so a refusal
    rolls the release back); the seats it held, or none without one."""
    if replaces is None:
        return []
    old = check_replaceable(await uow.holds.get_owned(replaces, user.id), flight_id, now)
    if not await uow.holds.close(old.id, HoldStatus.RELEASED):
        raise HoldGone("the hold to replace has ended; hold the seats anew")
    await uow.seats.release_hold(old.id)
    return list(old.seats)


async def replay_of(
    uow: UnitOfWork, user: User, idem: IdempotencyKey | None, hold_id: UUID, now: datetime
) -> HoldResult | None:
    """Claim the key for the hold `hold_id` about to be placed: None if it is new, else
    the hold the key placed before (a replay)."""
    return await replayed(uow, user, await first_use(uow, user.id, idem, hold_id, now))


async def replayed(uow: UnitOfWork, user: User, earlier: UUID | None) -> HoldResult | None:
    """The hold a key's first use placed (`earlier`), as the answer to its replay."""
    if earlier is None:
        return None
    replay = await uow.holds.get_owned(earlier, user.id)
    if replay is None:
        raise NotFound("the hold this key created no longer exists")
    return HoldResult(replay, replayed=True)


def new_hold(
    settings: Settings,
    flight: Flight,
    hold_id: UUID,
    user: User,
    seats: tuple[str, ...],
    booked: int,
    now: datetime,
) -> Hold:
    """A live hold of `seats`, priced by the `booked` seats sold so far, never by holds:
    holding seats cannot move the price another customer pays. The quote is stored with
    the hold."""
    layout = flight.layout
    return Hold(
        id=hold_id,
        user_id=user.id,
        flight_id=flight.id,
        seats=seats,
        expires_at=expiry(now, settings.hold_ttl, flight.departs_at),
        status=HoldStatus.ACTIVE,
        quote=pricing.quote(layout, seats, settings.fare_rules, booked, layout.capacity),
    )
