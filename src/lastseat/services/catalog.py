"""Flights: creation by an admin, search, seat maps and manifests."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from uuid import UUID

from lastseat.domain.errors import InvalidFields, NotFound, seat_sort_key
from lastseat.domain.flights import (
    Flight,
    Layout,
    SeatStatus,
    route_refusals,
    schedule_refusals,
)
from lastseat.domain.money import Money
from lastseat.domain.passengers import Passenger
from lastseat.domain.requests import PAGE_SIZE
from lastseat.services.airports import unknown_airports
from lastseat.services.bounded import bounded_put
from lastseat.services.context import ServiceContext
from lastseat.services.ports import SeatReader, UnitOfWork
from lastseat.services.shared_reads import SharedReads

FLIGHT_CACHE_SIZE = 4_096
# A new flight's fields in the order its request (and the admin's form) has them: refusals
# are listed in this order.
FLIGHT_FIELDS = ("code", "origin", "destination", "departs_at", "arrives_at")


@dataclass(frozen=True, slots=True)
class NewFlight:
    code: str
    origin: str
    destination: str
    departs_at: datetime
    layout: Layout
    arrives_at: datetime | None = None  # None: not given, shown as unknown


@dataclass(frozen=True, slots=True)
class FlightSummary:
    id: int
    code: str
    origin: str
    destination: str
    departs_at: datetime
    seats_available: int
    arrives_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SeatMap:
    """A flight's seats: those in `taken` are held or booked, every other one is available."""

    flight: Flight
    taken: dict[str, str]
    demand_permille: int  # the multiplier a hold made now would pay

    def status(self, seat: str) -> str:
        return self.taken.get(seat, SeatStatus.AVAILABLE.value)

    def taken_among(self, seats: Iterable[str]) -> list[str]:
        return [seat for seat in seats if seat in self.taken]

    def available(self) -> list[str]:
        return [seat for seat in self.flight.layout.seat_names() if seat not in self.taken]


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    seat: str
    reference: str
    user_id: UUID
    passenger: Passenger | None  # None for a booking made before passengers were named


@dataclass(frozen=True, slots=True)
class Redemptions:
    code: str
    uses: int
    discounted: Money


@dataclass(frozen=True, slots=True)
class Manifest:
    flight: Flight
    passengers: list[ManifestEntry]
    bookings: int
    revenue: Money  # what confirmed bookings were charged
    redemptions: list[Redemptions]


class FlightCache:
    """Flights never change once created, so each process keeps the ones it has read."""

    def __init__(self, size: int = FLIGHT_CACHE_SIZE) -> None:
        self._size = size
        self._items: OrderedDict[int, Flight] = OrderedDict()

    def get(self, flight_id: int) -> Flight | None:
        flight = self._items.get(flight_id)
        if flight is not None:
            self._items.move_to_end(flight_id)
        return flight

    def put(self, flight: Flight) -> None:
        bounded_put(self._items, flight.id, flight, self._size)


class Catalog:
    def __init__(
        self,
        ctx: ServiceContext,
        seats: SeatReader,
        replica_seats: SeatReader | None = None,
        cache: FlightCache | None = None,
    ) -> None:
        """`seats` reads the primary; `replica_seats`, if given, may answer from a replica
        within the staleness bound, and serves `seat_map` alone (never a hold, a booking,
        a quote or a watcher's snapshot, which must not be older than the primary)."""
        self._ctx = ctx
        self._seats = seats
        self._replica_seats = replica_seats or seats
        self._cache = cache or FlightCache()
        # When a sale opens, the first hundreds of requests would each read the flight, and
        # then its map after every change: concurrent reads of either share one.
        self._flight_reads: SharedReads[int, Flight] = SharedReads()
        self._map_reads: SharedReads[tuple[int, tuple[int, int]], SeatMap] = SharedReads()

    def now(self) -> datetime:
        return self._ctx.clock()

    async def create_flight(self, spec: NewFlight) -> Flight:
        # Every field refused at once: the admin's form marks them all in one try.
        refusals = route_refusals(spec.code, spec.origin, spec.destination)
        refused = {refusal.loc for refusal in refusals}
        refusals += unknown_airports(
            **{
                name: code
                for name, code in (("origin", spec.origin), ("destination", spec.destination))
                if (name,) not in refused
            }
        )
        refusals += schedule_refusals(spec.departs_at, spec.arrives_at, self._ctx.clock())
        if refusals:
            raise InvalidFields(sorted(refusals, key=lambda r: FLIGHT_FIELDS.index(str(r.loc[0]))))
        async with self._ctx.uow(write=True) as uow:
            flight = await uow.flights.add(
                spec.code,
                spec.origin,
                spec.destination,
                spec.departs_at,
                spec.layout,
                spec.arrives_at,
            )
            await uow.commit()
        self._cache.put(flight)
        return flight

    async def flight(self, flight_id: int, uow: UnitOfWork | None = None) -> Flight:
        """The flight, from this process's cache or else the database: through `uow` when
        the caller has one open (a second connection inside a unit of work would hold two
        of the pool's connections, and with every caller doing so, wait on itself)."""
        cached = self._cache.get(flight_id)
        if cached is not None:
            return cached
        if uow is not None:
            return self._kept(flight_id, await uow.flights.get(flight_id))
        return await self._flight_reads.read(flight_id, partial(self._read, flight_id))

    async def _read(self, flight_id: int) -> Flight:
        async with self._ctx.uow() as own:
            return self._kept(flight_id, await own.flights.get(flight_id))

    def _kept(self, flight_id: int, flight: Flight | None) -> Flight:
        if flight is None:
            raise NotFound(f"flight {flight_id} does not exist")
        self._cache.put(flight)
        return flight

    async def search(
        self,
        origin: str | None = None,
        destination: str | None = None,
        on: date | None = None,
        limit: int = PAGE_SIZE,
        offset: int = 0,
    ) -> list[FlightSummary]:
        async with self._ctx.uow() as uow:
            rows = await uow.flights.search(
                self._ctx.clock(), origin, destination, on, limit, offset
            )
        return [FlightSummary(*row) for row in rows]

    @property
    def seat_map_cache_live(self) -> bool:
        return self._ctx.seat_maps.live

    def cached_seat_map(self, flight_id: int) -> SeatMap | None:
        """The seat map if this process holds a current one (no database read, no wait)."""
        cached: SeatMap | None = self._ctx.seat_maps.get(flight_id, self._ctx.clock())
        return cached

    async def seat_map(self, flight_id: int, current: bool = False) -> SeatMap:
        """The flight's seat map: from this process's cache, else a replica within the
        staleness bound (or the primary); from the primary alone if `current` (a map no
        older than what the caller read from the primary before, so never the cache's)."""
        flight = await self.flight(flight_id)
        now = self._ctx.clock()
        cache = self._ctx.seat_maps
        # Not from the cache if `current`: a change committed before the caller's read may
        # not have been notified yet, and a map cached before it would then miss it.
        cached: SeatMap | None = None if current else cache.get(flight_id, now)
        if cached is not None:
            return cached
        token = cache.token(flight_id)
        if current or not cache.live:
            return await self._read_map(flight, now, token, current)
        # Shared only while the change feed is live, and only with a read that began after
        # the last change this process heard of (the token names it): what the cache
        # itself would have answered, had the read been over.
        read = partial(self._read_map, flight, now, token, current)
        return await self._map_reads.read((flight_id, token), read)

    async def _read_map(
        self, flight: Flight, now: datetime, token: tuple[int, int], current: bool
    ) -> SeatMap:
        flight_id = flight.id
        cache = self._ctx.seat_maps
        taken = await (self._seats if current else self._replica_seats).taken(flight_id, now)
        rows = taken.rows
        booked = sum(1 for _, status, _ in rows if status == SeatStatus.BOOKED.value)
        permille = self._ctx.settings.fare_rules.demand_permille(booked, flight.layout.capacity)
        seat_map = SeatMap(flight, {seat: status for seat, status, _ in rows}, permille)
        hold_ends = [until for _, status, until in rows if until is not None]
        cache.put(flight_id, seat_map, min(hold_ends, default=None), token, taken.as_of)
        return seat_map

    async def manifest(self, flight_id: int) -> Manifest:
        flight = await self.flight(flight_id)
        async with self._ctx.uow() as uow:
            rows = await uow.bookings.manifest(flight_id)
            bookings, revenue = await uow.bookings.revenue(flight_id)
            redemptions = await uow.discounts.redemptions_on(flight_id)
        currency = flight.layout.currency
        return Manifest(
            flight=flight,
            passengers=[
                ManifestEntry(*row) for row in sorted(rows, key=lambda r: seat_sort_key(r[0]))
            ],
            bookings=bookings,
            revenue=Money(revenue, currency),
            redemptions=[
                Redemptions(code, uses, Money(amount, currency))
                for code, uses, amount in redemptions
            ],
        )
