"""What the services need from the outside world, as structural types.

Adapters implement these; the services never import an adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from types import TracebackType
from typing import Protocol
from uuid import UUID

from lastseat.domain.bookings import Booking, PaymentStatus
from lastseat.domain.discounts import Discount
from lastseat.domain.errors import DatabaseUnavailable
from lastseat.domain.events import SeatEvent
from lastseat.domain.flights import Flight, Layout
from lastseat.domain.holds import HeldSeats, Hold, HoldStatus
from lastseat.domain.mail import Letter, NewMail, OutboxMail
from lastseat.domain.money import Money
from lastseat.domain.passengers import Passenger
from lastseat.domain.pricing import Quote
from lastseat.domain.throttling import Counter
from lastseat.domain.users import Role, Session, User
from lastseat.domain.waiting_room import Sale


@dataclass(frozen=True, slots=True)
class Placement:
    """A hold to place, and the address it was asked from."""

    hold: Hold
    address: str | None


@dataclass(frozen=True, slots=True)
class KeyClaim:
    """An idempotency key to claim for the resource a request is about to create."""

    user_id: UUID
    key: str
    fingerprint: str
    resource_id: UUID


class Users(Protocol):
    async def add(self, user: User, password_hash: str, now: datetime) -> None: ...
    async def credentials(self, email: str) -> tuple[User, str] | None: ...
    async def set_password_hash(self, user_id: UUID, password_hash: str) -> None: ...
    async def set_role(self, user_id: UUID, role: Role) -> None: ...


class Tokens(Protocol):
    async def add(
        self, token_hash: str, user_id: UUID, now: datetime, expires_at: datetime
    ) -> None: ...
    async def session_for(self, token_hash: str, now: datetime) -> Session | None: ...
    async def revoke(self, token_hash: str, now: datetime) -> None: ...
    async def revoke_all(self, user_id: UUID, now: datetime) -> None: ...


class Flights(Protocol):
    async def add(
        self,
        code: str,
        origin: str,
        destination: str,
        departs_at: datetime,
        layout: Layout,
        arrives_at: datetime | None = None,
    ) -> Flight: ...
    async def get(self, flight_id: int) -> Flight | None: ...
    async def search(
        self,
        now: datetime,
        origin: str | None,
        destination: str | None,
        on: date | None,
        limit: int,
        offset: int,
    ) -> list[tuple[int, str, str, str, datetime, int, datetime | None]]: ...


class Seats(Protocol):
    async def taken(
        self, flight_id: int, now: datetime
    ) -> list[tuple[str, str, datetime | None]]: ...
    async def release_hold(self, hold_id: UUID) -> list[tuple[int, str]]: ...
    async def free_booking(self, booking_id: UUID) -> list[str]: ...
    async def release_expired(self, now: datetime, limit: int) -> list[tuple[int, str]]: ...


class Events(Protocol):
    async def append(self, items: Sequence[SeatEvent], now: datetime) -> None: ...
    async def for_flight(
        self, flight_id: int, after: int, limit: int
    ) -> list[tuple[int, str, str]]: ...
    async def latest(self, flight_id: int) -> int: ...
    async def prune(self, before: datetime, limit: int, now: datetime) -> int: ...
    async def pruned_through(self) -> int: ...


class Holds(Protocol):
    async def serialize(self, user_id: UUID, address: str | None, flight_id: int) -> None:
        """Make this transaction the only one placing holds for the customer (on any
        flight) and for the address on the flight until it ends, so what they hold can be
        counted and added to without a race."""
        ...

    async def serialize_round(
        self, user_ids: Sequence[UUID], addresses: Sequence[str | None], flight_id: int
    ) -> None:
        """`serialize` for several holds at once (a round of groups' choices): their
        customers' locks, then their addresses' on the flight, each in one fixed order."""
        ...

    async def serialize_choices(self, flight_id: int) -> None:
        """Make this transaction the only one choosing seats on the flight for a group
        (best-available) until it ends, so two choices never see the same free seats."""
        ...

    async def held_and_sold(
        self, user_id: UUID, address: str | None, flight_id: int, now: datetime
    ) -> tuple[HeldSeats, int]:
        """What the customer and the address hold and have booked, for the limits, and the
        seats sold on the flight, for the price: one read."""
        ...

    async def held_and_sold_all(
        self, askers: Sequence[tuple[UUID, str | None]], flight_id: int, now: datetime
    ) -> list[tuple[HeldSeats, int]]:
        """`held_and_sold` for each (customer, address) on the flight, in their order: one
        read for a round of holds."""
        ...

    async def place(
        self, hold: Hold, now: datetime, address: str | None, changes: Sequence[SeatEvent]
    ) -> list[str]:
        """Add the hold, claim its free seats and append `changes`; the seats claimed
        (the caller rolls back unless all were)."""
        ...

    async def place_all(
        self, placements: Sequence[Placement], changes: Sequence[SeatEvent], now: datetime
    ) -> list[list[str]]:
        """`place` for each of a round's holds, in their order (their seats all differ),
        and `changes` appended (the round's seat events): the seats each claimed."""
        ...

    async def get_owned(self, hold_id: UUID, user_id: UUID) -> Hold | None: ...
    async def live_owned(
        self, user_id: UUID, flight_id: int | None, now: datetime, limit: int, offset: int
    ) -> list[Hold]:
        """The customer's holds that are active and unexpired at `now`, newest first."""
        ...

    async def close(self, hold_id: UUID, status: HoldStatus) -> bool: ...
    async def take_for_booking(
        self, hold_id: UUID, user_id: UUID, now: datetime
    ) -> Hold | None: ...
    async def expire_stale(self, now: datetime) -> int: ...


class Bookings(Protocol):
    async def place(
        self,
        booking: Booking,
        hold_id: UUID,
        now: datetime,
        changes: Sequence[SeatEvent],
        ticket: NewMail,
    ) -> list[str]:
        """Add the booking (its seats, live, and its passengers), book the hold's seats
        still held, append `changes` and write `ticket` to the outbox; the seats booked
        (the caller rolls back unless all were)."""
        ...

    async def get_owned(self, booking_id: UUID, user_id: UUID) -> Booking | None: ...
    async def by_reference(self, reference: str) -> Booking | None: ...
    async def list_owned(self, user_id: UUID, limit: int, offset: int) -> list[Booking]: ...
    async def cancel(self, booking_id: UUID, now: datetime) -> bool: ...
    async def manifest(self, flight_id: int) -> list[tuple[str, str, UUID, Passenger | None]]: ...
    async def revenue(self, flight_id: int) -> tuple[int, int]: ...
    async def mark_captured(self, booking_ids: Collection[UUID]) -> None: ...
    async def claim_unsettled(
        self,
        now: datetime,
        lease_until: datetime,
        limit: int,
        max_attempts: int,
        made_before: datetime,
    ) -> list[Booking]: ...
    async def settled(self, booking_id: UUID, status: PaymentStatus) -> None: ...
    async def settle_failed(self, booking_id: UUID, error: str, give_up_at: int | None) -> int: ...
    async def settle_later(self, booking_id: UUID, at: datetime) -> None: ...
    async def stuck(
        self, max_attempts: int, limit: int
    ) -> list[tuple[Booking, int, str | None]]: ...
    async def count_stuck(self, max_attempts: int) -> int: ...
    async def retry_settlement(self, booking_id: UUID) -> bool: ...


class IdempotencyKeys(Protocol):
    async def claim(
        self, user_id: UUID, key: str, fingerprint: str, resource_id: UUID, now: datetime
    ) -> tuple[str, UUID] | None: ...
    async def claim_all(
        self, claims: Sequence[KeyClaim], now: datetime
    ) -> list[tuple[str, UUID] | None]:
        """`claim` for each of a round's keys (of different customers), in their order."""
        ...

    async def find(self, user_id: UUID, key: str) -> tuple[str, UUID] | None: ...
    async def find_all(self, keys: Sequence[tuple[UUID, str]]) -> list[tuple[str, UUID] | None]:
        """`find` for each (customer, key), in their order: one read."""
        ...


class Discounts(Protocol):
    async def add(self, discount: Discount, now: datetime) -> None: ...
    async def get(self, code: str) -> tuple[Discount, int] | None: ...
    async def used_by(self, code: str, user_id: UUID) -> bool: ...
    async def redeem(
        self, code: str, user_id: UUID, booking_id: UUID, amount: int, now: datetime
    ) -> None: ...
    async def redemptions_on(self, flight_id: int) -> list[tuple[str, int, int]]: ...
    async def give_back(self, booking_id: UUID) -> None: ...


class Throttles(Protocol):
    async def count(self, key: str, now: datetime, window_start_after: datetime) -> Counter: ...
    async def count_all(
        self, keys: Sequence[str], now: datetime, window_start_after: datetime
    ) -> list[Counter]:
        """`count` for each of `keys` (distinct, one window), in one statement, in order."""
        ...

    async def lock(self, key: str, until: datetime) -> None: ...
    async def give_back(self, key: str) -> None: ...
    async def clear(self, key: str) -> None: ...
    async def remember(self, key: str, now: datetime) -> None: ...
    async def remembered_since(self, key: str, since: datetime) -> bool: ...
    async def forget(
        self, now: datetime, counted_before: datetime, known_before: datetime, known_prefix: str
    ) -> int: ...


class MailOutbox(Protocol):
    async def add(self, mail: NewMail, now: datetime) -> None: ...
    async def claim_due(
        self, now: datetime, lease_until: datetime, limit: int, max_attempts: int
    ) -> list[OutboxMail]: ...
    async def sent(self, mail_id: int, now: datetime) -> None: ...
    async def failed(self, mail_id: int, error: str, retry_at: datetime) -> int: ...
    async def price_of(self, booking_id: UUID) -> Quote: ...
    async def for_booking(self, booking_id: UUID) -> list[tuple[OutboxMail, datetime | None]]: ...
    async def count_stuck(self, max_attempts: int) -> int: ...


@dataclass(frozen=True, slots=True)
class LinePlace:
    """A traveller's place in a sale's line, as stored (domain/waiting_room.py orders it)."""

    place_id: UUID
    user_id: UUID
    arrival_second: int
    draw: int
    admitted_at: datetime | None = None
    expires_at: datetime | None = None


class SaleLock(Enum):
    ADMIT = "admit"  # admissions are made one transaction at a time
    KEEP = "keep"  # the sale cannot end meanwhile (joins: many at once)


class Sales(Protocol):
    async def add(self, sale: Sale, now: datetime) -> bool: ...
    async def get(
        self, flight_id: int, lock: SaleLock | None = None
    ) -> tuple[Sale, datetime] | None: ...
    async def all(self) -> list[Sale]: ...
    async def remove(self, flight_id: int) -> bool: ...
    async def set_paced_until(self, flight_id: int, paced_until: datetime) -> None: ...
    async def place(self, flight_id: int, user_id: UUID) -> LinePlace | None: ...
    async def place_by_id(self, flight_id: int, place_id: UUID) -> LinePlace | None: ...
    async def join(
        self, flight_id: int, user_id: UUID, place: LinePlace, joined_at: datetime
    ) -> bool: ...
    async def rejoin(
        self, flight_id: int, user_id: UUID, place: LinePlace, joined_at: datetime
    ) -> bool: ...
    async def ahead_of(self, flight_id: int, place: LinePlace) -> int: ...
    async def waiting_order(self, flight_id: int, limit: int) -> list[UUID]: ...
    async def counts(self, flight_id: int, now: datetime) -> tuple[int, int]: ...
    async def admit(
        self, flight_id: int, limit: int, before_second: int, now: datetime, expires_at: datetime
    ) -> int: ...


class UnitOfWork(Protocol):
    @property
    def users(self) -> Users: ...
    @property
    def tokens(self) -> Tokens: ...
    @property
    def flights(self) -> Flights: ...
    @property
    def seats(self) -> Seats: ...
    @property
    def events(self) -> Events: ...
    @property
    def holds(self) -> Holds: ...
    @property
    def bookings(self) -> Bookings: ...
    @property
    def idempotency(self) -> IdempotencyKeys: ...
    @property
    def discounts(self) -> Discounts: ...
    @property
    def throttles(self) -> Throttles: ...
    @property
    def mail(self) -> MailOutbox: ...
    @property
    def sales(self) -> Sales: ...

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, write: bool = False, single: bool = False) -> UnitOfWork:
        """`single`: the unit of work is one write statement, committed as it runs where
        the database can (PostgreSQL: no BEGIN and COMMIT round trips)."""
        ...


@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether the database answers, and its schema revision against the code's."""

    reachable: bool
    schema: str | None
    wanted: str | None

    @property
    def ready(self) -> bool:
        return self.reachable and self.schema == self.wanted


@dataclass(frozen=True, slots=True)
class PoolStatus:
    size: int  # connections the pool keeps
    checked_out: int  # of them, in use now


class Database(Protocol):
    """The store as operations see it; the services' own work goes through units of work."""

    async def readiness(self) -> Readiness: ...
    def pool(self) -> PoolStatus: ...
    async def upgrade(self) -> str | None:
        """Migrate to the schema the code needs; return the revision it is at then."""
        ...

    def unavailability(self, failure: BaseException) -> DatabaseUnavailable | None:
        """`failure` as the store being away or busy (a 503 to retry), if it is that;
        None for anything else, which is a bug. For failures met outside a unit of work."""
        ...

    async def close(self) -> None: ...


class ChangeFeed(Protocol):
    """Runs until cancelled, reporting the flights and the users' sessions other processes
    changed."""

    async def run(self) -> None: ...


@dataclass(frozen=True, slots=True)
class TakenSeats:
    """The seats of a flight that are booked or held by a live hold (with the hold's end),
    and `as_of`: a time on the process's monotonic clock before which every committed
    change is in `rows` (the read's start on the primary; older on a replica)."""

    rows: list[tuple[str, str, datetime | None]]
    as_of: float


class SeatReader(Protocol):
    async def taken(self, flight_id: int, now: datetime) -> TakenSeats: ...


@dataclass(frozen=True, slots=True)
class ReplicaReadCounts:
    """Seat-map reads served by the replica, and those it could not serve, by reason."""

    served: int
    fallbacks: dict[str, int]


class ReplicaSeatReader(SeatReader, Protocol):
    """A seat reader that may answer from a replica within a staleness bound."""

    async def run(self) -> None:
        """Runs until cancelled: keeps the primary's recent WAL positions it judges by."""
        ...

    def counts(self) -> ReplicaReadCounts: ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...
    async def verify(self, password_hash: str, password: str) -> bool: ...
    async def burn(self, password: str) -> None:
        """Spend the time a verification takes, so unknown emails answer as slowly."""
        ...


class PaymentGateway(Protocol):
    """A card provider: every call is idempotent by `key`; failures raise payment errors."""

    async def authorize(self, token: str, amount: Money, key: str) -> str:
        """Reserve `amount` on the card; return the authorization id."""
        ...

    async def capture(self, authorization: str, key: str) -> None: ...
    async def void(self, authorization: str, key: str) -> None: ...
    async def refund(self, authorization: str, key: str) -> None: ...
    async def status(self, authorization: str) -> PaymentStatus:
        """Where the provider says the authorization's money stands (its ledger decides)."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    key: str
    fingerprint: str


Clock = Callable[[], datetime]


class Postman(Protocol):
    """Sends a message to the relay; raises MailUnavailable if it cannot (retried later)."""

    async def send(self, letter: Letter) -> None: ...
