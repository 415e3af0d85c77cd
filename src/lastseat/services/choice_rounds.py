"""Seats chosen for groups on one flight, a round at a time.

Choices on a flight are made one at a time: each must see the seats the last one took, or
two groups could leave a lone seat between them that neither choice alone would have
(domain/seat_choice.py). The database's turn for choosing on a flight
(`Holds.serialize_choices`) is therefore held by one transaction at a time. Taken once per
request, it was held for a read of the free seats, a claim and a commit each, and every
one of those waited for a busy app server to send it: a herd on one flight queued behind
the turn.

So this process gathers the wishes that arrive while a round is under way and serves them
together in the next one: one transaction, one turn, one read of the free seats, then a
claim per group in the order they came, and one commit. Each group still gets what a hold
of its own would give it: its customer's and its address's locks and limits, its
idempotency key (a replay is answered as such), its own refusal. A round takes at most one
group per customer and per address (their limits count only what is placed, and the round
has placed nothing yet when it counts); the others wait for the next round. A refusal
found once a round's work has begun rolls the round back, and it is made again without
the groups refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from lastseat.domain.errors import DomainError, NoSeatsFit
from lastseat.domain.events import round_events
from lastseat.domain.flights import Flight
from lastseat.domain.seat_choice import SeatWish, choose_seats
from lastseat.domain.users import User
from lastseat.services.context import ServiceContext
from lastseat.services.holding import HoldResult, new_hold, release_replaced, replayed
from lastseat.services.idempotency import first_uses
from lastseat.services.ports import IdempotencyKey, Placement, UnitOfWork

# Groups served by one round: enough that a herd's round trips under the flight's turn
# are a few per group, not three; few enough that the first of them is not kept waiting.
ROUND_SIZE = 16
# Rounds made again after a hold naming its seats took one of those chosen between the
# round's read and its claim; then its groups are told what is free.
RACE_ATTEMPTS = 3


class ChoiceRaced(Exception):
    """A seat chosen for a group was claimed by another hold before the round's claim."""


@dataclass(eq=False)
class _Ask:
    user: User
    wish: SeatWish
    idem: IdempotencyKey | None
    address: str | None
    replaces: UUID | None
    answer: asyncio.Future[HoldResult]
    hold_id: UUID = field(default_factory=uuid.uuid4)


@dataclass(eq=False)
class _Counted:
    """A group whose limits allow its hold, with what its hold is priced and told by."""

    ask: _Ask
    released: list[str]  # the seats of the hold it replaces
    booked: int  # seats sold on the flight


class _Refused(Exception):
    """Groups refused after the round's work began: it is rolled back without them."""

    def __init__(self, refusals: dict[_Ask, BaseException]) -> None:
        super().__init__(f"{len(refusals)} refused")
        self.refusals = refusals


def _answer(ask: _Ask, result: HoldResult | BaseException) -> None:
    if ask.answer.done():  # its request has gone (cancelled)
        return
    if isinstance(result, BaseException):
        ask.answer.set_exception(result)
    else:
        ask.answer.set_result(result)


def _next_round(waiting: deque[_Ask]) -> list[_Ask]:
    """The first groups waiting, at most one per customer and per address; those left out
    keep their place for the next round. A group whose request has gone is dropped."""
    chosen: list[_Ask] = []
    customers: set[UUID] = set()
    addresses: set[str] = set()
    later: deque[_Ask] = deque()
    while waiting:
        ask = waiting.popleft()
        if ask.answer.done():
            continue
        clash = ask.user.id in customers or (ask.address is not None and ask.address in addresses)
        if clash or len(chosen) == ROUND_SIZE:
            later.append(ask)
            continue
        chosen.append(ask)
        customers.add(ask.user.id)
        if ask.address is not None:
            addresses.add(ask.address)
    waiting.extend(later)
    return chosen


class ChoiceRounds:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._waiting: dict[int, deque[_Ask]] = {}
        self._runners: dict[int, asyncio.Task[None]] = {}
        # The seats a flight's last round left free, read in the flight's turn (set when
        # the round stood, or chose for nobody): what the groups still waiting may get.
        self._left: dict[int, frozenset[str]] = {}

    async def hold(
        self,
        flight: Flight,
        user: User,
        wish: SeatWish,
        idem: IdempotencyKey | None,
        address: str | None,
        replaces: UUID | None,
    ) -> HoldResult:
        """The group's hold, placed by the flight's next round in this process."""
        answer: asyncio.Future[HoldResult] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(flight.id, deque()).append(
            _Ask(user, wish, idem, address, replaces, answer)
        )
        if flight.id not in self._runners:
            # in a context of its own: not the first asker's (its request id in the logs,
            # the database time its answer reports)
            self._runners[flight.id] = asyncio.create_task(
                self._run(flight), context=contextvars.Context()
            )
        return await answer

    async def _run(self, flight: Flight) -> None:
        waiting = self._waiting[flight.id]
        served: list[_Ask] = []
        try:
            while waiting:
                served = _next_round(waiting)
                self._left.pop(flight.id, None)  # this round's, not one before
                try:
                    await self._serve(flight, served)
                except Exception as failed:  # the database away, say: the round hears it
                    for ask in served:
                        _answer(ask, failed)
                left = self._left.pop(flight.id, None)
                if left is not None and waiting:
                    await self._refuse_unfit(flight, waiting, left)
        finally:
            # (no await since the last look at `waiting`: nothing was added after it,
            # unless this runner was cancelled: the server stopping, whose requests end)
            del self._runners[flight.id]
            del self._waiting[flight.id]
            for ask in [*served, *waiting]:
                if not ask.answer.done():
                    ask.answer.cancel()

    async def _refuse_unfit(
        self, flight: Flight, waiting: deque[_Ask], left: frozenset[str]
    ) -> None:
        """Refuse at once the groups waiting that the free seats cannot seat (a flight sold
        out, most often), rather than in rounds of their own: in a herd, most of those
        waiting. The seats the last round left free say which groups may be refused; one
        read of the seats free now, made after all of them asked, decides (a seat freed
        since that round is theirs to have). Not a group that replaces a hold (its own
        seats would be free for it), nor one whose key was used before (its replay)."""
        fits_left = _fitting(flight, left)
        candidates = [
            ask
            for ask in waiting
            if ask.replaces is None and not ask.answer.done() and not fits_left(ask)
        ]
        if not candidates:
            return
        keyed = [(ask, ask.idem) for ask in candidates if ask.idem is not None]
        try:
            async with self._ctx.uow() as uow:
                free = await _free_now(uow, flight, self._ctx.clock())
                found = await uow.idempotency.find_all(
                    [(ask.user.id, idem.key) for ask, idem in keyed]
                )
        except Exception:  # the database away, say: the rounds tell them
            return
        used = {ask for (ask, _), earlier in zip(keyed, found, strict=True) if earlier}
        fits_now = _fitting(flight, free)
        unfit = {ask for ask in candidates if ask not in used and not fits_now(ask)}
        kept = [ask for ask in waiting if ask not in unfit]  # with any that came meanwhile
        waiting.clear()
        waiting.extend(kept)
        for ask in unfit:
            _answer(ask, NoSeatsFit(ask.wish.words(), free))

    async def _serve(self, flight: Flight, asks: list[_Ask]) -> None:
        pending = asks
        raced = 0
        # Groups with no room, told so once the round they were refused in stands: the
        # seats the groups before them took are taken by then (the round is made again
        # without them), and a refusal is told with the map as it is.
        no_room: dict[_Ask, BaseException] = {}
        try:
            while pending:
                try:
                    placed = await self._round(flight, pending)
                except _Refused as refused:
                    for ask, why in refused.refusals.items():
                        if isinstance(why, NoSeatsFit):
                            no_room[ask] = why
                        else:
                            _answer(ask, why)
                except ChoiceRaced as race:
                    raced += 1
                    if raced == RACE_ATTEMPTS:
                        for ask in pending:
                            _answer(ask, race)
                else:
                    for ask, result in placed.items():
                        _answer(ask, result)
                    if placed:
                        self._ctx.seat_maps.changed(flight.id)
                    return
                pending = [a for a in pending if not a.answer.done() and a not in no_room]
        finally:
            if no_room and any(ask.replaces is not None for ask in asks):
                # the seats a replaced hold gave back inside a round that was then rolled
                # back are not free: told from the seats free now instead
                with contextlib.suppress(Exception):  # (else as the round saw them)
                    async with self._ctx.uow() as uow:
                        free = await _free_now(uow, flight, self._ctx.clock())
                    no_room = {ask: NoSeatsFit(ask.wish.words(), free) for ask in no_room}
            for ask, why in no_room.items():
                _answer(ask, why)

    async def _round(self, flight: Flight, asks: list[_Ask]) -> dict[_Ask, HoldResult]:
        """One transaction for `asks`: each counted, chosen for and claimed, or, if any is
        refused on the way, nothing kept (`_Refused`). Replays are answered at once."""
        now = self._ctx.clock()
        settings = self._ctx.settings
        async with self._ctx.uow(write=True) as uow:
            await uow.holds.serialize_round(
                [ask.user.id for ask in asks], [ask.address for ask in asks], flight.id
            )
            replacing = any(ask.replaces is not None for ask in asks)
            if replacing:
                # before the replaced holds' seats are locked by their release: a choice
                # holding the turn elsewhere may want those very seats once they expire
                await uow.holds.serialize_choices(flight.id)
            counted = await self._counted(uow, flight, asks, now)
            if not replacing:
                await uow.holds.serialize_choices(flight.id)
            read = await _free_now(uow, flight, now)
            free = set(read)
            try:
                chosen = _choices(flight, counted, free)  # (takes the chosen seats from free)
            except _Refused:
                if free == read:  # nobody chosen for: what was read is what is left
                    self._left[flight.id] = read
                raise
            placements = [
                Placement(
                    new_hold(settings, flight, g.ask.hold_id, g.ask.user, seats, g.booked, now),
                    g.ask.address,
                )
                for g, seats in chosen
            ]
            changes = round_events(flight.id, [(g.released, seats) for g, seats in chosen])
            placed: dict[_Ask, HoldResult] = {}
            claims = await uow.holds.place_all(placements, changes, now)
            for (group, seats), placement, claimed in zip(chosen, placements, claims, strict=True):
                if len(claimed) != len(seats):  # and nothing is kept
                    raise ChoiceRaced("seats chosen were taken meanwhile by holds naming them")
                placed[group.ask] = HoldResult(placement.hold, replayed=False)
            # A request gone meanwhile (its client away, its task cancelled) gets nothing:
            # as its own transaction would have been, its part is not committed.
            gone: dict[_Ask, BaseException] = {
                ask: asyncio.CancelledError() for ask in placed if ask.answer.done()
            }
            if gone:
                raise _Refused(gone)
            await uow.commit()
        self._left[flight.id] = frozenset(free)
        return placed

    async def _counted(
        self, uow: UnitOfWork, flight: Flight, asks: list[_Ask], now: datetime
    ) -> list[_Counted]:
        """The groups whose keys are new and whose limits allow their holds; a replay is
        answered here (the hold its key made), a refusal ends the round (`_Refused`)."""
        refusals: dict[_Ask, BaseException] = {}
        limits = self._ctx.settings.hold_limits
        uses = await first_uses(uow, [(a.user.id, a.idem, a.hold_id) for a in asks], now)
        fresh: list[tuple[_Ask, list[str]]] = []
        for ask, earlier in zip(asks, uses, strict=True):
            try:
                if isinstance(earlier, DomainError):
                    raise earlier
                replay = await replayed(uow, ask.user, earlier)
                if replay is not None:
                    _answer(ask, replay)
                    continue
                released = await release_replaced(uow, ask.user, ask.replaces, flight.id, now)
            except DomainError as refused:
                refusals[ask] = refused
                continue
            fresh.append((ask, released))
        askers = [(ask.user.id, ask.address) for ask, _ in fresh]
        counts = await uow.holds.held_and_sold_all(askers, flight.id, now)
        counted: list[_Counted] = []
        for (ask, released), (held, booked) in zip(fresh, counts, strict=True):
            try:
                limits.check(held, ask.wish.count, flight.layout.capacity)
            except DomainError as refused:
                refusals[ask] = refused
                continue
            counted.append(_Counted(ask, released, booked))
        if refusals:
            raise _Refused(refusals)
        return counted


def _fitting(flight: Flight, free: frozenset[str]) -> Callable[[_Ask], bool]:
    """Whether a group's wish can be seated in `free`: tried once per wish, as a herd asks
    few different ones and every group waiting is tried."""
    fits: dict[SeatWish, bool] = {}

    def fit(ask: _Ask) -> bool:
        if ask.wish not in fits:
            fits[ask.wish] = (
                len(free) >= ask.wish.count
                and choose_seats(flight.layout, free, ask.wish) is not None
            )
        return fits[ask.wish]

    return fit


async def _free_now(uow: UnitOfWork, flight: Flight, now: datetime) -> frozenset[str]:
    taken = {seat for seat, _, _ in await uow.seats.taken(flight.id, now)}
    return frozenset(flight.layout.free_seats(taken))


def _choices(
    flight: Flight, counted: Iterable[_Counted], free: set[str]
) -> list[tuple[_Counted, tuple[str, ...]]]:
    """Each group's seats, chosen in turn from what the groups before it left free; a
    group with no choice that fits ends the round (`_Refused`)."""
    chosen: list[tuple[_Counted, tuple[str, ...]]] = []
    unfit: list[_Ask] = []
    for group in counted:
        seats = choose_seats(flight.layout, free, group.ask.wish)
        if seats is None:
            unfit.append(group.ask)
            continue
        free -= set(seats)
        chosen.append((group, seats))
    if unfit:  # told the seats left free once the others have theirs
        raise _Refused({ask: NoSeatsFit(ask.wish.words(), free) for ask in unfit})
    return chosen
