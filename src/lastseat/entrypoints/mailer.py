"""The mailer: a process that only sends the mail outbox (docs/mail.md), for a deployment
whose servers leave it the rounds (`LASTSEAT_MAIL_SEND_IN_SERVERS=false`, as `lastseat up`
runs them). Drawing e-tickets loads a PDF stack of some 50 MB; here it is loaded once,
not in every app and gRPC server. It answers `/healthz` on loopback for its supervisor,
with the count of messages left for an operator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lastseat.adapters.mail_smtp import load_pdf_stack
from lastseat.bootstrap import build_services
from lastseat.config import Settings
from lastseat.entrypoints import background
from lastseat.entrypoints.stopping import within

log = structlog.get_logger("lastseat.mailer")


def create_mailer(settings: Settings) -> Starlette:
    services = build_services(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # before it answers /healthz, which its supervisor waits for
        await asyncio.to_thread(load_pdf_stack)
        rounds = background.mail_rounds(services)
        log.info("mailer_started", interval=settings.mail_send_interval_seconds)
        try:
            yield
        finally:
            await within(
                background.CLEANUP_SECONDS,
                background.stop_and_close([rounds], services),
                "mailer_cleanup",
            )

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "stuck": services.mail.stuck_count})

    return Starlette(routes=[Route("/healthz", healthz)], lifespan=lifespan)
