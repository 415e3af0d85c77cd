"""Signup, login, token authentication, logout, and accounts made by an operator."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import datetime, timedelta

from pydantic import SecretStr

from lastseat.domain.errors import AuthenticationFailed, TooManyAttempts
from lastseat.domain.throttling import ThrottleRules, retry_after_seconds
from lastseat.domain.users import Role, User, check_password, normalise_email
from lastseat.services.context import ServiceContext
from lastseat.services.ports import PasswordHasher, UnitOfWork

TOKEN_BYTES = 32


class Accounts:
    def __init__(self, ctx: ServiceContext, hasher: PasswordHasher) -> None:
        self._ctx = ctx
        self._hasher = hasher

    def token_hash(self, token: str, key: SecretStr | None = None) -> str:
        # Keyed, so a leaked tokens table cannot be replayed without the server's key.
        secret = (key or self._ctx.settings.token_signing_key).get_secret_value().encode()
        return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()

    def _token_hashes(self, token: str) -> list[str]:
        """The token's hash under the current key, then under the previous one (rotation)."""
        hashes = [self.token_hash(token)]
        previous = self._ctx.settings.token_signing_key_previous
        if previous is not None:
            hashes.append(self.token_hash(token, previous))
        return hashes

    async def signup(self, email: str, password: str, role: Role = Role.CUSTOMER) -> User:
        email = normalise_email(email)
        check_password(password, email)
        password_hash = await self._hasher.hash(password)
        user = User(id=uuid.uuid4(), email=email, role=role)
        async with self._ctx.uow(write=True) as uow:
            await uow.users.add(user, password_hash, self._ctx.clock())
            await uow.commit()
        return user

    def _throttles(self, email: str, address: str | None) -> list[tuple[str, ThrottleRules]]:
        settings = self._ctx.settings
        window = timedelta(seconds=settings.login_window_seconds)
        base = timedelta(seconds=settings.login_lockout_seconds)
        cap = timedelta(seconds=settings.login_max_lockout_seconds)
        keys = [
            (
                f"account:{email}",
                ThrottleRules(settings.login_max_failures_per_account, window, base, cap),
            )
        ]
        if address:
            keys.append(
                (
                    f"address:{address}",
                    ThrottleRules(settings.login_max_failures_per_address, window, base, cap),
                )
            )
        return keys

    async def login(
        self, email: str, password: str, address: str | None = None
    ) -> tuple[User, str]:
        """Sign in. Unknown emails and wrong passwords fail alike, in answer and in time;
        too many failures lock the account and the address out (429), in every process."""
        email = normalise_email(email)
        throttles = self._throttles(email, address)
        now = self._ctx.clock()
        async with self._ctx.uow() as uow:
            locked = await uow.login_attempts.locked_until([k for k, _ in throttles], now)
            found = await uow.users.credentials(email)
        if locked is not None:
            raise TooManyAttempts(retry_after_seconds(locked, now))
        if found is None:
            await self._hasher.burn(password)
        elif await self._hasher.verify(found[1], password):
            user = found[0]
            async with self._ctx.uow(write=True) as uow:
                await uow.login_attempts.clear(throttles[0][0])
                token = await self._issue_token(uow, user)
                await uow.commit()
            return user, token
        await self._count_failure(throttles, now)
        raise AuthenticationFailed("email or password is wrong")

    async def _count_failure(
        self, throttles: list[tuple[str, ThrottleRules]], now: datetime
    ) -> None:
        async with self._ctx.uow(write=True) as uow:
            for key, rules in throttles:
                failures = await uow.login_attempts.record_failure(key, now, now - rules.window)
                lockout = rules.lockout(failures)
                if lockout is not None:
                    await uow.login_attempts.lock(key, now + lockout)
            await uow.commit()

    async def _issue_token(self, uow: UnitOfWork, user: User) -> str:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._ctx.clock()
        await uow.tokens.add(
            self.token_hash(token), user.id, now, now + self._ctx.settings.token_ttl
        )
        return token

    async def authenticate(self, token: str) -> User | None:
        if not token or len(token) > 256:
            return None
        now = self._ctx.clock()
        async with self._ctx.uow() as uow:
            for token_hash in self._token_hashes(token):
                user = await uow.tokens.user_for(token_hash, now)
                if user is not None:
                    return user
        return None

    async def logout(self, token: str) -> None:
        async with self._ctx.uow(write=True) as uow:
            for token_hash in self._token_hashes(token):
                await uow.tokens.revoke(token_hash, self._ctx.clock())
            await uow.commit()

    async def change_password(self, user: User, current: str, new: str) -> None:
        """Check the current password, set the new one, and end every session of the user."""
        check_password(new, user.email)
        async with self._ctx.uow() as uow:
            found = await uow.users.credentials(user.email)
        if found is None or not await self._hasher.verify(found[1], current):
            raise AuthenticationFailed("the current password is wrong")
        password_hash = await self._hasher.hash(new)
        async with self._ctx.uow(write=True) as uow:
            await uow.users.set_password_hash(user.id, password_hash)
            await uow.tokens.revoke_all(user.id, self._ctx.clock())
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
