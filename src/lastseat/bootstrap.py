"""The composition root: build the engine, adapters and services for one process."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from lastseat.adapters.db.engine import create_engine
from lastseat.adapters.db.hot_reads import SeatReader
from lastseat.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from lastseat.adapters.passwords import Argon2Hasher
from lastseat.adapters.payments import SandboxPayments
from lastseat.config import Settings
from lastseat.services.accounts import Accounts
from lastseat.services.bookings import Bookings
from lastseat.services.catalog import Catalog
from lastseat.services.context import ServiceContext, utc_now
from lastseat.services.ports import Clock
from lastseat.services.reservations import Reservations


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    engine: AsyncEngine
    accounts: Accounts
    catalog: Catalog
    reservations: Reservations
    bookings: Bookings

    async def close(self) -> None:
        await self.engine.dispose()


def build_services(settings: Settings, clock: Clock = utc_now) -> Services:
    engine = create_engine(settings)
    uow = SqlUnitOfWorkFactory(engine)
    ctx = ServiceContext(uow=uow, settings=settings, clock=clock)
    catalog = Catalog(ctx, SeatReader(engine, uow))
    return Services(
        settings=settings,
        engine=engine,
        accounts=Accounts(ctx, Argon2Hasher(settings)),
        catalog=catalog,
        reservations=Reservations(ctx, catalog),
        bookings=Bookings(ctx, SandboxPayments()),
    )
