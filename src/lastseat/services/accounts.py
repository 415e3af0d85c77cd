"""Signup, login, token authentication, logout, and accounts made by an operator."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from pydantic import SecretStr

from lastseat.domain.errors import AuthenticationFailed, DomainError
from lastseat.domain.users import Role, User, check_password, normalise_email
from lastseat.services.context import ServiceContext
from lastseat.services.ports import PasswordHasher, UnitOfWork
from lastseat.services.throttles import (
    Throttle,
    forget_stale,
    give_back,
    give_back_now,
    known_address_key,
    reserve,
    shared_sign_in_throttles,
    sign_in_pair,
    sign_up_throttles,
)

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

    async def signup(
        self, email: str, password: str, role: Role = Role.CUSTOMER, address: str | None = None
    ) -> User:
        email = normalise_email(email)
        check_password(password, email)
        # Counted before the (deliberately expensive) hash, so a flood is refused cheaply.
        await reserve(self._ctx, sign_up_throttles(self._ctx.settings, address))
        password_hash = await self._hasher.hash(password)
        user = User(id=uuid.uuid4(), email=email, role=role)
        async with self._ctx.uow(write=True) as uow:
            await uow.users.add(user, password_hash, self._ctx.clock())
            await uow.commit()
        return user

    async def _check_password(
        self, email: str, password: str, address: str | None
    ) -> tuple[User, list[Throttle]] | None:
        """Verify a password under the sign-in throttles: the attempt is counted first (429
        past a limit), and only then is the password checked. Unknown emails cost the same
        time as known ones. Returns the user and the throttles it counted against."""
        settings = self._ctx.settings
        known_key = known_address_key(email, address)
        since = self._ctx.clock() - timedelta(days=settings.login_known_address_days)
        async with self._ctx.uow() as uow:
            known = await uow.throttles.remembered_since(known_key, since)
            found = await uow.users.credentials(email)
        pair = sign_in_pair(settings, email, address)
        [pair_attempts] = await reserve(self._ctx, [pair])
        shared = shared_sign_in_throttles(settings, email, address, known, pair_attempts == 1)
        try:
            await reserve(self._ctx, shared)
        except DomainError:  # refused (or the database away): unheard, not held against it
            with contextlib.suppress(DomainError):
                await give_back_now(self._ctx, [pair])
            raise
        throttles = [pair, *shared]
        if found is None:
            await self._hasher.burn(password)
            return None
        if not await self._hasher.verify(found[1], password):
            return None
        return found[0], throttles

    async def _signed_in(
        self, uow: UnitOfWork, email: str, address: str | None, throttles: list[Throttle]
    ) -> None:
        """A right password: the pair starts afresh, the account and address get their
        attempt back, and the address is known for this account from now on."""
        pair, *shared = throttles
        await uow.throttles.clear(pair.key)
        await give_back(uow, shared)
        await uow.throttles.remember(known_address_key(email, address), self._ctx.clock())

    async def login(
        self, email: str, password: str, address: str | None = None
    ) -> tuple[User, str]:
        """Sign in. Unknown emails and wrong passwords fail alike, in answer and in time;
        past the sign-in limits the answer is 429, in every process."""
        email = normalise_email(email)
        checked = await self._check_password(email, password, address)
        if checked is None:
            raise AuthenticationFailed("email or password is wrong")
        user, throttles = checked
        async with self._ctx.uow(write=True) as uow:
            await self._signed_in(uow, email, address, throttles)
            token = await self._issue_token(uow, user)
            await uow.commit()
        return user, token

    async def forget_stale_throttles(self) -> int:
        return await forget_stale(self._ctx)

    async def _issue_token(self, uow: UnitOfWork, user: User) -> str:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._ctx.clock()
        await uow.tokens.add(
            self.token_hash(token), user.id, now, now + self._ctx.settings.token_ttl
        )
        return token

    async def authenticate(self, token: str, fresh: bool = False) -> User | None:
        """The user `token` signs in, from this process's sessions in memory unless `fresh`
        (then read from the database, as an admin's request is: a demotion or a sign-out
        made through another server holds for it at once, not when it is heard of)."""
        if not token or len(token) > 256:
            return None
        now = self._ctx.clock()
        hashes = self._token_hashes(token)
        sessions = self._ctx.sessions
        cached = None if fresh else sessions.get(hashes[0], now)
        if cached is not None:
            return cached
        mark = sessions.mark()
        async with self._ctx.uow() as uow:
            for token_hash in hashes:
                session = await uow.tokens.session_for(token_hash, now)
                if session is not None:
                    sessions.put(hashes[0], session, mark)
                    return session.user
        return None

    async def logout(self, token: str) -> None:
        hashes = self._token_hashes(token)
        async with self._ctx.uow(write=True) as uow:
            for token_hash in hashes:
                await uow.tokens.revoke(token_hash, self._ctx.clock())
            await uow.commit()
        # At once here; other processes drop it when the feed tells them.
        self._ctx.sessions.forget(hashes[0])

    async def change_password(
        self, user: User, current: str, new: str, address: str | None = None
    ) -> None:
        """Check the current password (throttled as a sign-in is), set the new one, and end
        every session of the user."""
        check_password(new, user.email)
        checked = await self._check_password(user.email, current, address)
        if checked is None:
            raise AuthenticationFailed("the current password is wrong")
        password_hash = await self._hasher.hash(new)
        async with self._ctx.uow(write=True) as uow:
            await self._signed_in(uow, user.email, address, checked[1])
            await uow.users.set_password_hash(user.id, password_hash)
            await uow.tokens.revoke_all(user.id, self._ctx.clock())
            await uow.commit()
        self._ctx.sessions.user_changed(user.id)

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
        self._ctx.sessions.user_changed(user.id)
        return User(user.id, user.email, role)
