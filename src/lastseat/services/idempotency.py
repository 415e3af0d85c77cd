"""Idempotency keys: a retried request returns what its first attempt created."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from lastseat.domain.errors import IdempotencyKeyReused
from lastseat.services.ports import IdempotencyKey, UnitOfWork


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
    fingerprint, earlier_id = earlier
    if fingerprint != idem.fingerprint:
        raise IdempotencyKeyReused()
    return earlier_id
