"""What every way of placing a hold shares: its result, and the release of the hold it
replaces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from lastseat.domain.errors import HoldGone
from lastseat.domain.holds import Hold, HoldStatus, check_replaceable
from lastseat.domain.users import User
from lastseat.services.ports import UnitOfWork


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
