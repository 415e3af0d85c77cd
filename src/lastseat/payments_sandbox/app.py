"""The sandbox provider's HTTP API (Starlette)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lastseat.domain.money import CURRENCY_CODES
from lastseat.payments_sandbox.journal import Journal

TOKENS = ("tok_ok", "tok_declined", "tok_error", "tok_slow", "tok_capture_fails")


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _problem(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _error(status: int, code: str, message: str) -> Response:
    return _json(status, _problem(code, message))


@dataclass
class Authorization:
    id: str
    amount: int
    currency: str
    card: str  # the test card token
    status: str = "authorized"  # -> captured | voided ; captured -> refunded
    captured: int = 0
    refunded: int = 0


@dataclass
class Ledger:
    authorizations: dict[str, Authorization] = field(default_factory=dict)
    # (operation, idempotency key) -> (status code, body): a repeat gets the first answer
    replies: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    # one lock per (operation, key): concurrent repeats wait for the first, others do not
    locks: dict[tuple[str, str], asyncio.Lock] = field(default_factory=dict)
    journal: Journal | None = None  # where every change is kept, if anywhere

    def restore(self) -> None:
        assert self.journal is not None
        for record in self.journal.records():
            if "authorization" in record:
                auth = Authorization(**record["authorization"])
                self.authorizations[auth.id] = auth
            if "reply" in record:
                operation, key, status, body = record["reply"]
                self.replies[(operation, key)] = (status, body)

    def commit(
        self,
        operation: str,
        key: str,
        status: int,
        body: dict[str, Any],
        auth: Authorization | None,
    ) -> None:
        """Keep a change and its answer together: on disk first, as one line (a crash
        keeps both or neither), then in memory."""
        if self.journal is not None:
            record: dict[str, Any] = {"reply": [operation, key, status, body]}
            if auth is not None:
                record["authorization"] = asdict(auth)
            self.journal.write(record)
        if auth is not None:
            self.authorizations[auth.id] = auth
        self.replies[(operation, key)] = (status, body)


# What a piece of work answers, and the authorization as it changed (None: unchanged).
Outcome = tuple[int, dict[str, Any], Authorization | None]


def create_sandbox(
    secret_key: str, delay_seconds: float = 30.0, ledger_path: Path | None = None
) -> Starlette:
    """The sandbox provider; with `ledger_path` its ledger survives restarts."""
    ledger = Ledger(journal=None if ledger_path is None else Journal(ledger_path))
    if ledger.journal is not None:
        ledger.restore()
    expected = f"Bearer {secret_key}".encode()

    def authorized(request: Request) -> bool:
        given = request.headers.get("authorization", "").encode()
        return hmac.compare_digest(given, expected)

    def view(auth: Authorization) -> dict[str, Any]:
        return {
            "id": auth.id,
            "status": auth.status,
            "amount": auth.amount,
            "currency": auth.currency,
            "captured": auth.captured,
            "refunded": auth.refunded,
        }

    async def once(request: Request, operation: str, work: Any) -> Response:
        if not authorized(request):
            return _error(401, "invalid_api_key", "the API key is missing or wrong")
        key = request.headers.get("idempotency-key")
        if not key:
            return _error(400, "idempotency_key_required", "send an Idempotency-Key header")
        async with ledger.locks.setdefault((operation, key), asyncio.Lock()):
            earlier = ledger.replies.get((operation, key))
            if earlier is not None:
                return _json(*earlier)
            status, body, changed = await work()
            if status < 500:  # like providers, a server error may be retried with the key
                ledger.commit(operation, key, status, body, changed)
        return _json(status, body)

    async def authorize(request: Request) -> Response:
        card: Any = None
        try:
            payload = orjson.loads(await request.body())
            amount, currency, card = payload["amount"], payload["currency"], payload["token"]
            valid = isinstance(amount, int) and amount > 0 and currency in CURRENCY_CODES
        except (orjson.JSONDecodeError, KeyError, TypeError):
            valid = False
        if not valid or card not in TOKENS:
            if not authorized(request):
                return _error(401, "invalid_api_key", "the API key is missing or wrong")
            return _error(400, "invalid_request", f"amount, currency and a token of {TOKENS}")

        async def work() -> Outcome:
            if card == "tok_slow":
                await asyncio.sleep(delay_seconds)
            if card == "tok_declined":
                return 402, {"error": {"code": "card_declined", "message": "declined"}}, None
            if card == "tok_error":
                return 500, {"error": {"code": "processing_error", "message": "try again"}}, None
            auth = Authorization("auth_" + secrets.token_hex(12), amount, currency, card)
            return 201, view(auth), auth

        return await once(request, "authorize", work)

    def transition(name: str) -> Any:
        async def handler(request: Request) -> Response:
            async def work() -> Outcome:
                # read here, under the key's lock and with no wait before the commit
                auth = ledger.authorizations.get(request.path_params["id"])
                if auth is None:
                    return 404, _problem("not_found", "no such authorization"), None
                if name == "capture":
                    if auth.card == "tok_capture_fails":
                        return 500, _problem("processing_error", "retry"), None
                    allowed, changed = (
                        ("authorized", "captured"),
                        replace(auth, status="captured", captured=auth.amount),
                    )
                elif name == "void":
                    allowed, changed = ("authorized", "voided"), replace(auth, status="voided")
                else:  # refund
                    allowed, changed = (
                        ("captured", "refunded"),
                        replace(auth, status="refunded", refunded=auth.captured),
                    )
                if auth.status not in allowed:
                    return 409, _problem("invalid_state", auth.status), None
                return 200, view(changed), changed

            return await once(request, f"{name}:{request.path_params['id']}", work)

        return handler

    async def show(request: Request) -> Response:
        if not authorized(request):
            return _error(401, "invalid_api_key", "the API key is missing or wrong")
        auth = ledger.authorizations.get(request.path_params["id"])
        if auth is None:
            return _error(404, "not_found", "no such authorization")
        return _json(200, view(auth))

    async def health(request: Request) -> Response:
        return _json(200, {"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if ledger.journal is not None:
            ledger.journal.close()

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/healthz", health),
            Route("/v1/authorizations", authorize, methods=["POST"]),
            Route("/v1/authorizations/{id}", show),
            Route("/v1/authorizations/{id}/capture", transition("capture"), methods=["POST"]),
            Route("/v1/authorizations/{id}/void", transition("void"), methods=["POST"]),
            Route("/v1/authorizations/{id}/refund", transition("refund"), methods=["POST"]),
        ],
    )
