"""Accounts: who may own holds and bookings, and who may administer flights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from lastseat.domain.errors import InvalidRequest

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 320  # RFC 5321: a 64-character local part, @, a 255-character domain
# The passwords every guessing attack tries first (lower case; compared case-insensitively).
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password123",
        "passw0rd",
        "12345678",
        "123456789",
        "1234567890",
        "123123123",
        "11111111",
        "00000000",
        "87654321",
        "qwertyuiop",
        "qwerty123",
        "qwerty12",
        "1q2w3e4r",
        "1qaz2wsx",
        "iloveyou",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "welcome1",
        "welcome123",
        "letmein1",
        "admin123",
        "administrator",
        "trustno1",
        "dragon123",
        "monkey123",
        "abc12345",
        "abcd1234",
        "changeme",
        "secret123",
        "superman",
        "starwars",
        "whatever",
        "computer",
        "internet",
        "lastseat",
        "lastseat1",
    }
)


class Role(StrEnum):
    CUSTOMER = "customer"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class User:
    id: UUID
    email: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class Session:
    """Who a live bearer token signs in, and until when."""

    user: User
    expires_at: datetime


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str, email: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidRequest(
            f"password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )
    lowered = password.strip().lower()
    if lowered == normalise_email(email) or lowered == normalise_email(email).split("@")[0]:
        raise InvalidRequest("password must not be the email address")
    if lowered in COMMON_PASSWORDS:
        raise InvalidRequest("this password is too common; choose another")
