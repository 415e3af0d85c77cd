"""Idempotency keys: a retried request returns what its first attempt created."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from lastseat.domain.errors import IdempotencyKeyReused, InvalidRequest
from lastseat.services.ports import IdempotencyKey, KeyClaim, UnitOfWork

MAX_KEY_LENGTH = 255


def check_key(key: str) -> str:
    # Printable only: the key came in a header or metadata, and is logged and stored.
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters")
    return key


def request_key(key: str | None, operation: str, body: bytes) -> IdempotencyKey | None:
    """The key a client sent, with a fingerprint of what it asked for: `operation` names the
    call (HTTP method and path, or the RPC) and `body` is its canonical encoding. A retry
    with the same key must match both, or it is refused rather than replayed."""
    if key is None:
        return None
    digest = hashlib.sha256(operation.encode() + b"\n" + body)
    return IdempotencyKey(key=check_key(key), fingerprint=digest.hexdigest())


async def first_use(
    uow: UnitOfWork, user_id: UUID, idem: IdempotencyKey | None, resource_id: UUID, now: datetime
) -> UUID | None:
    """Claim the key for `resource_id` inside the caller's transaction.

    Returns None when this request is the first with the key (go ahead and create the
    resource), or the id created by the first request (replay it). The claim commits or
    rolls back with the work, so a failed first attempt leaves the key free to retry.
    """
    if idem is None:
        return None
    earlier = await uow.idempotency.claim(user_id, idem.key, idem.fingerprint, resource_id, now)
    if earlier is None:
        return None
    return same_request(idem, earlier)


async def first_uses(
    uow: UnitOfWork,
    requests: Sequence[tuple[UUID, IdempotencyKey | None, UUID]],
    now: datetime,
) -> list[UUID | IdempotencyKeyReused | None]:
    """`first_use` for each of a round's requests (customer, key, resource), their keys
    claimed in one statement: None (a first use, or no key), the id the first use created,
    or the refusal of a key reused for another request."""
    keyed = [
        (i, idem, KeyClaim(user_id, idem.key, idem.fingerprint, resource_id))
        for i, (user_id, idem, resource_id) in enumerate(requests)
        if idem is not None
    ]
    found = await uow.idempotency.claim_all([claim for _, _, claim in keyed], now)
    uses: list[UUID | IdempotencyKeyReused | None] = [None] * len(requests)
    for (i, idem, _), earlier in zip(keyed, found, strict=True):
        if earlier is None:
            continue
        try:
            uses[i] = same_request(idem, earlier)
        except IdempotencyKeyReused as reused:
            uses[i] = reused
    return uses


async def earlier_use(uow: UnitOfWork, user_id: UUID, idem: IdempotencyKey | None) -> UUID | None:
    """The id a request with this key already created, if any (read only, no claim)."""
    if idem is None:
        return None
    earlier = await uow.idempotency.find(user_id, idem.key)
    return None if earlier is None else same_request(idem, earlier)


def same_request(idem: IdempotencyKey, earlier: tuple[str, UUID]) -> UUID:
    """The earlier request's resource, if it asked for the same thing; a key reused for
    something else is refused rather than answered with another request's result."""
    fingerprint, earlier_id = earlier
    if fingerprint != idem.fingerprint:
        raise IdempotencyKeyReused()
    return earlier_id
