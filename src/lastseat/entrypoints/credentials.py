"""Who is calling: the bearer token of an Authorization value, read the same way over HTTP
(a header) and gRPC (metadata), and the account it signs in."""

from __future__ import annotations

from lastseat.domain.errors import AuthenticationFailed
from lastseat.domain.users import User
from lastseat.services.accounts import Accounts


def bearer_token(authorization: str | None) -> str | None:
    """The token of `Bearer <token>` (RFC 6750; the scheme in any case), else None."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def presented_bearer(authorization: str | None) -> str | None:
    """The bearer token of an Authorization value, None if there is none; a value of any
    other shape is refused rather than ignored (over HTTP it would otherwise fall back to
    the session cookie, and the caller would never learn its header was not read)."""
    token = bearer_token(authorization)
    if authorization is not None and token is None:
        raise AuthenticationFailed("use Authorization: Bearer <token>")
    return token


async def signed_in(accounts: Accounts, token: str | None, how: str, fresh: bool = False) -> User:
    """The account `token` signs in (`fresh`: read from the database, not from memory);
    `how` tells a caller with no token how to sign in."""
    if token is None:
        raise AuthenticationFailed(f"sign in: {how}")
    user = await accounts.authenticate(token, fresh)
    if user is None:
        raise AuthenticationFailed("the token is invalid, expired or revoked")
    return user
