"""The repositories on PostgreSQL: the booking hot path sent as driver SQL.

SQLAlchemy's statement layer costs several times the database work for these small
statements (a Core insert ~430 us against ~120 us as driver SQL, measured in bench/), so
on PostgreSQL these subclasses send their text as written, with asyncpg's `$n`
parameters, by asyncpg itself in the unit of work's transaction (driver.py: not even
`exec_driver_sql`'s layer); every other method is the portable one they inherit. The unit
of work picks this set once for a PostgreSQL engine.
tests/integration/test_dialect_twins.py runs both sets on PostgreSQL and compares what
they do.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.adapters.db.driver import Driver, Row
from lastseat.adapters.db.repositories import seat_rules
from lastseat.adapters.db.repositories.accounts import SqlTokens, user_from
from lastseat.adapters.db.repositories.holds import (
    SqlHolds,
    SqlIdempotencyKeys,
    claim_statement,
    held_and_sold_from,
    hold_from,
)
from lastseat.adapters.db.repositories.inventory import SqlEvents, SqlSeats
from lastseat.adapters.db.repositories.throttling import SqlThrottles, in_order
from lastseat.domain.events import SeatEvent
from lastseat.domain.flights import SeatStatus
from lastseat.domain.holds import HeldSeats, Hold
from lastseat.domain.throttling import Counter
from lastseat.domain.users import Session
from lastseat.services.ports import KeyClaim, Placement


def naive_utc(moment: datetime) -> datetime:
    """Timestamp columns hold naive UTC (see tables.UTCDateTime)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


USER_BY_HASH = (
    "SELECT users.id, users.email, users.role, tokens.expires_at"
    " FROM tokens JOIN users ON users.id = tokens.user_id"
    " WHERE tokens.token_hash = $1 AND tokens.revoked_at IS NULL AND tokens.expires_at > $2"
)
INSERT_HOLD = (
    "INSERT INTO holds (id, user_id, flight_id, seats, quote, status, created_at, expires_at,"
    " client_address) VALUES ($1, $2, $3, $4::json, $5::json, $6, $7, $8, $9)"
)
# (S608: the text spliced in is seat_rules' own constant SQL, never a value.)
# Lock the candidate rows in one fixed order, so overlapping holds cannot deadlock. The
# parameters are INSERT_HOLD's: $1 the hold, $3 the flight, $7 now, $8 its expiry, and
# $10 the seats.
HOLD_SEATS_OF_HOLD = (
    "UPDATE seats SET status = 'held', hold_id = $1, held_until = $8, booking_id = NULL"  # noqa: S608
    " WHERE flight_id = $3 AND seat IN ("
    "  SELECT seat FROM seats WHERE flight_id = $3 AND seat = ANY($10::varchar[])"
    f"   AND {seat_rules.may_become(SeatStatus.HELD, now='$7')}"
    "  ORDER BY seat FOR UPDATE)"
    " RETURNING seat"
)
# An event's id is numbered by its transaction (migration 0013), with no lock: ids follow
# the order in which transactions began, not the order in which they commit, so a reader
# takes only the ids below the oldest transaction still running ("settled"), which no
# commit can add to, and "id > last" skips nothing. Each read first asks the cheap line
# (the oldest transaction on the whole server); only an event above it asks the exact one
# (the oldest of the sessions that may write events, migration 0014).
INSERT_EVENT = "INSERT INTO events (flight_id, seat, status, created_at) VALUES ($1, $2, $3, $4)"
# Exact, and dearer: the oldest transaction of a session that may write events (0014).
WRITTEN_BELOW = "SELECT lastseat_events_written_below()"
_LINE = "(SELECT lastseat_events_settled_below() AS below) AS line"
# Each read also says whether what it saw is settled by its own snapshot's line.
EVENTS_AFTER = (
    "SELECT id, seat, status, id < line.below FROM events, "  # noqa: S608
    f"{_LINE} WHERE flight_id = $1 AND id > $2 ORDER BY id LIMIT $3"
)
SETTLED_EVENTS_AFTER = (
    "SELECT id, seat, status, true FROM events"
    " WHERE flight_id = $1 AND id > $2 AND id < $3 ORDER BY id LIMIT $4"
)
LAST_EVENT = (
    "SELECT id, id < line.below FROM events, "  # noqa: S608
    f"{_LINE} WHERE flight_id = $1 ORDER BY id DESC LIMIT 1"
)
LAST_SETTLED_EVENT = "SELECT coalesce(max(id), 0) FROM events WHERE flight_id = $1 AND id < $2"
# How long a read waits for the transactions that hold back the events it can already see
# (a transaction of lastseat's that began before them and has not ended): usually a few
# ms, seconds on an overloaded server. Past that it answers with
# the settled ones only, and the tail's next wake-up or poll brings the rest.
SETTLE_WAIT_SECONDS = 2.0
SETTLE_STEP_SECONDS = 0.002
# One transaction at a time places holds for a customer, and for a client address on a
# flight (the first number of each lock is the kind of thing locked, the second the
# thing): the customer's first, always, so two holds cannot deadlock on them. The
# customer's limits count every flight, an address's only the flight held on: one address
# (a NAT, an office) holding seats on many flights at once is not served one at a time.
# One round trip: a subquery calling a volatile function is never merged into the query
# above it, so its lock is taken before the outer one; with no address ($2 NULL) the
# strict functions return NULL and lock nothing.
LOCK_HOLDS = (
    "SELECT pg_advisory_xact_lock(7347, hashtext($2 || ' ' || $3::integer::text))"
    " FROM (SELECT pg_advisory_xact_lock(7346, hashtext($1))) AS customer"
)
# LOCK_HOLDS for a round of holds (choice_rounds.py): every customer's lock, then every
# address's on the flight, each kind in the order of its keys. A single hold takes one of
# each in the same order (customer first), so neither can wait for the other in a circle.
LOCK_ROUND_CUSTOMERS = (
    "SELECT count(pg_advisory_xact_lock(7346, k))"
    " FROM (SELECT DISTINCT hashtext(c) AS k FROM unnest($1::text[]) AS c ORDER BY 1) AS keys"
)
LOCK_ROUND_ADDRESSES = (
    "SELECT count(pg_advisory_xact_lock(7347, k))"
    " FROM (SELECT DISTINCT hashtext(a || ' ' || $2::integer::text) AS k"
    "  FROM unnest($1::text[]) AS a ORDER BY 1) AS keys"
)
# The flight's lock for choosing seats for groups (best-available), taken after the
# customer's and the address's and as late as can be: every choice on the flight waits
# for it, so it is held for the read of the free seats, the claim and the commit only.
# Holds that name their seats do not take it (row locks order them against a choice).
LOCK_CHOICES = "SELECT pg_advisory_xact_lock(7348, $1::integer)"


def _held_and_sold(customer: str, address: str, flight: str, now: str) -> str:
    """SqlHolds.held_and_sold as driver SQL, for the customer, address (NULL matches
    nothing), flight and moment named by these SQL expressions."""
    return (
        f"SELECT held.mine_on_flight, held.mine, held.address, booked.mine, booked.address, sold.n"  # noqa: S608
        " FROM (SELECT"
        f"  coalesce(sum(CASE WHEN holds.user_id = {customer} AND holds.flight_id = {flight}"
        "   THEN 1 ELSE 0 END), 0) AS mine_on_flight,"
        f"  coalesce(sum(CASE WHEN holds.user_id = {customer} THEN 1 ELSE 0 END), 0) AS mine,"
        f"  coalesce(sum(CASE WHEN holds.client_address = {address} AND holds.flight_id = {flight}"
        "   THEN 1 ELSE 0 END), 0) AS address"
        "  FROM holds JOIN seats ON seats.hold_id = holds.id"
        f"  WHERE holds.status = 'active' AND holds.expires_at > {now}"
        f"   AND (holds.user_id = {customer}"
        f"    OR (holds.client_address = {address} AND holds.flight_id = {flight}))) AS held,"
        f" (SELECT coalesce(sum(CASE WHEN bookings.user_id = {customer} THEN 1 ELSE 0 END), 0)"
        "   AS mine,"
        f"  coalesce(sum(CASE WHEN holds.client_address = {address} THEN 1 ELSE 0 END), 0)"
        "   AS address"
        "  FROM booking_seats JOIN bookings ON bookings.id = booking_seats.booking_id"
        "  JOIN holds ON holds.id = bookings.hold_id"
        f"  WHERE booking_seats.flight_id = {flight} AND booking_seats.active"
        f"   AND (bookings.user_id = {customer} OR holds.client_address = {address})) AS booked,"
        f" (SELECT count(*) AS n FROM seats WHERE flight_id = {flight}"
        f"  AND {seat_rules.in_state(SeatStatus.BOOKED)}) AS sold"
    )


# ($1 the customer, $2 the address or NULL, $3 the flight, $4 now)
HELD_AND_SOLD = _held_and_sold("$1", "$2", "$3", "$4")
# The same for each of a round's askers, in their order ($1 the customers, $2 their
# addresses, $3 the flight, $4 now).
HELD_AND_SOLD_ALL = (
    "SELECT counts.* FROM unnest($1::uuid[], $2::varchar[]) WITH ORDINALITY"  # noqa: S608
    " AS asker(customer, address, n),"
    f" LATERAL ({_held_and_sold('asker.customer', 'asker.address', '$3', '$4')}) AS counts"
    " ORDER BY asker.n"
)
# SqlThrottles.count_all as driver SQL ($1 the keys, $2 now, $3 the window's start after
# which a count stands): the keys' rows are locked in the order given.
COUNT_ATTEMPTS = (
    "INSERT INTO throttles AS t (key, attempts, window_start)"
    " SELECT key, 1, $2 FROM unnest($1::varchar[]) WITH ORDINALITY AS given(key, n) ORDER BY n"
    " ON CONFLICT (key) DO UPDATE SET"
    # while a lock is in force nothing is counted: the attempt is refused unheard
    " attempts = CASE WHEN t.locked_until IS NOT NULL AND t.locked_until > $2 THEN t.attempts"
    "  WHEN t.window_start <= $3 THEN 1 ELSE t.attempts + 1 END,"
    " window_start = CASE WHEN t.window_start <= $3"
    "  AND NOT (t.locked_until IS NOT NULL AND t.locked_until > $2)"
    "  THEN excluded.window_start ELSE t.window_start END"
    " RETURNING t.key, t.attempts, t.window_start, t.locked_until"
)
# A hold placed in one statement: the hold, its free seats claimed (the candidate rows
# locked in seat order, HOLD_SEATS_OF_HOLD), and its seat events, in the order given.
# The seats' hold_id may name the hold inserted by the same statement: foreign keys are
# checked at its end. The service rolls all of it back unless every seat was claimed.
PLACE_HOLD = (
    f"WITH hold AS ({INSERT_HOLD}),"  # noqa: S608
    f" claimed AS ({HOLD_SEATS_OF_HOLD}),"
    " changes AS (INSERT INTO events (flight_id, seat, status, created_at)"
    "  SELECT $3, change.seat, change.status, $7"
    "  FROM unnest($11::varchar[], $12::varchar[]) WITH ORDINALITY AS change(seat, status, n)"
    "  ORDER BY change.n)"
    " SELECT seat FROM claimed"
)
# A round's holds placed in one statement (PLACE_HOLD for each, in their order): $1-$9
# the holds' columns as arrays ($3 the flight and $7 now shared), $10-$12 each seat with
# its hold and that hold's expiry, $13-$14 the events. All the round's seats are locked
# at once in the order every claim locks them (by name), so a hold naming some of the
# same seats cannot meet this one's locks the other way round (a deadlock).
PLACE_ALL = (
    "WITH hold AS (INSERT INTO holds (id, user_id, flight_id, seats, quote, status,"  # noqa: S608
    "  created_at, expires_at, client_address)"
    "  SELECT given.id, given.user_id, $3, given.seats::json, given.quote::json, given.status,"
    "   $7, given.expires_at, given.address"
    "  FROM unnest($1::uuid[], $2::uuid[], $4::text[], $5::text[], $6::varchar[],"
    "   $8::timestamp[], $9::varchar[])"
    "   WITH ORDINALITY AS given(id, user_id, seats, quote, status, expires_at, address, n)"
    "  ORDER BY given.n),"
    " wanted AS (SELECT * FROM unnest($10::uuid[], $11::varchar[], $12::timestamp[])"
    "  AS w(hold_id, seat, until)),"
    " claimed AS (UPDATE seats SET status = 'held', hold_id = wanted.hold_id,"
    "  held_until = wanted.until, booking_id = NULL"
    "  FROM wanted WHERE seats.flight_id = $3 AND seats.seat = wanted.seat AND seats.seat IN ("
    "   SELECT seat FROM seats WHERE flight_id = $3 AND seat = ANY($11::varchar[])"
    f"    AND {seat_rules.may_become(SeatStatus.HELD, now='$7')}"
    "   ORDER BY seat FOR UPDATE)"
    "  RETURNING wanted.hold_id, seats.seat),"
    " changes AS (INSERT INTO events (flight_id, seat, status, created_at)"
    "  SELECT $3, change.seat, change.status, $7"
    "  FROM unnest($13::varchar[], $14::varchar[]) WITH ORDINALITY AS change(seat, status, n)"
    "  ORDER BY change.n)"
    " SELECT hold_id, seat FROM claimed"
)
# SqlIdempotencyKeys.claim for a round's keys ($1-$4 as arrays, $5 now): for each, in
# order, whether it was new, else the first use's fingerprint and resource as this
# statement's snapshot shows them (a first use committed while the insert waited for it is
# not in that snapshot: SqlIdempotencyKeys.find reads it then).
CLAIM_ALL = (
    "WITH given AS (SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::uuid[])"
    "  WITH ORDINALITY AS g(user_id, key, fingerprint, resource_id, n)),"
    " claimed AS (INSERT INTO idempotency_keys (user_id, key, fingerprint, resource_id, created_at)"
    "  SELECT user_id, key, fingerprint, resource_id, $5 FROM given ORDER BY n"
    "  ON CONFLICT DO NOTHING RETURNING user_id, key)"
    " SELECT claimed.key IS NOT NULL, earlier.fingerprint, earlier.resource_id FROM given"
    " LEFT JOIN claimed ON claimed.user_id = given.user_id AND claimed.key = given.key"
    " LEFT JOIN idempotency_keys AS earlier"
    "  ON earlier.user_id = given.user_id AND earlier.key = given.key"
    " ORDER BY given.n"
)
# SqlIdempotencyKeys.find for each (customer, key) given, in their order.
FIND_ALL = (
    "SELECT earlier.fingerprint, earlier.resource_id"
    " FROM unnest($1::uuid[], $2::varchar[]) WITH ORDINALITY AS given(user_id, key, n)"
    " LEFT JOIN idempotency_keys AS earlier"
    "  ON earlier.user_id = given.user_id AND earlier.key = given.key"
    " ORDER BY given.n"
)
OWNED_HOLD = (
    "SELECT id, user_id, flight_id, seats, expires_at, status, quote FROM holds"
    " WHERE id = $1 AND user_id = $2"
)
TAKE_HOLD_FOR_BOOKING = (
    "UPDATE holds SET status = 'booked'"
    " WHERE id = $1 AND user_id = $2 AND status = 'active' AND expires_at > $3"
    " RETURNING id, user_id, flight_id, seats, expires_at, status, quote"
)
INSERT_BOOKING = (
    "INSERT INTO bookings (id, reference, user_id, flight_id, hold_id, seats, total_amount,"
    " currency, status, created_at, discount_code, discount_amount, payment_id, payment_status)"
    " VALUES ($1, $2, $3, $4, $5, $6::json, $7, $8, $9, $10, $11, $12, $13, $14)"
)
# The hold's seats booked, in PLACE_BOOKING (pg_bookings.py): $1 the booking, $5 the
# hold, $27 now.
BOOK_SEATS_OF_BOOKING = (
    "UPDATE seats SET status = 'booked', booking_id = $1, hold_id = NULL, held_until = NULL"  # noqa: S608
    f" WHERE hold_id = $5 AND {seat_rules.may_become(SeatStatus.BOOKED, now='$27')}"
    " RETURNING seat"
)
TAKEN = (
    "SELECT seat, status, held_until FROM seats"  # noqa: S608
    f" WHERE flight_id = $1 AND {seat_rules.taken(now='$2')}"
)


class DriverSql:
    """A repository whose statements go by asyncpg itself (adapters/db/driver.py)."""

    _conn: AsyncConnection

    @functools.cached_property
    def _sql(self) -> Driver:
        return Driver(self._conn)


class PgTokens(DriverSql, SqlTokens):
    async def session_for(self, token_hash: str, now: datetime) -> Session | None:
        row = await self._sql.first(USER_BY_HASH, (token_hash, naive_utc(now)))
        return None if row is None else Session(user_from(row), row[3].replace(tzinfo=UTC))


class PgEvents(DriverSql, SqlEvents):
    async def append(self, items: Sequence[SeatEvent], now: datetime) -> None:
        if not items:
            return
        stamp = naive_utc(now)
        rows = [(e.flight_id, e.seat, e.status.value, stamp) for e in items]
        await self._sql.many(INSERT_EVENT, rows)

    async def _written_below(self) -> int:
        return int((await self._sql.one(WRITTEN_BELOW))[0])

    async def _settled_past(self, event_id: int) -> int:
        """The settled line once it has passed `event_id` (waiting a bounded time for the
        transactions that began before that event to end), or as it is at the deadline."""
        deadline = time.monotonic() + SETTLE_WAIT_SECONDS
        below = await self._written_below()
        while below <= event_id and time.monotonic() < deadline:
            await asyncio.sleep(SETTLE_STEP_SECONDS)
            below = await self._written_below()
        return below

    async def for_flight(
        self, flight_id: int, after: int, limit: int
    ) -> list[tuple[int, str, str]]:
        """The flight's settled events after `after`, in id order. If the read sees an
        event that is not settled yet, it waits for it to settle and reads again: by then
        every event below it is committed or never will be, seen or not the first time."""
        seen = await self._sql.rows(EVENTS_AFTER, (flight_id, after, limit))
        if seen and not seen[-1][3]:
            below = await self._settled_past(seen[-1][0])
            again = (flight_id, after, below, limit)
            seen = await self._sql.rows(SETTLED_EVENTS_AFTER, again)
        return [(row[0], row[1], row[2]) for row in seen if row[3]]

    async def latest(self, flight_id: int) -> int:
        """The id of the flight's last settled event (0 if none): every event committed
        later has a higher id."""
        seen = await self._sql.first(LAST_EVENT, (flight_id,))
        if seen is None or seen[1]:
            return 0 if seen is None else int(seen[0])
        below = await self._settled_past(seen[0])
        return int((await self._sql.one(LAST_SETTLED_EVENT, (flight_id, below)))[0])


class PgSeats(DriverSql, SqlSeats):
    async def taken(self, flight_id: int, now: datetime) -> list[tuple[str, str, datetime | None]]:
        found = await self._sql.rows(TAKEN, (flight_id, naive_utc(now)))
        return [(seat, status, aware(until)) for seat, status, until in found]


class PgHolds(DriverSql, SqlHolds):
    async def place(
        self, hold: Hold, now: datetime, address: str | None, changes: Sequence[SeatEvent]
    ) -> list[str]:
        args = (
            hold.id,
            hold.user_id,
            hold.flight_id,
            json_text(list(hold.seats)),
            json_text(hold.quote.as_dict()),
            hold.status.value,
            naive_utc(now),
            naive_utc(hold.expires_at),
            address,
            list(hold.seats),
            [change.seat for change in changes],
            [change.status.value for change in changes],
        )
        return [row[0] for row in await self._sql.rows(PLACE_HOLD, args)]

    async def place_all(
        self, placements: Sequence[Placement], changes: Sequence[SeatEvent], now: datetime
    ) -> list[list[str]]:
        if not placements:
            await PgEvents(self._conn).append(changes, now)
            return []
        held = [p.hold for p in placements]
        claims = [(h.id, seat, naive_utc(h.expires_at)) for h in held for seat in h.seats]
        args = (
            [h.id for h in held],
            [h.user_id for h in held],
            held[0].flight_id,
            [json_text(list(h.seats)) for h in held],
            [json_text(h.quote.as_dict()) for h in held],
            [h.status.value for h in held],
            naive_utc(now),
            [naive_utc(h.expires_at) for h in held],
            [p.address for p in placements],
            [hold_id for hold_id, _, _ in claims],
            [seat for _, seat, _ in claims],
            [until for _, _, until in claims],
            [change.seat for change in changes],
            [change.status.value for change in changes],
        )
        claimed: dict[UUID, list[str]] = {h.id: [] for h in held}
        for hold_id, seat in await self._sql.rows(PLACE_ALL, args):
            claimed[hold_id].append(seat)
        return [claimed[h.id] for h in held]

    async def held_and_sold(
        self, user_id: UUID, address: str | None, flight_id: int, now: datetime
    ) -> tuple[HeldSeats, int]:
        args = (user_id, address, flight_id, naive_utc(now))
        return held_and_sold_from(await self._sql.one(HELD_AND_SOLD, args))

    async def held_and_sold_all(
        self, askers: Sequence[tuple[UUID, str | None]], flight_id: int, now: datetime
    ) -> list[tuple[HeldSeats, int]]:
        if not askers:
            return []
        customers = [customer for customer, _ in askers]
        addresses = [address for _, address in askers]
        args = (customers, addresses, flight_id, naive_utc(now))
        return [held_and_sold_from(row) for row in await self._sql.rows(HELD_AND_SOLD_ALL, args)]

    async def serialize(self, user_id: UUID, address: str | None, flight_id: int) -> None:
        """Transaction locks on the customer and the address on the flight, in that order."""
        await self._sql.rows(LOCK_HOLDS, (str(user_id), address, flight_id))

    async def serialize_round(
        self, user_ids: Sequence[UUID], addresses: Sequence[str | None], flight_id: int
    ) -> None:
        customers = [str(user_id) for user_id in user_ids]
        await self._sql.rows(LOCK_ROUND_CUSTOMERS, (customers,))
        given = [address for address in addresses if address is not None]
        if given:
            await self._sql.rows(LOCK_ROUND_ADDRESSES, (given, flight_id))

    async def serialize_choices(self, flight_id: int) -> None:
        await self._sql.rows(LOCK_CHOICES, (flight_id,))

    async def get_owned(self, hold_id: UUID, user_id: UUID) -> Hold | None:
        return _hold_of(await self._sql.first(OWNED_HOLD, (hold_id, user_id)))

    async def take_for_booking(self, hold_id: UUID, user_id: UUID, now: datetime) -> Hold | None:
        args = (hold_id, user_id, naive_utc(now))
        return _hold_of(await self._sql.first(TAKE_HOLD_FOR_BOOKING, args))


def _hold_of(row: Row | None) -> Hold | None:
    if row is None:
        return None
    columns = dict(row.items())
    columns["expires_at"] = aware(columns["expires_at"])
    return hold_from(columns)


class PgIdempotencyKeys(DriverSql, SqlIdempotencyKeys):
    _CLAIM = claim_statement(postgresql.insert)

    async def claim_all(
        self, claims: Sequence[KeyClaim], now: datetime
    ) -> list[tuple[str, UUID] | None]:
        if not claims:
            return []
        args = (
            [c.user_id for c in claims],
            [c.key for c in claims],
            [c.fingerprint for c in claims],
            [c.resource_id for c in claims],
            naive_utc(now),
        )
        found = await self._sql.rows(CLAIM_ALL, args)
        earlier: list[tuple[str, UUID] | None] = []
        for claim, (new, fingerprint, resource_id) in zip(claims, found, strict=True):
            if new:
                earlier.append(None)
            elif fingerprint is None:  # committed after this statement's snapshot was taken
                earlier.append(await self.find(claim.user_id, claim.key))
            else:
                earlier.append((fingerprint, resource_id))
        return earlier

    async def find_all(self, keys: Sequence[tuple[UUID, str]]) -> list[tuple[str, UUID] | None]:
        if not keys:
            return []
        args = ([user_id for user_id, _ in keys], [key for _, key in keys])
        found = await self._sql.rows(FIND_ALL, args)
        return [None if row[0] is None else (row[0], row[1]) for row in found]


class PgThrottles(DriverSql, SqlThrottles):
    _insert = staticmethod(postgresql.insert)

    async def count_all(
        self, keys: Sequence[str], now: datetime, window_start_after: datetime
    ) -> list[Counter]:
        args = (list(keys), naive_utc(now), naive_utc(window_start_after))
        found = await self._sql.rows(COUNT_ATTEMPTS, args)
        rows = [(row[0], row[1], aware(row[2]), aware(row[3])) for row in found]
        return in_order(keys, rows)
