"""Domain and infrastructure errors as gRPC status codes, in one table.

Details go in trailing metadata: `problem-type` is the HTTP API's problem type URN, so a
client handles both APIs' errors by the same names; `seats` lists conflicting seats.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import grpc
import structlog

from lastseat.domain import errors
from lastseat.domain.errors import PROBLEM_TYPE_BASE
from lastseat.services.ports import Database

log = structlog.get_logger("lastseat.grpc")
Code = grpc.StatusCode

# Most specific first: the first matching class decides the code.
CODE_BY_ERROR: tuple[tuple[type[errors.DomainError], grpc.StatusCode], ...] = (
    (errors.NotFound, Code.NOT_FOUND),
    # Someone else has the seat or the code: the same request may work with other choices.
    (errors.SeatsUnavailable, Code.ABORTED),
    # Past a bound on what one party may hold at once: book or release first.
    (errors.LimitReached, Code.RESOURCE_EXHAUSTED),
    # The state the request relies on is gone; retrying it unchanged cannot succeed.
    (errors.HoldGone, Code.FAILED_PRECONDITION),
    (errors.FlightClosed, Code.FAILED_PRECONDITION),
    (errors.IdempotencyKeyReused, Code.FAILED_PRECONDITION),
    (errors.PaymentDeclined, Code.FAILED_PRECONDITION),
    (errors.Conflict, Code.ABORTED),
    (errors.InvalidRequest, Code.INVALID_ARGUMENT),
    (errors.AuthenticationFailed, Code.UNAUTHENTICATED),
    (errors.Forbidden, Code.PERMISSION_DENIED),
    (errors.TooManyAttempts, Code.RESOURCE_EXHAUSTED),
    (errors.PaymentProviderError, Code.UNAVAILABLE),
    (errors.PaymentUnavailable, Code.UNAVAILABLE),
    (errors.DatabaseUnavailable, Code.UNAVAILABLE),
)


def code_for(exc: errors.DomainError) -> grpc.StatusCode:
    for cls, code in CODE_BY_ERROR:
        if isinstance(exc, cls):
            return code
    return Code.INVALID_ARGUMENT


def trailers_for(exc: errors.DomainError) -> tuple[tuple[str, str], ...]:
    trailers = [("problem-type", PROBLEM_TYPE_BASE + exc.code)]
    for name, value in exc.extras.items():
        # Metadata values are text: a list of names goes comma-separated, as seat names hold
        # no commas; structured members (refused fields) go as JSON.
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            text = ",".join(value)
        elif isinstance(value, list | dict | bool):
            text = json.dumps(value)  # ASCII: text metadata carries no other bytes; true, false
        else:
            text = str(value)
        trailers.append((name, text))
    return tuple(trailers)


async def abort(context: grpc.aio.ServicerContext[Any, Any], exc: errors.DomainError) -> None:
    await context.abort(code_for(exc), exc.detail, trailers_for(exc))


Context = grpc.aio.ServicerContext[Any, Any]
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])


class Servicer(Protocol):
    """What `mapped` needs of the servicer: the store, to tell its outages from bugs."""

    @property
    def database(self) -> Database: ...


def mapped(method: Handler) -> Handler:
    """Turn what a unary call raises into a status with details; log each call's outcome."""

    @functools.wraps(method)
    async def call(
        self: Servicer, request: Any, context: grpc.aio.ServicerContext[Any, Any]
    ) -> Any:
        name = method.__name__
        try:
            result = await method(self, request, context)
        except errors.DomainError as exc:
            code = code_for(exc)
            log.info("rpc", method=name, code=code.name, problem=exc.code)
            await abort(context, exc)
        except Exception as exc:  # a database failure outside a unit of work, else a bug
            unavailable = self.database.unavailability(exc)
            if unavailable is None:
                raise
            log.warning("rpc", method=name, code="UNAVAILABLE", error=type(exc).__name__)
            await abort(context, unavailable)
        log.info("rpc", method=name, code="OK")
        return result

    return call  # type: ignore[return-value]
