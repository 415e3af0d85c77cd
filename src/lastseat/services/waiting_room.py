"""Sales through a waiting room: an admin opens one; travellers join its line, see where
they stand, and are admitted at the sale's pace with a signed token that every hold on the
flight needs while the sale runs (domain/waiting_room.py has the rules, docs/waiting-room.md
the why).

Admissions are made in the database, under the sale row's lock, by whichever app server
gets there first: each one advances a line it serves at most once a tick, so the pace and
the cap hold however many servers there are, and none of them has to be the one that
admits. A hold checks its token against the key alone, and the sale's existence against
this process's list of sales, read at most once per `sale_refresh_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from uuid import UUID

import structlog

from lastseat.config import Settings
from lastseat.domain.errors import Conflict, DatabaseBusy, DomainError, NotFound
from lastseat.domain.flights import Flight
from lastseat.domain.users import User
from lastseat.domain.waiting_room import (
    DRAW_BITS,
    Admission,
    Place,
    PlaceState,
    Sale,
    SaleState,
    admission_token,
    check_admission,
)
from lastseat.services.catalog import Catalog
from lastseat.services.context import ServiceContext
from lastseat.services.ports import LinePlace, SaleLock, UnitOfWork
from lastseat.services.shared_reads import SharedReads

# The line is read for watchers this far from its front; a watcher further back is counted.
LINE_READ_LIMIT = 20_000
ADMISSION_KEY_PURPOSE = b"lastseat admission tokens"
log = structlog.get_logger("lastseat.waiting_room")


@dataclass(frozen=True, slots=True)
class SaleView:
    sale: Sale
    state: SaleState
    waiting: int
    active: int


@dataclass(slots=True, eq=False)
class _Watcher:
    latest: Place | None = None
    gone: DomainError | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)


def admission_keys(settings: Settings) -> list[bytes]:
    """The tokens' keys, derived once from the token signing key (and its predecessor while
    keys rotate), so a token is never a session token's hash or the other way round."""
    secrets_ = [settings.token_signing_key, settings.token_signing_key_previous]
    return [
        hmac.new(secret.get_secret_value().encode(), ADMISSION_KEY_PURPOSE, hashlib.sha256).digest()
        for secret in secrets_
        if secret is not None
    ]


def poll_after(place: Place) -> int:
    """When a client that polls instead of watching should ask again: soon near the front,
    rarely far back (a line of thousands must not poll itself into a flood)."""
    if place.state is not PlaceState.WAITING:
        return 0
    return max(1, min(30, place.wait_seconds // 4))


async def _position(uow: UnitOfWork, flight_id: int, place: LinePlace) -> int:
    """Where a waiting place stands (1 is next); an admitted one is counted as first."""
    return 1 if place.admitted_at else await uow.sales.ahead_of(flight_id, place) + 1


class WaitingRoom:
    def __init__(self, ctx: ServiceContext, catalog: Catalog) -> None:
        self._ctx = ctx
        self._catalog = catalog
        self._sales: dict[int, Sale] = {}
        self._sales_read_at = float("-inf")
        self._sales_generation = 0
        self._sales_reads: SharedReads[int, dict[int, Sale]] = SharedReads()
        self._advances: SharedReads[int, None] = SharedReads()
        self._advanced_at: dict[int, float] = {}
        self._watchers: dict[int, dict[UUID, set[_Watcher]]] = {}
        # The line's share of this process's database connections: at the first rush of
        # a sale thousands join at once, and the holds and payments of those already let
        # in must still find a connection (else a 503 on the very path the room protects).
        self._line_slots = asyncio.Semaphore(max(1, ctx.settings.pool_size // 2))
        self._tickers: dict[int, asyncio.Task[None]] = {}
        self._keys = admission_keys(ctx.settings)

    @contextlib.asynccontextmanager
    async def _line_turn(self) -> AsyncIterator[None]:
        """One of the line's connections, waited for as long as the pool would be (then a
        503: joining and asking again lose nothing)."""
        try:
            await asyncio.wait_for(
                self._line_slots.acquire(), self._ctx.settings.pool_timeout_seconds
            )
        except TimeoutError:
            raise DatabaseBusy("the line is busy this moment; ask again shortly") from None
        try:
            yield
        finally:
            self._line_slots.release()

    # -- the admin's side

    async def open_sale(self, sale: Sale) -> SaleView:
        """The sale opened (its line empty): holds on the flight need an admission from
        now on, on every app server within `sale_refresh_seconds`."""
        flight = await self._catalog.flight(sale.flight_id)
        now = self._ctx.clock()
        flight.check_bookable(now)
        sale.check(flight.departs_at)
        sale = replace(sale, number=secrets.randbits(DRAW_BITS))
        async with self._ctx.uow(write=True) as uow:
            if not await uow.sales.add(sale, now):
                raise Conflict(f"flight {flight.code} has a sale already: end it first")
            await uow.commit()
        self._forget_sales()
        return SaleView(sale, sale.state(now), waiting=0, active=0)

    async def end_sale(self, flight_id: int) -> None:
        """End the sale and its line: holds need no admission from then on."""
        async with self._ctx.uow(write=True) as uow:
            if not await uow.sales.remove(flight_id):
                raise NotFound(f"flight {flight_id} has no sale")
            await uow.commit()
        self._forget_sales()

    async def sale(self, flight_id: int) -> SaleView:
        async with self._line_turn():
            return await self._sale(flight_id)

    async def _sale(self, flight_id: int) -> SaleView:
        await self._advance_if_due(flight_id)
        now = self._ctx.clock()
        async with self._ctx.uow() as uow:
            found = await uow.sales.get(flight_id)
            if found is None:
                raise NotFound(f"flight {flight_id} has no sale")
            waiting, active = await uow.sales.counts(flight_id, now)
        sale = found[0]
        return SaleView(sale, sale.state(now), waiting, active)

    # -- the hold's check

    def _forget_sales(self) -> None:
        """This process changed the sales: the next hold reads them anew, not from a read
        that began before the change (it is another generation)."""
        self._sales_generation += 1
        self._sales_read_at = float("-inf")

    async def _current_sales(self) -> dict[int, Sale]:
        refresh = self._ctx.settings.sale_refresh_seconds
        if time.monotonic() - self._sales_read_at < refresh:
            return self._sales
        generation = self._sales_generation
        return await self._sales_reads.read(generation, partial(self._read_sales, generation))

    async def _read_sales(self, generation: int) -> dict[int, Sale]:
        started = time.monotonic()
        async with self._ctx.uow() as uow:
            found = {sale.flight_id: sale for sale in await uow.sales.all()}
        if generation == self._sales_generation:  # else a change came after this read began
            self._sales, self._sales_read_at = found, started
            for gone in self._advanced_at.keys() - found.keys():
                del self._advanced_at[gone]
        return found

    async def flight(self, flight_id: int) -> tuple[Flight, Sale | None]:
        """The flight, and its sale through the waiting room if one runs (as this process
        knows it: within `sale_refresh_seconds`)."""
        flight = await self._catalog.flight(flight_id)
        return flight, (await self._current_sales()).get(flight_id)

    async def check_admission(self, user: User, flight_id: int, token: str | None) -> None:
        """Refuse a hold on a flight whose sale runs unless `token` admits `user` to it."""
        sale = (await self._current_sales()).get(flight_id)
        if sale is not None:
            check_admission(self._keys, token, sale, user.id, self._ctx.clock())

    # -- the traveller's side

    async def join(self, user: User, flight_id: int) -> tuple[Place, bool]:
        """The traveller's place in the line, taken now if they had none (or their
        admission is over): joining again keeps the place. True if it is new. One
        transaction: the place is told as it was taken (at the busiest moment of a sale,
        when everyone arrives at once)."""
        async with self._line_turn():
            return await self._join(user, flight_id)

    async def _join(self, user: User, flight_id: int) -> tuple[Place, bool]:
        await self._advance_if_due(flight_id)
        now = self._ctx.clock()
        async with self._ctx.uow(write=True) as uow:
            # The sale cannot end under the join (its place would point at nothing);
            # joins do not wait for each other, nor for admissions.
            found = await uow.sales.get(flight_id, SaleLock.KEEP)
            if found is None:
                raise NotFound(f"flight {flight_id} has no sale to wait for")
            sale = found[0]
            candidate = LinePlace(
                uuid.uuid4(), user.id, sale.arrival_second(now), secrets.randbits(DRAW_BITS)
            )
            joined = await uow.sales.join(flight_id, user.id, candidate, now) or (
                await uow.sales.rejoin(flight_id, user.id, candidate, now)
            )
            held = candidate if joined else await uow.sales.place(flight_id, user.id)
            if held is None:  # not possible under the lock; said plainly all the same
                raise NotFound("you have no place in this sale's line: join it")
            position = await _position(uow, flight_id, held)
            await uow.commit()
        return self._view(sale, held, position, now, await self._sold_out(flight_id)), joined

    async def place(self, user: User, flight_id: int) -> Place:
        async with self._line_turn():
            return await self._place(user, flight_id)

    async def _place(self, user: User, flight_id: int) -> Place:
        await self._advance_if_due(flight_id)
        now = self._ctx.clock()
        async with self._ctx.uow() as uow:
            found = await uow.sales.get(flight_id)
            if found is None:
                raise NotFound(f"flight {flight_id} has no sale")
            held = await uow.sales.place(flight_id, user.id)
            if held is None:
                raise NotFound("you have no place in this sale's line: join it")
            position = await _position(uow, flight_id, held)
        sold_out = await self._sold_out(flight_id)
        return self._view(found[0], held, position, now, sold_out)

    async def _sold_out(self, flight_id: int) -> bool:
        """No seat free now: those waiting may leave (the seat map between changes, as
        this process keeps it)."""
        return not (await self._catalog.seat_map(flight_id)).available()

    def _view(
        self, sale: Sale, held: LinePlace, position: int, now: datetime, sold_out: bool
    ) -> Place:
        if held.expires_at is None:
            return self._waiting(sale, held.place_id, position, now, sold_out)
        if held.expires_at <= now:
            state, admission = PlaceState.EXPIRED, None
        else:
            token = admission_token(self._keys[0], sale, held.user_id, held.expires_at)
            state, admission = PlaceState.ADMITTED, Admission(token, held.expires_at)
        return Place(
            held.place_id, sale.flight_id, state, None, 0, sale.opens_at, admission, sold_out
        )

    def _waiting(
        self, sale: Sale, place_id: UUID, position: int, now: datetime, sold_out: bool
    ) -> Place:
        wait = sale.wait_estimate(position, now)
        return Place(
            place_id, sale.flight_id, PlaceState.WAITING, position, wait, sale.opens_at, None,
            sold_out,
        )  # fmt: skip

    # -- admissions

    async def _advance_if_due(self, flight_id: int) -> None:
        """Admit whoever is due, at most once a tick per process and line (and only for a
        sale this process knows of: asking about any flight id takes no lock)."""
        if flight_id not in await self._current_sales():
            return
        last = self._advanced_at.get(flight_id, float("-inf"))
        if time.monotonic() - last < self._ctx.settings.line_tick_seconds:
            return
        await self._advances.read(flight_id, lambda: self.advance(flight_id))

    async def advance(self, flight_id: int) -> None:
        """Admit the next in line as far as the pace and the cap allow now."""
        self._advanced_at[flight_id] = time.monotonic()
        async with self._ctx.uow(write=True) as uow:
            found = await uow.sales.get(flight_id, SaleLock.ADMIT)
            if found is None:
                return
            sale, paced_until = found
            now = self._ctx.clock()  # read under the lock: the pace is the line's, not ours
            if now < sale.opens_at:
                return
            _, active = await uow.sales.counts(flight_id, now)
            due = sale.admissions_due(paced_until, now, active)
            if due == 0:
                return
            expires_at = (now + sale.admission_ttl).replace(microsecond=0)
            admitted = await uow.sales.admit(
                flight_id, due, sale.closed_second(now), now, expires_at
            )
            if admitted:
                await uow.sales.set_paced_until(
                    flight_id, sale.paced_after(paced_until, now, admitted)
                )
                await uow.commit()

    # -- watching one's place

    async def watch(self, flight_id: int, place_id: UUID) -> AsyncGenerator[Place]:
        """The place as it moves, once per tick when it changed, until it is admitted or
        over (its last message). NotFound when the place or the sale is gone. Each watcher
        of a place is told (two tabs, or a stranger who knows the place id, mute no one)."""
        async with self._line_turn(), self._ctx.uow() as uow:
            if await uow.sales.place_by_id(flight_id, place_id) is None:
                raise NotFound("no such place in this flight's line")
        watcher = _Watcher()
        watchers = self._watchers.setdefault(flight_id, {})
        watchers.setdefault(place_id, set()).add(watcher)
        if flight_id not in self._tickers:
            self._tickers[flight_id] = asyncio.create_task(self._tick(flight_id))
        try:
            sent: Place | None = None
            while True:
                await watcher.changed.wait()
                watcher.changed.clear()
                if watcher.gone is not None:
                    raise watcher.gone
                latest = watcher.latest
                if latest is None or latest == sent:
                    continue
                sent = latest
                yield latest
                if latest.state is not PlaceState.WAITING:
                    return
        finally:
            same_place = watchers.get(place_id, set())
            same_place.discard(watcher)
            if not same_place:
                watchers.pop(place_id, None)

    async def _tick(self, flight_id: int) -> None:
        """One task per watched line in this process: a read of the line a tick, whatever
        the number of watchers, each told its own place."""
        try:
            while self._watchers.get(flight_id):
                try:
                    async with self._line_turn():
                        await self._tell_watchers(flight_id)
                except NotFound as gone:  # the sale, or its flight: no line to wait in
                    watchers = self._watchers.get(flight_id, {})
                    self._tell(watchers, dict.fromkeys(watchers), gone)
                except DomainError as exc:  # the database away a moment: tell them next tick
                    log.warning("line_tick_failed", flight_id=flight_id, problem=exc.code)
                except Exception:  # a bug: logged, and the watchers are not left hanging
                    log.exception("line_tick_crashed", flight_id=flight_id)
                await asyncio.sleep(self._ctx.settings.line_tick_seconds)
        finally:
            self._tickers.pop(flight_id, None)
            if not self._watchers.get(flight_id):
                self._watchers.pop(flight_id, None)

    async def _tell_watchers(self, flight_id: int) -> None:
        """Read the line once and tell each watcher its place. NotFound once the sale is
        gone."""
        await self._advance_if_due(flight_id)
        watchers = self._watchers.get(flight_id, {})
        now = self._ctx.clock()
        async with self._ctx.uow() as uow:
            found = await uow.sales.get(flight_id)
            if found is None:
                raise NotFound(f"flight {flight_id} has no sale")
            sale = found[0]
            order = await uow.sales.waiting_order(flight_id, LINE_READ_LIMIT)
            positions = {place_id: index for index, place_id in enumerate(order, 1)}
            held: dict[UUID, tuple[LinePlace, int] | None] = {}
            for place_id in list(watchers):
                if place_id in positions:
                    continue
                stored = await uow.sales.place_by_id(flight_id, place_id)
                if stored is None:
                    held[place_id] = None
                    continue
                held[place_id] = stored, await _position(uow, flight_id, stored)
        sold_out = await self._sold_out(flight_id)  # after the line's read: one connection
        places: dict[UUID, Place | None] = {}
        for place_id in list(watchers):
            position = positions.get(place_id)
            found_place = held.get(place_id)
            if position is not None:
                places[place_id] = self._waiting(sale, place_id, position, now, sold_out)
            elif found_place is not None:
                places[place_id] = self._view(sale, *found_place, now, sold_out)
            else:
                places[place_id] = None
        self._tell(watchers, places, NotFound("this place is no longer in the line"))

    @staticmethod
    def _tell(
        watchers: dict[UUID, set[_Watcher]], places: dict[UUID, Place | None], gone: NotFound
    ) -> None:
        """Each watcher its place, or (None) that it is `gone`."""
        for place_id, place in places.items():
            for watcher in watchers.get(place_id, set()):
                if place is None:
                    watcher.gone = gone
                watcher.latest = place
                watcher.changed.set()

    async def close(self) -> None:
        for task in list(self._tickers.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
