"""What every use case shares: the unit-of-work factory, the settings and the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lastseat.config import Settings
from lastseat.services.ports import Clock, UnitOfWorkFactory
from lastseat.services.seat_map_cache import SeatMapCache
from lastseat.services.session_cache import SessionCache


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ServiceContext:
    uow: UnitOfWorkFactory
    settings: Settings
    clock: Clock = utc_now
    # Seat maps between changes; writers tell it which flights they changed.
    seat_maps: SeatMapCache[Any] = field(default_factory=SeatMapCache)
    # Bearer tokens' users between changes; writers tell it whose sessions they changed.
    sessions: SessionCache = field(default_factory=SessionCache)
