"""The ASGI application: routes, error mapping, middleware, and the hold sweeper."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import structlog
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from lastseat import __version__
from lastseat.bootstrap import Services, build_services
from lastseat.browser_policy import WEB_ROOT
from lastseat.config import Settings, get_settings
from lastseat.entrypoints import background
from lastseat.entrypoints.http.fast_paths import SeatMapFromMemory
from lastseat.entrypoints.http.metrics import Metrics
from lastseat.entrypoints.http.middleware import (
    BodyLimitMiddleware,
    HeadAsGetMiddleware,
    ObservabilityMiddleware,
    SecurityHeadersMiddleware,
    StrictCORSMiddleware,
)
from lastseat.entrypoints.http.problems import install_problem_handlers
from lastseat.entrypoints.http.routes import (
    admin,
    auth,
    bookings,
    docs,
    flights,
    health,
    holds,
    sales,
)
from lastseat.entrypoints.logs import configure_logging
from lastseat.entrypoints.seatmap import SeatMapEncoder
from lastseat.entrypoints.stopping import within
from lastseat.entrypoints.ws import flights as flights_ws
from lastseat.entrypoints.ws import queue as queue_ws
from lastseat.services import airports

log = structlog.get_logger("lastseat.app")


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json, settings.log_flush_seconds)
    services = services or build_services(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await airports.read_ahead()
        tasks = background.start(services)
        log.info("app_started", version=__version__)
        try:
            yield
        finally:
            # Bounded as serve-grpc's is (entrypoints/stopping.py): a pool close stuck on a
            # database lock is logged and left, not waited on past the supervisor's patience.
            await within(
                background.CLEANUP_SECONDS,
                background.stop_and_close(tasks, services),
                "app_cleanup",
            )

    app = FastAPI(
        title="lastseat",
        version=__version__,
        description="Flight-seat booking API. Errors are RFC 9457 problem+json.",
        # Swagger UI is served by routes.docs (its files from here, not FastAPI's CDN page).
        docs_url=None,
        openapi_url=docs.OPENAPI,
        redoc_url=None,
        lifespan=lifespan,
        # Metrics are Prometheus (/metrics); FastAPI's OpenTelemetry hooks would otherwise
        # be checked for on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    metrics = Metrics(
        services.database.pool,
        lambda: services.watching.watchers,
        lambda: services.settlement.stuck_count,
        replica_reads=services.replica_seats.counts if services.replica_seats else None,
    )
    app.state.services = services
    app.state.metrics = metrics
    app.state.seatmaps = SeatMapEncoder()
    install_problem_handlers(app)
    for router in (
        flights_ws.router,
        queue_ws.router,
        auth.router,
        flights.router,
        holds.router,
        bookings.router,
        admin.router,
        sales.router,
        health.router,
        docs.router,
    ):
        # The routes themselves, each built whole by its router (prefix, tags, schema), not
        # the router: FastAPI (0.163) walks an included router's routes again on every
        # request to see whether they changed, ~5% of a hold's CPU in a herd (py-spy over
        # bench/hot_flight.py).
        app.router.routes.extend(router.routes)
    # The web client, for `lastseat serve` on its own; under `lastseat up` the proxy tier
    # serves these files and this mount is never reached. Routes above win over it.
    app.mount("/", StaticFiles(directory=WEB_ROOT, html=True), name="web")
    seat_map_route = next(
        r for r in flights.router.routes if getattr(r, "name", "") == flights.seat_map.__name__
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    # Only listed origins get CORS headers, echoed exactly (never "*" with credentials);
    # any other origin gets none, so its page cannot read our answers.
    app.add_middleware(
        StrictCORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "DELETE"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "Idempotency-Key",
            "X-CSRF-Token",
            "X-Request-ID",
        ],
        expose_headers=["X-Request-ID", "Server-Timing", "Idempotent-Replayed", "Retry-After"],
        max_age=600,
    )
    # Outside CORS and the body limit: it answers only body-less GETs without an Origin
    # header (a cross-origin browser request falls through to CORS and the route).
    app.add_middleware(
        SeatMapFromMemory,
        catalog=services.catalog,
        encoder=app.state.seatmaps,
        route=seat_map_route,
    )
    app.add_middleware(HeadAsGetMiddleware)  # outside the seat map's fast path too
    app.add_middleware(SecurityHeadersMiddleware, tls=settings.cookie_secure)
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    return app
