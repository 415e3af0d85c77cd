"""Signup, login, token authentication, logout, and accounts made by an operator."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from lastseat.domain.errors import AuthenticationFailed
from lastseat.domain.users import Role, User, check_password, normalise_email
from lastseat.services.context import ServiceContext
from lastseat.services.ports import PasswordHasher

TOKEN_BYTES = 32


class Accounts:
    def __init__(self, ctx: ServiceContext, hasher: PasswordHasher) -> None:
        self._ctx = ctx
        self._hasher = hasher

    def token_hash(self, token: str) -> str:
        # Keyed, so a leaked tokens table cannot be replayed without the server's key.
        key = self._ctx.settings.token_signing_key.get_secret_value().encode()
        return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()

    async def signup(self, email: str, password: str, role: Role = Role.CUSTOMER) -> User:
        email = normalise_email(email)
        check_password(password, email)
        password_hash = await self._hasher.hash(password)
        user = User(id=uuid.uuid4(), email=email, role=role)
        async with self._ctx.uow(write=True) as uow:
            await uow.users.add(user, password_hash, self._ctx.clock())
            await uow.commit()
        return user

    async def login(self, email: str, password: str) -> tuple[User, str]:
        email = normalise_email(email)
        async with self._ctx.uow() as uow:
            found = await uow.users.credentials(email)
        if found is None:
            await self._hasher.burn(password)
            raise AuthenticationFailed("email or password is wrong")
        user, password_hash = found
        if not await self._hasher.verify(password_hash, password):
            raise AuthenticationFailed("email or password is wrong")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._ctx.clock()
        async with self._ctx.uow(write=True) as uow:
            await uow.tokens.add(
                self.token_hash(token), user.id, now, now + self._ctx.settings.token_ttl
            )
            await uow.commit()
        return user, token

    async def authenticate(self, token: str) -> User | None:
        if not token or len(token) > 256:
            return None
        async with self._ctx.uow() as uow:
            return await uow.tokens.user_for(self.token_hash(token), self._ctx.clock())

    async def logout(self, token: str) -> None:
        async with self._ctx.uow(write=True) as uow:
            await uow.tokens.revoke(self.token_hash(token), self._ctx.clock())
            await uow.commit()

    async def ensure_user(self, email: str, password: str, role: Role) -> User:
        """Create the account, or reset its password and role if it exists (operator CLI)."""
        email = normalise_email(email)
        check_password(password, email)
        async with self._ctx.uow() as uow:
            found = await uow.users.credentials(email)
        if found is None:
            return await self.signup(email, password, role)
        user = found[0]
        password_hash = await self._hasher.hash(password)
        async with self._ctx.uow(write=True) as uow:
            await uow.users.set_password_hash(user.id, password_hash)
            await uow.users.set_role(user.id, role)
            await uow.commit()
        return User(user.id, user.email, role)
