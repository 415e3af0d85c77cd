"""Every error becomes an RFC 9457 problem+json response, mapped here and only here."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from lastseat.domain import errors
from lastseat.entrypoints.http.responses import problem

log = structlog.get_logger("lastseat.http")

# Most specific first: the first matching class decides the status.
STATUS_BY_ERROR: tuple[tuple[type[errors.DomainError], int, str], ...] = (
    (errors.NotFound, 404, "Not found"),
    (errors.SeatsUnavailable, 409, "Seats unavailable"),
    (errors.HoldGone, 409, "Hold gone"),
    (errors.CancellationClosed, 409, "Cancellation closed"),
    (errors.FlightClosed, 409, "Flight closed"),
    (errors.LimitReached, 409, "Limit reached"),
    (errors.EmailTaken, 409, "Email taken"),
    (errors.Conflict, 409, "Conflict"),
    (errors.IdempotencyKeyReused, 422, "Idempotency key reused"),
    (errors.UnknownSeats, 422, "Unknown seats"),
    (errors.InvalidRequest, 422, "Invalid request"),
    (errors.AuthenticationFailed, 401, "Authentication failed"),
    (errors.Forbidden, 403, "Forbidden"),
    (errors.TooManyAttempts, 429, "Too many attempts"),
    (errors.PaymentDeclined, 402, "Payment declined"),
    (errors.PaymentProviderError, 502, "Payment provider error"),
    (errors.PaymentUnavailable, 503, "Payments unavailable"),
    (errors.DatabaseBusy, 503, "Service busy"),
    (errors.DatabaseUnavailable, 503, "Service unavailable"),
)
# How soon a client may retry each kind of 503 (the database is back within moments, or
# sheds its queue; a payment provider takes longer).
RETRY_AFTER: dict[type[errors.DomainError], str] = {errors.PaymentUnavailable: "5"}


def domain_problem(request: Request, exc: errors.DomainError) -> Response:
    status, title = 400, "Bad request"
    for cls, mapped_status, mapped_title in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            status, title = mapped_status, mapped_title
            break
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": RETRY_AFTER.get(type(exc), "1")}
        if isinstance(exc, errors.DatabaseUnavailable):
            log.warning("database_unavailable", problem=exc.code, error=_cause(exc))
    if isinstance(exc, errors.TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None and status in (402, 409):
        metrics.refusals.labels(reason=exc.code).inc()
    return problem(status, exc.code, title, exc.detail, headers=headers, **exc.extras)


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__
    return type(cause).__name__ if cause is not None else type(exc).__name__


# The bounds of a rule, as numbers a client can say in its own units (a page where admins
# type major units formats a limit in minor units as money); never the submitted value.
LIMIT_KEYS = ("gt", "ge", "lt", "le", "min_length", "max_length")


def _limits(ctx: dict[str, object]) -> dict[str, int | float]:
    return {
        key: value
        for key in LIMIT_KEYS
        if isinstance(value := ctx.get(key), int | float) and not isinstance(value, bool)
    }


def _validation_problem(exc: RequestValidationError) -> Response:
    details = exc.errors()
    if any(item.get("type") == "json_invalid" for item in details):
        return problem(
            400, "malformed-json", "Malformed JSON", "the request body is not valid JSON"
        )
    # Only where and what: never echo the submitted values (they may hold a password).
    fields = [
        {
            "loc": [str(part) for part in item.get("loc", ())],
            "message": item.get("msg", ""),
            "type": item.get("type", ""),
            "limits": _limits(item.get("ctx") or {}),
        }
        for item in details
    ]
    summary = "; ".join(f"{'.'.join(f['loc'])}: {f['message']}" for f in fields[:5])
    return problem(422, "validation-failed", "Invalid request", summary, errors=fields)


def install_problem_handlers(app: FastAPI) -> None:
    async def on_domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.DomainError)
        return domain_problem(request, exc)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return _validation_problem(exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        title = {
            401: "Authentication required",
            404: "Not found",
            405: "Method not allowed",
            413: "Request body too large",
        }
        code = title.get(exc.status_code, "HTTP error").lower().replace(" ", "-")
        headers = dict(exc.headers) if exc.headers else None
        return problem(
            exc.status_code,
            code,
            title.get(exc.status_code, "HTTP error"),
            str(exc.detail),
            headers=headers,
        )

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # Backstop for database failures met outside a unit of work: still a 503.
        unavailable = request.app.state.services.database.unavailability(exc)
        if unavailable is not None:
            return domain_problem(request, unavailable)
        log.exception("unhandled_error")
        return problem(500, "internal-error", "Internal error", "an unexpected error occurred")

    app.add_exception_handler(errors.DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
