"""Shared request dependencies: the services, the caller, idempotency keys."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from lastseat.bootstrap import Services
from lastseat.domain.addresses import client_network
from lastseat.domain.errors import Forbidden
from lastseat.domain.users import User
from lastseat.entrypoints.credentials import presented_bearer, signed_in
from lastseat.services.idempotency import check_key, request_key
from lastseat.services.ports import IdempotencyKey

SESSION_COOKIE = "lastseat_session"
CSRF_COOKIE = "lastseat_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Documents the scheme in OpenAPI; the token itself is read by `presented_bearer`, as over gRPC.
bearer = HTTPBearer(auto_error=False, description="token from POST /api/v1/auth/login")
BearerInOpenAPI = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def get_services(request: Request) -> Services:
    # async on purpose: FastAPI runs sync dependencies in a thread pool.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def presented_token(request: Request) -> str | None:
    """The bearer token, or the session cookie (whose writes must carry the CSRF token)."""
    token = presented_bearer(request.headers.get("authorization"))
    if token is not None:
        return token
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


SIGN_IN = "this needs a bearer token or a session"


async def current_user(request: Request, services: ServicesDep, _: BearerInOpenAPI) -> User:
    return await signed_in(services.accounts, presented_token(request), SIGN_IN)


async def current_admin(request: Request, services: ServicesDep, _: BearerInOpenAPI) -> User:
    # Read afresh, not from the sessions in memory: an admin's rights end at once when
    # they are taken away, or the session is ended, through any server.
    user = await signed_in(services.accounts, presented_token(request), SIGN_IN, fresh=True)
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
    # A dependency runs before the body is validated: a bad key is refused whatever the body.
    return None if key is None else check_key(key)


IdempotencyKeyHeader = Annotated[str | None, Depends(idempotency_key)]


def fingerprint(key: str | None, request: Request, body: BaseModel) -> IdempotencyKey | None:
    return request_key(key, f"{request.method} {request.url.path}", body.model_dump_json().encode())
