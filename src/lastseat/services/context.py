"""What every use case shares: the unit-of-work factory, the settings and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lastseat.config import Settings
from lastseat.services.ports import Clock, UnitOfWorkFactory


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ServiceContext:
    uow: UnitOfWorkFactory
    settings: Settings
    clock: Clock = utc_now
