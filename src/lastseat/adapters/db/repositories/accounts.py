"""Users and their bearer tokens."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from lastseat.adapters.db.tables import UTCDateTime, tokens, users
from lastseat.domain.errors import EmailTaken
from lastseat.domain.users import Role, Session, User


def user_from(row: Mapping[Any, Any]) -> User:
    return User(id=row["id"], email=row["email"], role=Role(row["role"]))


def session_from(row: Mapping[Any, Any]) -> Session:
    return Session(user_from(row), row["expires_at"])


class SqlUsers:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, user: User, password_hash: str, now: datetime) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    users.insert().values(
                        id=user.id,
                        email=user.email,
                        password_hash=password_hash,
                        role=user.role.value,
                        created_at=now,
                    )
                )
        except IntegrityError:
            raise EmailTaken() from None

    async def credentials(self, email: str) -> tuple[User, str] | None:
        row = (
            await self._conn.execute(
                sa.select(users.c.id, users.c.email, users.c.role, users.c.password_hash).where(
                    users.c.email == email
                )
            )
        ).first()
        if row is None:
            return None
        return User(id=row[0], email=row[1], role=Role(row[2])), row[3]

    async def set_password_hash(self, user_id: UUID, password_hash: str) -> None:
        await self._conn.execute(
            users.update().where(users.c.id == user_id).values(password_hash=password_hash)
        )

    async def set_role(self, user_id: UUID, role: Role) -> None:
        await self._conn.execute(
            users.update().where(users.c.id == user_id).values(role=role.value)
        )


_USER_FOR_TOKEN = (
    sa.select(users.c.id, users.c.email, users.c.role, tokens.c.expires_at)
    .select_from(tokens.join(users, users.c.id == tokens.c.user_id))
    .where(
        tokens.c.token_hash == sa.bindparam("token_hash", type_=sa.String()),
        tokens.c.revoked_at.is_(None),
        tokens.c.expires_at > sa.bindparam("now", type_=UTCDateTime()),
    )
)


class SqlTokens:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self, token_hash: str, user_id: UUID, now: datetime, expires_at: datetime
    ) -> None:
        await self._conn.execute(
            tokens.insert().values(
                token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at
            )
        )

    async def session_for(self, token_hash: str, now: datetime) -> Session | None:
        result = await self._conn.execute(_USER_FOR_TOKEN, {"token_hash": token_hash, "now": now})
        row = result.first()
        return None if row is None else session_from(row._mapping)

    async def revoke_all(self, user_id: UUID, now: datetime) -> None:
        await self._conn.execute(
            tokens.update()
            .where(tokens.c.user_id == user_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke(self, token_hash: str, now: datetime) -> None:
        await self._conn.execute(
            tokens.update()
            .where(tokens.c.token_hash == token_hash, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
