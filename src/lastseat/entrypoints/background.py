"""The loops every server process runs beside its requests: sweeper, settlement, the mail
outbox, feed, and the pruning of seat events past their retention window."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from lastseat.bootstrap import Services
from lastseat.domain.errors import DatabaseUnavailable

log = structlog.get_logger("lastseat.background")
STALE_THROTTLES_EVERY_SECONDS = 300.0
OLD_SEAT_EVENTS_EVERY_SECONDS = 300.0


async def _every(seconds: float, name: str, work: Callable[[], Awaitable[int]]) -> None:
    """Run `work` now and then; every app process runs each, and they never clash."""
    while True:
        await asyncio.sleep(seconds)
        try:
            done = await work()
            if done:
                log.info(name, count=done)
        except DatabaseUnavailable as away:  # a restart or failover: the next round retries
            log.warning(f"{name}_deferred", reason=away.code)
        except Exception:  # a failed round must not end the loop; the next one retries
            log.exception(f"{name}_failed")


def start(services: Services) -> list[asyncio.Task[None]]:
    settings = services.settings

    tasks = [
        asyncio.create_task(
            _every(
                settings.sweep_interval_seconds,
                "expired_holds_released",
                services.reservations.sweep_expired,
            )
        ),
        asyncio.create_task(
            _every(
                STALE_THROTTLES_EVERY_SECONDS,
                "stale_throttles_forgotten",
                services.accounts.forget_stale_throttles,
            )
        ),
        asyncio.create_task(
            _every(
                OLD_SEAT_EVENTS_EVERY_SECONDS,
                "old_seat_events_pruned",
                services.watching.prune_history,
            )
        ),
        asyncio.create_task(
            _every(
                settings.payments_settle_interval_seconds,
                "payments_settled",
                services.settlement.settle_due,
            )
        ),
    ]
    if settings.mail_send_in_servers:
        tasks.append(mail_rounds(services))
    if services.change_feed is not None:
        tasks.append(asyncio.create_task(services.change_feed.run()))
    if services.replica_seats is not None:
        tasks.append(asyncio.create_task(services.replica_seats.run()))
    return tasks


def mail_rounds(services: Services) -> asyncio.Task[None]:
    """The mail outbox's rounds: in every server, or in the mailer alone (entrypoints/mailer.py)."""
    interval = services.settings.mail_send_interval_seconds
    return asyncio.create_task(_every(interval, "mail_sent", services.mail.send_due))


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


# The jobs and the pool, after a server stopped serving: bounded by every server's stop.
CLEANUP_SECONDS = 5.0


async def stop_and_close(tasks: list[asyncio.Task[None]], services: Services) -> None:
    """What every server process does last: its jobs end, then its database pool closes."""
    await stop(tasks)
    await services.close()
