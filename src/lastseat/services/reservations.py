"""Holds: claim seats all-or-none, release them, quote them, sweep the expired ones."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

from lastseat.domain.discounts import DiscountNotApplicable
from lastseat.domain.errors import (
    Conflict,
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
    requested_seats,
)
from lastseat.domain.pricing import Quote
from lastseat.domain.requests import PAGE_SIZE
from lastseat.domain.seat_choice import SeatWish, choose_seats
from lastseat.domain.users import User
from lastseat.services.catalog import Catalog, SeatMap
from lastseat.services.choice_rounds import ChoiceRaced, ChoiceRounds
from lastseat.services.context import ServiceContext
from lastseat.services.discounts import try_code
from lastseat.services.holding import HoldResult, new_hold, release_replaced, replay_of
from lastseat.services.ports import IdempotencyKey
from lastseat.services.throttles import give_back_now, hold_throttles, reserve
from lastseat.services.waiting_room import WaitingRoom

SWEEP_BATCH = 1_000


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


class Reservations:
    def __init__(self, ctx: ServiceContext, catalog: Catalog, room: WaitingRoom) -> None:
        self._ctx = ctx
        self._catalog = catalog
        self._room = room
        self._rounds = ChoiceRounds(ctx)

    async def hold_seats(
        self,
        user: User,
        flight_id: int,
        seats: list[str] | SeatWish,
        idem: IdempotencyKey | None = None,
        address: str | None = None,
        replaces: UUID | None = None,
        admission: str | None = None,
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
        await self._room.check_admission(user, flight_id, admission)
        throttles = hold_throttles(self._ctx.settings, user.id, address)
        # Every attempt counts toward the rates, refused or not (a bot probing taken seats
        # is paced as one placing holds); a replay of a key gives its count back.
        await reserve(self._ctx, throttles)
        if replaces is None:  # a replaced hold's own seats show as taken on the map
            await self._refuse_early(user, flight, wanted, idem)
        if isinstance(wanted, SeatWish):
            try:
                result = await self._rounds.hold(flight, user, wanted, idem, address, replaces)
            except NoSeatsFit:
                # told the seats the round's own read left free, in the flight's turn; but
                # a replaced hold's seats were free inside the round, and are the caller's
                if replaces is None:
                    raise
                raise await self._taught(flight_id, [], wanted) from None
            except (SeatsUnavailable, ChoiceRaced):  # told anew, from the map as it is now
                raise await self._taught(flight_id, [], wanted) from None
        else:
            try:
                result = await self._hold(user, flight, wanted, idem, address, replaces)
            except SeatsUnavailable as refused:
                raise await self._taught(flight_id, refused.seats, wanted) from None
        if result.replayed:
            await give_back_now(self._ctx, throttles)
        return result

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
        wanted: tuple[str, ...],
        idem: IdempotencyKey | None,
        address: str | None,
        replaces: UUID | None,
    ) -> HoldResult:
        """The named seats held (groups' choices go by rounds: choice_rounds.py)."""
        settings = self._ctx.settings
        flight_id = flight.id
        layout = flight.layout
        now = self._ctx.clock()
        hold_id = uuid.uuid4()
        async with self._ctx.uow(write=True) as uow:
            # Counting what they hold and adding to it is one step: no other hold of this
            # customer, or from this address on this flight, can commit in between.
            await uow.holds.serialize(user.id, address, flight_id)
            replay = await replay_of(uow, user, idem, hold_id, now)
            if replay is not None:
                return replay
            released = await release_replaced(uow, user, replaces, flight_id, now)
            held, booked = await uow.holds.held_and_sold(user.id, address, flight_id, now)
            settings.hold_limits.check(held, len(wanted), layout.capacity)
            hold = new_hold(settings, flight, hold_id, user, wanted, booked, now)
            changes = replacement_events(flight_id, released, list(wanted))
            claimed = await uow.holds.place(hold, now, address, changes)
            if len(claimed) != len(wanted):
                raise SeatsUnavailable(set(wanted) - set(claimed))  # and nothing is kept
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
