"""What the services need from the outside world, as structural types.

Adapters implement these; the services never import an adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol
from uuid import UUID

from lastseat.domain.bookings import Booking
from lastseat.domain.events import SeatEvent
from lastseat.domain.flights import Flight, Layout
from lastseat.domain.holds import Hold, HoldStatus
from lastseat.domain.money import Money
from lastseat.domain.users import Role, User


class Users(Protocol):
    async def add(self, user: User, password_hash: str, now: datetime) -> None: ...
    async def credentials(self, email: str) -> tuple[User, str] | None: ...
    async def set_password_hash(self, user_id: UUID, password_hash: str) -> None: ...
    async def set_role(self, user_id: UUID, role: Role) -> None: ...


class Tokens(Protocol):
    async def add(
        self, token_hash: str, user_id: UUID, now: datetime, expires_at: datetime
    ) -> None: ...
    async def user_for(self, token_hash: str, now: datetime) -> User | None: ...
    async def revoke(self, token_hash: str, now: datetime) -> None: ...


class Flights(Protocol):
    async def add(
        self, code: str, origin: str, destination: str, departs_at: datetime, layout: Layout
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
    ) -> list[tuple[int, str, str, str, datetime, int]]: ...


class Seats(Protocol):
    async def taken(
        self, flight_id: int, now: datetime
    ) -> list[tuple[str, str, datetime | None]]: ...
    async def hold(
        self, flight_id: int, names: Sequence[str], hold_id: UUID, now: datetime, until: datetime
    ) -> list[str]: ...
    async def release_hold(self, hold_id: UUID) -> list[tuple[int, str]]: ...
    async def book(self, hold_id: UUID, booking_id: UUID, now: datetime) -> list[str]: ...
    async def free_booking(self, booking_id: UUID) -> list[str]: ...
    async def release_expired(self, now: datetime, limit: int) -> list[tuple[int, str]]: ...


class Events(Protocol):
    async def append(self, items: Sequence[SeatEvent], now: datetime) -> None: ...


class Holds(Protocol):
    async def add(self, hold: Hold, now: datetime) -> None: ...
    async def get_owned(self, hold_id: UUID, user_id: UUID) -> Hold | None: ...
    async def close(self, hold_id: UUID, status: HoldStatus) -> bool: ...
    async def take_for_booking(
        self, hold_id: UUID, user_id: UUID, now: datetime
    ) -> Hold | None: ...
    async def expire_stale(self, now: datetime) -> int: ...


class Bookings(Protocol):
    async def add(self, booking: Booking, hold_id: UUID) -> None: ...
    async def add_seats(self, booking: Booking) -> None: ...
    async def get_owned(self, booking_id: UUID, user_id: UUID) -> Booking | None: ...
    async def list_owned(self, user_id: UUID, limit: int, offset: int) -> list[Booking]: ...
    async def cancel(self, booking_id: UUID, now: datetime) -> bool: ...
    async def manifest(self, flight_id: int) -> list[tuple[str, str, UUID, str]]: ...


class IdempotencyKeys(Protocol):
    async def claim(
        self, user_id: UUID, key: str, fingerprint: str, resource_id: UUID, now: datetime
    ) -> tuple[str, UUID] | None: ...


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

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, write: bool = False) -> UnitOfWork: ...


class SeatReader(Protocol):
    async def taken(self, flight_id: int, now: datetime) -> list[tuple[str, str, datetime | None]]:
        """Seats of the flight that are booked or held by a live hold, with the hold's end."""
        ...


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...
    async def verify(self, password_hash: str, password: str) -> bool: ...
    async def burn(self, password: str) -> None:
        """Spend the time a verification takes, so unknown emails answer as slowly."""
        ...


class PaymentGateway(Protocol):
    async def charge(self, token: str, amount: Money, idempotency_key: str) -> str:
        """Charge `amount`; return the provider's charge id or raise a payment error."""
        ...


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    key: str
    fingerprint: str


Clock = Callable[[], datetime]
