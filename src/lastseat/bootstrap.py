"""The composition root: build the engine, adapters and services for one process."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from lastseat.adapters.db.engine import create_engine
from lastseat.adapters.db.hot_reads import seat_reader
from lastseat.adapters.db.seat_feed import PgSeatFeed
from lastseat.adapters.db.unit_of_work import SqlUnitOfWorkFactory
from lastseat.adapters.passwords import Argon2Hasher
from lastseat.adapters.payments import HttpPayments
from lastseat.config import Settings
from lastseat.services.accounts import Accounts
from lastseat.services.bookings import Bookings
from lastseat.services.catalog import Catalog, SeatMap
from lastseat.services.context import ServiceContext, utc_now
from lastseat.services.discounts import Discounts
from lastseat.services.ports import Clock, PaymentGateway
from lastseat.services.reservations import Reservations
from lastseat.services.seat_map_cache import SeatMapCache
from lastseat.services.settlement import Settlement
from lastseat.services.watching import Tails, Wakeups, Watching


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    engine: AsyncEngine
    accounts: Accounts
    catalog: Catalog
    reservations: Reservations
    bookings: Bookings
    settlement: Settlement
    discounts: Discounts
    watching: Watching
    payments: PaymentGateway
    # LISTEN for other processes' seat changes (PostgreSQL); None where there is no feed.
    seat_feed: PgSeatFeed | None = None

    async def close(self) -> None:
        await self.settlement.flush()
        await self.payments.close()
        await self.engine.dispose()


def build_services(
    settings: Settings, clock: Clock = utc_now, payments: PaymentGateway | None = None
) -> Services:
    engine = create_engine(settings)
    uow = SqlUnitOfWorkFactory(engine)
    seat_maps: SeatMapCache[SeatMap] = SeatMapCache()
    ctx = ServiceContext(uow=uow, settings=settings, clock=clock, seat_maps=seat_maps)
    gateway = payments or HttpPayments(settings)
    feed = None
    wakeups = Wakeups()
    if engine.dialect.name == "postgresql":

        def changed(flight_id: int) -> None:
            seat_maps.changed(flight_id)
            wakeups.wake(flight_id)

        feed = PgSeatFeed(engine, on_change=changed, on_live=seat_maps.set_live)
    catalog = Catalog(ctx, seat_reader(engine, uow))
    settlement = Settlement(ctx, gateway)
    return Services(
        settings=settings,
        engine=engine,
        accounts=Accounts(ctx, Argon2Hasher(settings)),
        catalog=catalog,
        reservations=Reservations(ctx, catalog),
        bookings=Bookings(ctx, catalog, gateway, settlement),
        settlement=settlement,
        discounts=Discounts(ctx),
        watching=Watching(ctx, catalog, Tails(ctx, wakeups)),
        payments=gateway,
        seat_feed=feed,
    )
