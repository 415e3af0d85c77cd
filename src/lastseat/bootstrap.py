"""The composition root: build the adapters and services for one process."""

from __future__ import annotations

from dataclasses import dataclass

from lastseat.adapters.db.database import SqlDatabase
from lastseat.adapters.mail_smtp import SmtpPostman
from lastseat.adapters.passwords import Argon2Hasher
from lastseat.adapters.payments import HttpPayments
from lastseat.config import Settings
from lastseat.services.accounts import Accounts
from lastseat.services.bookings import Bookings
from lastseat.services.catalog import Catalog, SeatMap
from lastseat.services.context import ServiceContext, utc_now
from lastseat.services.discounts import Discounts
from lastseat.services.mail import Mail
from lastseat.services.ports import (
    ChangeFeed,
    Clock,
    Database,
    PaymentGateway,
    Postman,
    ReplicaSeatReader,
)
from lastseat.services.reservations import Reservations
from lastseat.services.seat_map_cache import SeatMapCache
from lastseat.services.session_cache import SessionCache
from lastseat.services.settlement import Settlement
from lastseat.services.waiting_room import WaitingRoom
from lastseat.services.watching import Tails, Wakeups, Watching


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    database: Database
    accounts: Accounts
    catalog: Catalog
    reservations: Reservations
    bookings: Bookings
    settlement: Settlement
    discounts: Discounts
    watching: Watching
    waiting_room: WaitingRoom
    payments: PaymentGateway
    mail: Mail
    # Other processes' changes to seats and sessions; None where there is no feed (one
    # process, SQLite).
    change_feed: ChangeFeed | None = None
    # The seat map's reader from a replica; None without one (every read on the primary).
    replica_seats: ReplicaSeatReader | None = None

    async def close(self) -> None:
        await self.waiting_room.close()
        await self.settlement.flush()
        await self.payments.close()
        await self.database.close()


def build_services(
    settings: Settings,
    clock: Clock = utc_now,
    payments: PaymentGateway | None = None,
    postman: Postman | None = None,
) -> Services:
    database = SqlDatabase(settings)
    seat_maps: SeatMapCache[SeatMap] = SeatMapCache()
    sessions = SessionCache()
    ctx = ServiceContext(
        uow=database.units_of_work,
        settings=settings,
        clock=clock,
        seat_maps=seat_maps,
        sessions=sessions,
    )
    gateway = payments or HttpPayments(settings)
    wakeups = Wakeups()

    def changed(flight_id: int) -> None:
        seat_maps.changed(flight_id)
        wakeups.wake(flight_id)

    def live(seats: bool, sessions_too: bool) -> None:
        if seats != seat_maps.live:
            seat_maps.set_live(seats)
        sessions.set_live(sessions_too)

    # The replica reader goes to the catalog's seat map and nowhere else: holds, bookings
    # and quotes read availability in units of work, on the primary.
    replica_seats = database.replica_seat_reader()
    catalog = Catalog(ctx, database.seat_reader(), replica_seats)
    settlement = Settlement(ctx, gateway)
    waiting_room = WaitingRoom(ctx, catalog)
    return Services(
        settings=settings,
        database=database,
        accounts=Accounts(ctx, Argon2Hasher(settings)),
        catalog=catalog,
        reservations=Reservations(ctx, catalog, waiting_room),
        bookings=Bookings(ctx, catalog, gateway, settlement),
        settlement=settlement,
        discounts=Discounts(ctx),
        watching=Watching(ctx, catalog, Tails(ctx, wakeups)),
        waiting_room=waiting_room,
        payments=gateway,
        mail=Mail(ctx, catalog, postman or SmtpPostman(settings)),
        change_feed=database.change_feed(changed, sessions.user_changed, live),
        replica_seats=replica_seats,
    )
