"""Bookings: a confirmed hold, with the price fixed when the seats were held."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from lastseat.domain.money import Money
from lastseat.domain.passengers import Passenger

# No 0/O or 1/I: references are read out over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8
# What a look-up may type (room for a few stray characters; longer is cut, and then wrong).
MAX_REFERENCE_LENGTH = 16


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Booking:
    id: UUID
    reference: str
    user_id: UUID
    flight_id: int
    seats: tuple[str, ...]
    total: Money
    status: BookingStatus
    created_at: datetime
    discount_code: str | None = None
    discount: int = 0  # minor units taken off by the code
    payment_id: str | None = None
    payment_status: PaymentStatus | None = None
    # in seat order; empty only for bookings made before passengers were named
    passengers: tuple[Passenger, ...] = ()


class PaymentStatus(StrEnum):
    AUTHORIZED = "authorized"  # funds reserved; captured right after the booking commits
    CAPTURED = "captured"
    VOIDED = "voided"  # cancelled before capture
    REFUNDED = "refunded"


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def typed_reference(text: str) -> str:
    """A reference as a traveller may type it, in the form references are stored: spaces
    around it dropped, capitals, and full-width letters and digits (as a Japanese or
    Chinese keyboard types them) as their ASCII forms (NFKC). Bounded
    before any work on it."""
    bounded = text[: 4 * MAX_REFERENCE_LENGTH]
    return unicodedata.normalize("NFKC", bounded).strip().upper()[:MAX_REFERENCE_LENGTH]


def is_reference(text: str) -> bool:
    """Whether `text` could be a reference (anything else names no booking)."""
    return len(text) == REFERENCE_LENGTH and all(c in REFERENCE_ALPHABET for c in text)
