"""Shared request dependencies: the services, the caller, idempotency keys."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from lastseat.bootstrap import Services
from lastseat.domain.addresses import client_network
from lastseat.domain.errors import AuthenticationFailed, Forbidden, InvalidRequest
from lastseat.domain.users import User
from lastseat.services.ports import IdempotencyKey

SESSION_COOKIE = "lastseat_session"
CSRF_COOKIE = "lastseat_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer = HTTPBearer(auto_error=False, description="token from POST /api/v1/auth/login")


async def get_services(request: Request) -> Services:
    # async on purpose: FastAPI runs sync dependencies in a thread pool.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def presented_token(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> str | None:
    """The bearer token, or the session cookie (whose writes must carry the CSRF token)."""
    if credentials is not None:
        if credentials.scheme.lower() != "bearer":
            raise AuthenticationFailed("use an Authorization: Bearer token")
        return credentials.credentials
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie is None:
        return None
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        expected = request.cookies.get(CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            raise Forbidden("cookie-authenticated writes need the X-CSRF-Token header")
    return cookie


def client_address(request: Request) -> str | None:
    """The caller's network, as per-address limits count it. Behind the stack the address
    is the firewall's X-Forwarded-For, which uvicorn trusts only from loopback (its
    forwarded_allow_ips default)."""
    return client_network(request.client.host if request.client else None)


async def current_user(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    token = presented_token(request, credentials)
    if token is None:
        raise AuthenticationFailed("sign in: this needs a bearer token or a session")
    user = await services.accounts.authenticate(token)
    if user is None:
        raise AuthenticationFailed("the token is invalid, expired or revoked")
    return user


async def current_admin(user: Annotated[User, Depends(current_user)]) -> User:
    if not user.is_admin:
        raise Forbidden("this needs the admin role")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
CurrentAdmin = Annotated[User, Depends(current_admin)]


async def idempotency_key(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="retry-safe key: the same key and body replays the first response",
        ),
    ] = None,
) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise InvalidRequest("Idempotency-Key must be 1 to 255 printable characters")
    return key


IdempotencyKeyHeader = Annotated[str | None, Depends(idempotency_key)]


def fingerprint(key: str | None, request: Request, body: BaseModel) -> IdempotencyKey | None:
    if key is None:
        return None
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}\n".encode())
    digest.update(body.model_dump_json().encode())
    return IdempotencyKey(key=key, fingerprint=digest.hexdigest())
