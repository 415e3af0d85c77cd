"""`lastseat serve-grpc`: the Booking service, grpc.health.v1 and reflection on grpc.aio."""

from __future__ import annotations

import asyncio

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from lastseat import __version__
from lastseat.bootstrap import Services, build_services
from lastseat.config import Settings
from lastseat.entrypoints import background
from lastseat.entrypoints.grpc.malformed import MalformedRequests
from lastseat.entrypoints.grpc.servicer import BookingServicer
from lastseat.entrypoints.logs import configure_logging
from lastseat.entrypoints.stopping import TEARDOWN_SECONDS, within
from lastseat.services import airports
from lastseat.v1 import booking_pb2, booking_pb2_grpc

SERVICE = booking_pb2.DESCRIPTOR.services_by_name["Booking"].full_name
GRACE_SECONDS = 5.0  # for unary calls in flight (streams are ended at once)
STOP_SECONDS = GRACE_SECONDS + 1.0  # grpc's own stop: the grace, then cancelling the calls
# From SIGTERM to the end of the process, whatever a step does (entrypoints/stopping.py):
# within a supervisor's wait (15 s), which SIGKILLs and so loses the reason.
EXIT_SECONDS = STOP_SECONDS + background.CLEANUP_SECONDS + TEARDOWN_SECONDS + 1.0
log = structlog.get_logger("lastseat.grpc")


def build_server(
    services: Services, address: str
) -> tuple[grpc.aio.Server, health.aio.HealthServicer, BookingServicer]:
    settings = services.settings
    server = grpc.aio.server(
        interceptors=[MalformedRequests(SERVICE)],
        options=[
            ("grpc.max_receive_message_length", settings.max_body_bytes),
            ("grpc.keepalive_time_ms", int(settings.ws_ping_interval_seconds * 1000)),
            ("grpc.keepalive_timeout_ms", int(settings.ws_ping_timeout_seconds * 1000)),
        ],
    )
    booking = BookingServicer(services)
    booking_pb2_grpc.add_BookingServicer_to_server(booking, server)  # type: ignore[no-untyped-call]
    checks = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(checks, server)
    reflection.enable_server_reflection(
        (SERVICE, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    if server.add_insecure_port(address) == 0:
        raise OSError(f"cannot listen on {address}")
    return server, checks, booking


async def serve(settings: Settings, host: str, port: int, stopping: asyncio.Event) -> int:
    """Serve until `stopping` is set (by SIGTERM or SIGINT: entrypoints/stopping.py); the
    exit status. A step of the stop cut by its deadline is logged, and the stop still did its
    job in bounds (0); one that raised is a fault (1), as if its exception went up."""
    configure_logging(settings.log_level, settings.log_json, settings.log_flush_seconds)
    services = build_services(settings)
    server, checks, booking = build_server(services, f"{host}:{port}")
    await airports.read_ahead()
    tasks = background.start(services)
    await server.start()
    for name in ("", SERVICE):
        await checks.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("grpc_started", version=__version__, port=port)
    try:
        await stopping.wait()
    finally:
        # Tell load balancers first, end the watch streams (resumable), then let unary calls
        # in flight finish; each step has a deadline (a step past it is logged and left
        # behind), so the process is gone within EXIT_SECONDS whatever a database
        # connection, a thread or grpc does meanwhile.
        await checks.enter_graceful_shutdown()
        booking.closing.set()
        outcomes = {
            await within(STOP_SECONDS, server.stop(GRACE_SECONDS), "grpc_stop"),
            await within(
                background.CLEANUP_SECONDS,
                background.stop_and_close(tasks, services),
                "grpc_cleanup",
            ),
        }
        log.info("grpc_stopped", clean=outcomes == {"done"})
    return 1 if "failed" in outcomes else 0
