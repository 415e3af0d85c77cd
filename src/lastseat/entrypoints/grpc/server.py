"""`lastseat serve-grpc`: the Booking service, grpc.health.v1 and reflection on grpc.aio."""

from __future__ import annotations

import asyncio
import signal

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
from lastseat.v1 import booking_pb2, booking_pb2_grpc

SERVICE = booking_pb2.DESCRIPTOR.services_by_name["Booking"].full_name
GRACE_SECONDS = 5.0  # for unary calls in flight (streams are ended at once)
CLEANUP_SECONDS = 5.0  # background jobs and the pool, after the server stopped
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


async def serve(settings: Settings, host: str, port: int) -> None:
    configure_logging(settings.log_level, settings.log_json, settings.log_flush_seconds)
    services = build_services(settings)
    server, checks, booking = build_server(services, f"{host}:{port}")
    tasks = background.start(services)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await server.start()
    for name in ("", SERVICE):
        await checks.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("grpc_started", version=__version__, port=port)
    try:
        await stopping.wait()
    finally:
        # Tell load balancers first, end the watch streams (resumable), then let unary calls
        # in flight finish; the cleanup is bounded too, so the process is gone well within
        # a supervisor's wait (15 s) whatever a database connection does meanwhile.
        await checks.enter_graceful_shutdown()
        booking.closing.set()
        await server.stop(GRACE_SECONDS)
        try:
            async with asyncio.timeout(CLEANUP_SECONDS):
                await background.stop(tasks)
                await services.close()
        except TimeoutError:
            log.warning("grpc_cleanup_timed_out", seconds=CLEANUP_SECONDS)
        log.info("grpc_stopped")
