"""Signup, login, logout and the caller's own account."""

from __future__ import annotations

import functools
import secrets

from fastapi import APIRouter, Request, Response

from lastseat.entrypoints.http.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    BearerInOpenAPI,
    CurrentUser,
    ServicesDep,
    client_address,
    presented_token,
)
from lastseat.entrypoints.http.responses import JSON
from lastseat.entrypoints.http.schemas import (
    Credentials,
    PasswordChange,
    SignupOut,
    TokenOut,
    UserOut,
)
from lastseat.entrypoints.representations import signup_json, token_json, user_json

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/signup", status_code=201, response_model=SignupOut)
async def signup(body: Credentials, request: Request, services: ServicesDep) -> Response:
    user = await services.accounts.signup(
        body.email, body.password, address=client_address(request)
    )
    return JSON(signup_json(user), status_code=201)


@router.post("/auth/login", response_model=TokenOut)
async def login(body: Credentials, request: Request, services: ServicesDep) -> Response:
    _, token = await services.accounts.login(body.email, body.password, client_address(request))
    response = JSON(token_json(token))
    settings = services.settings
    set_cookie = functools.partial(
        response.set_cookie,
        max_age=settings.token_ttl_seconds,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )
    set_cookie(SESSION_COOKIE, token, httponly=True)
    # Double-submit CSRF token: readable by the page's script, useless to another origin.
    set_cookie(CSRF_COOKIE, secrets.token_urlsafe(24), httponly=False)
    return response


@router.post("/auth/logout", status_code=204)
async def logout(request: Request, services: ServicesDep, _: BearerInOpenAPI) -> Response:
    token = presented_token(request)
    if token is not None:
        await services.accounts.logout(token)
    return _signed_out()


@router.post("/me/password", status_code=204)
async def change_password(
    body: PasswordChange, request: Request, user: CurrentUser, services: ServicesDep
) -> Response:
    """Change the password; every session of the account ends, this one included."""
    await services.accounts.change_password(
        user, body.current_password, body.new_password, client_address(request)
    )
    return _signed_out()


def _signed_out() -> Response:
    """No content, and the browser's session cookies gone with the session."""
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> Response:
    return JSON(user_json(user))
