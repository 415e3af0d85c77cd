"""Holds: claim seats all-or-none, release them, quote them, sweep the expired ones."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from lastseat.domain import pricing
from lastseat.domain.discounts import DiscountNotApplicable
from lastseat.domain.errors import (
    Conflict,
    HoldGone,
    NoSeatsFit,
    NotFound,
    SeatsUnavailable,
    UnknownSeats,
)
from lastseat.domain.events import freed_events, replacement_events
from lastseat.domain.flights import Flight
from lastseat.domain.holds import (
    Hold,
    HoldStatus,
    check_replaceable,
    expiry,
    requested_seats,
)
from lastseat.domain.pricing import Quote
from lastseat.domain.requests import PAGE_SIZE
from lastseat.domain.seat_choice import SeatWish, choose_seats
from lastseat.domain.users import User
from lastseat.services.catalog import Catalog, SeatMap
from lastseat.services.context import ServiceContext
from lastseat.services.discounts import try_code
from lastseat.services.idempotency import first_use
from lastseat.services.ports import IdempotencyKey, UnitOfWork
from lastseat.services.throttles import give_back_now, hold_throttles, reserve

SWEEP_BATCH = 1_000
# Choices made again after a hold naming its seats took one of the seats chosen between
# the choice's read and its claim (a rare race: choices on one flight are serialized).
CHOICE_ATTEMPTS = 3
# Choices on one flight under way in one process: one holds the database's turn while the
# next does what comes before it (its customer's lock, its key, its limits).
CHOOSING_AT_ONCE = 2


class ChoiceRaced(Exception):
    """A seat chosen for a group was claimed by another hold before this one's claim."""


def _refusal(
    flight: Flight, seat_map: SeatMap, wanted: tuple[str, ...] | SeatWish
) -> SeatsUnavailable | None:
    """What `seat_map` says of a hold of `wanted`: its refusal, or None if it may be held."""
    if isinstance(wanted, SeatWish):
        free = seat_map.available()
        if choose_seats(flight.layout, free, wanted) is None:
            return NoSeatsFit(wanted.words(), free)
        return None
    taken = seat_map.taken_among(wanted)
    return SeatsUnavailable(taken, available=seat_map.available()) if taken else None


@dataclass(frozen=True, slots=True)
class QuoteView:
    quote: Quote
    discount_refused: str | None  # why the requested code does not apply


@dataclass(frozen=True, slots=True)
class HoldResult:
    hold: Hold
    replayed: bool


async def _release_replaced(
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


class Reservations:
    def __init__(self, ctx: ServiceContext, catalog: Catalog) -> None:
        self._ctx = ctx
        self._catalog = catalog
        # per flight, while some request holds or waits for it (weak: no flight is kept)
        self._choosing: weakref.WeakValueDictionary[int, asyncio.Semaphore] = (
            weakref.WeakValueDictionary()
        )

    async def hold_seats(
        self,
        user: User,
        flight_id: int,
        seats: list[str] | SeatWish,
        idem: IdempotencyKey | None = None,
        address: str | None = None,
        replaces: UUID | None = None,
    ) -> HoldResult:
        """Hold seats all or none, within what one customer and one address may hold:
        the seats named, or those chosen for a group's wish (best-available, seat_choice).

        With `replaces` (the caller's live hold on this flight), that hold is released in
        the same transaction: its seats are no conflict for this request and do not count
        toward the limits, and if any new seat is taken the old hold stays as it was."""
        flight = await self._catalog.flight(flight_id)
        wanted = self._wanted(flight, seats)
        now = self._ctx.clock()
        flight.check_bookable(now)
        throttles = hold_throttles(self._ctx.settings, user.id, address)
        # Every attempt counts toward the rates, refused or not (a bot probing taken seats
        # is paced as one placing holds); a replay of a key gives its count back.
        await reserve(self._ctx, throttles)
        if replaces is None:  # a replaced hold's own seats show as taken on the map
            await self._refuse_early(user, flight, wanted, idem)
        result = None
        for _ in range(CHOICE_ATTEMPTS):
            try:
                async with self._turn_to_choose(flight_id, wanted):
                    result = await self._hold(user, flight, wanted, idem, address, replaces)
                break
            except ChoiceRaced:
                continue  # a hold naming its seats took one of those chosen: choose again
            except SeatsUnavailable as refused:  # told anew: a replaced hold's seats were
                # free inside the transaction, and are the caller's again now
                raise await self._taught(flight_id, refused.seats, wanted) from None
        if result is None:  # every choice lost its seats to holds naming them
            raise await self._taught(flight_id, [], wanted)
        if result.replayed:
            await give_back_now(self._ctx, throttles)
        return result

    def _turn_to_choose(
        self, flight_id: int, wanted: tuple[str, ...] | SeatWish
    ) -> contextlib.AbstractAsyncContextManager[object]:
        """A choice waits for this process's other choices on the flight before it takes
        a connection: the database lets one choice at a time through (serialize_choices),
        and a crowd of choices each waiting on it with a connection of the pool would
        leave none for anything else (bookings, sign-ins, the seat map)."""
        if not isinstance(wanted, SeatWish):
            return contextlib.nullcontext()
        turn = self._choosing.get(flight_id)
        if turn is None:
            turn = self._choosing[flight_id] = asyncio.Semaphore(CHOOSING_AT_ONCE)
        return turn

    @staticmethod
    def _wanted(flight: Flight, seats: list[str] | SeatWish) -> tuple[str, ...] | SeatWish:
        if isinstance(seats, SeatWish):
            seats.cabins(flight.layout)  # an unknown cabin is refused before anything counts
            return seats
        wanted = requested_seats(seats)
        unknown = flight.layout.unknown_seats(list(wanted))
        if unknown:
            raise UnknownSeats(unknown)
        return wanted

    async def _refuse_early(
        self,
        user: User,
        flight: Flight,
        wanted: tuple[str, ...] | SeatWish,
        idem: IdempotencyKey | None,
    ) -> None:
        """Refuse what the free seats cannot give before the hold's transaction: when a
        herd goes for one flight, most holds ask for seats someone has just taken (or, on
        a sold-out flight, for any), and a refusal through the transaction cost its round
        trips and a rollback. This process's live map says what may be refused; the
        database alone decides, in one read (a seat freed a moment ago is not refused). A
        map not in memory proves nothing: the transaction decides then. Nor does a key
        used before: the seats may be the caller's own, held by the request this one
        retries, which the transaction answers (a replay, or a key reused)."""
        cached = self._catalog.cached_seat_map(flight.id)
        if cached is None or _refusal(flight, cached, wanted) is None:
            return
        current = await self._catalog.seat_map(flight.id, current=True)
        refusal = _refusal(flight, current, wanted)
        if refusal is None:
            return
        if idem is not None:
            async with self._ctx.uow() as uow:
                if await uow.idempotency.find(user.id, idem.key) is not None:
                    return
        raise refusal

    async def _taught(
        self, flight_id: int, seats: list[str], wanted: tuple[str, ...] | SeatWish
    ) -> SeatsUnavailable:
        """The refusal with the flight's free seats as they are now (read from the
        primary), so the client picks again from them, or stops when there are none."""
        free = (await self._catalog.seat_map(flight_id, current=True)).available()
        if isinstance(wanted, SeatWish):
            return NoSeatsFit(wanted.words(), free)
        return SeatsUnavailable(seats, available=free)

    async def _hold(
        self,
        user: User,
        flight: Flight,
        wanted: tuple[str, ...] | SeatWish,
        idem: IdempotencyKey | None,
        address: str | None,
        replaces: UUID | None,
    ) -> HoldResult:
        settings = self._ctx.settings
        flight_id = flight.id
        layout = flight.layout
        choosing = isinstance(wanted, SeatWish)
        now = self._ctx.clock()
        hold_id = uuid.uuid4()
        async with self._ctx.uow(write=True) as uow:
            # Counting what they hold and adding to it is one step: no other hold of this
            # customer, or from this address on this flight, can commit in between.
            await uow.holds.serialize(user.id, address, flight_id)
            earlier = await first_use(uow, user.id, idem, hold_id, now)
            if earlier is not None:
                replay = await uow.holds.get_owned(earlier, user.id)
                if replay is None:
                    raise NotFound("the hold this key created no longer exists")
                return HoldResult(replay, replayed=True)
            if choosing and replaces is not None:
                # before the old hold's seats are locked by its release: a choice holding
                # the flight's turn may want those very seats once the hold has expired
                await uow.holds.serialize_choices(flight_id)
            released = await _release_replaced(uow, user, replaces, flight_id, now)
            held, booked = await uow.holds.held_and_sold(user.id, address, flight_id, now)
            count = wanted.count if isinstance(wanted, SeatWish) else len(wanted)
            settings.hold_limits.check(held, count, layout.capacity)
            if isinstance(wanted, SeatWish):
                if replaces is None:
                    await uow.holds.serialize_choices(flight_id)  # choices one at a time
                taken = {seat for seat, _, _ in await uow.seats.taken(flight_id, now)}
                free = layout.free_seats(taken)
                seats = choose_seats(layout, free, wanted)
                if seats is None:
                    raise NoSeatsFit(wanted.words(), free)
            else:
                seats = wanted
            # Priced by the seats sold so far, never by holds: holding seats cannot move
            # the price another customer pays. The quote is stored with the hold.
            hold = Hold(
                id=hold_id,
                user_id=user.id,
                flight_id=flight_id,
                seats=seats,
                expires_at=expiry(now, settings.hold_ttl, flight.departs_at),
                status=HoldStatus.ACTIVE,
                quote=pricing.quote(layout, seats, settings.fare_rules, booked, layout.capacity),
            )
            changes = replacement_events(flight_id, released, list(seats))
            claimed = await uow.holds.place(hold, now, address, changes)
            if len(claimed) != len(seats):  # and nothing is kept
                if choosing:
                    raise ChoiceRaced
                raise SeatsUnavailable(set(seats) - set(claimed))
            await uow.commit()
        self._ctx.seat_maps.changed(flight_id)
        return HoldResult(hold, replayed=False)

    async def get_hold(self, user: User, hold_id: UUID) -> Hold:
        async with self._ctx.uow() as uow:
            hold = await uow.holds.get_owned(hold_id, user.id)
        if hold is None:
            raise NotFound(f"hold {hold_id} not found")
        return hold

    async def live_holds(
        self,
        user: User,
        flight_id: int | None = None,
        limit: int = PAGE_SIZE,
        offset: int = 0,
    ) -> list[Hold]:
        """The caller's own live holds (never another's), on one flight or all, newest
        first: how a second tab or device finds the seats that are already the caller's."""
        async with self._ctx.uow() as uow:
            return await uow.holds.live_owned(user.id, flight_id, self._ctx.clock(), limit, offset)

    async def quote(
        self,
        user: User,
        hold_id: UUID,
        discount_code: str | None = None,
        address: str | None = None,
    ) -> QuoteView:
        """The hold's stored quote, with the code's discount if it applies, else the reason."""
        hold = await self.get_hold(user, hold_id)
        if discount_code is None:
            return QuoteView(hold.quote, None)
        flight = await self._catalog.flight(hold.flight_id)
        try:
            priced = await try_code(
                self._ctx, hold.quote, flight, user, discount_code, hold.id, address
            )
        except DiscountNotApplicable as refused:
            return QuoteView(hold.quote, refused.reason)
        return QuoteView(priced, None)

    async def release_hold(self, user: User, hold_id: UUID) -> None:
        now = self._ctx.clock()
        async with self._ctx.uow(write=True) as uow:
            hold = await uow.holds.get_owned(hold_id, user.id)
            if hold is None:
                raise NotFound(f"hold {hold_id} not found")
            if hold.status is HoldStatus.BOOKED:
                raise Conflict("this hold is already confirmed as a booking; cancel the booking")
            if not await uow.holds.close(hold_id, HoldStatus.RELEASED):
                # Ended meanwhile. Released or expired: releasing again changes nothing.
                # Booked by a confirm that won the race: not released, and the client
                # must not be told so.
                ended = await uow.holds.get_owned(hold_id, user.id)
                if ended is not None and ended.status is HoldStatus.BOOKED:
                    raise Conflict("this hold was just confirmed as a booking; cancel the booking")
                return
            freed = await uow.seats.release_hold(hold_id)
            await uow.events.append(freed_events(freed), now)
            await uow.commit()
        self._ctx.seat_maps.changed(hold.flight_id)

    async def sweep_expired(self) -> int:
        """Free seats whose hold expired and record the events; safe to run in every process."""
        now = self._ctx.clock()
        async with self._ctx.uow(write=True) as uow:
            freed = await uow.seats.release_expired(now, SWEEP_BATCH)
            await uow.events.append(freed_events(freed), now)
            await uow.holds.expire_stale(now)
            await uow.commit()
        for flight_id in {flight for flight, _ in freed}:
            self._ctx.seat_maps.changed(flight_id)
        return len(freed)
