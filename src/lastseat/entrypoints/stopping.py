"""How a server process on asyncio ends: within a stated bound, whatever its threads, its
database pool or grpc do.

asyncio.run ends with waits that have no bound: every task left must finish its
cancellation, the default executor's threads must return, and then the interpreter joins
them again at exit. A task can be unable to finish: cancelling a query SQLAlchemy runs on
aiosqlite invalidates the connection and closes it in a shielded task, and that close
waits for the connection's thread, which may sit in SQLite's busy handler for the write
lock (up to LASTSEAT_SQLITE_BUSY_TIMEOUT_SECONDS; sqlite3_interrupt does not wake it).
`serve-grpc` stopped on a loaded CI machine waited there past the 30 s its test allows
(a supervisor waits 15 s, then SIGKILLs).

Here each of those waits has a deadline; what is still running at it is named in a
warning and left behind: the process ends without waiting for it again (its threads are
the database driver's daemons, and an uncommitted transaction ends with the process).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import structlog

from lastseat.entrypoints.logs import drain_logs

# What is left when the server's own stop returned gets this long to end once cancelled.
TEARDOWN_SECONDS = 2.0
# The status of a process the watchdog ended (EX_SOFTWARE): its stop overran every bound.
OVERRAN_STATUS = 70
REPORT_SECONDS = 1.0  # the watchdog's report may block (a full pipe): it exits anyway
log = structlog.get_logger("lastseat.stopping")


def where(task: asyncio.Task[Any]) -> str:
    """The chain of awaits `task` is suspended in, innermost last: what it waits on."""
    frames = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "ag_frame", None)
        if frame is None:
            frames.append(type(awaited).__name__)
            break
        frames.append(f"{frame.f_code.co_qualname} ({frame.f_code.co_filename}:{frame.f_lineno})")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "ag_await", None)
    return " > ".join(frames)


Outcome = Literal["done", "cut", "failed"]


async def within(seconds: float, step: Awaitable[None], name: str) -> Outcome:
    """Await `step` for at most `seconds`. asyncio.timeout is no bound: it cancels, then
    waits for the cancellation to finish, which a shielded close or a task that swallows
    CancelledError may never do. Past the deadline the step is cancelled and left to the
    teardown ("cut"); a step that raised is "failed". Either is logged, and the stop goes
    on to its next step."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        log.warning("stop_step_cut", step=name, seconds=seconds, waiting_in=where(task))
        task.cancel()
        return "cut"
    if not task.cancelled() and task.exception() is not None:
        log.error("stop_step_failed", step=name, exc_info=task.exception())
        return "failed"
    return "done"


class Watchdog:
    """The last resort, armed when the stop begins. Every wait of the stop has its own
    deadline, but a step that blocks the event loop itself (synchronous work, a C call)
    or the interpreter's exit (a non-daemon thread it joins, an atexit handler) meets
    none of them. Past `seconds` this logs every thread's stack and ends the process
    with OVERRAN_STATUS; a supervisor's SIGKILL would say nothing of why. With `loop`,
    it also says where each of its tasks waits (a thread's stack shows only the loop)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def arm(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = self._loop or loop
        if self._thread is None:
            self._thread = threading.Thread(target=self._bite, name="stop-watchdog", daemon=True)
            self._thread.start()

    def _bite(self) -> None:
        time.sleep(self.seconds)
        report = threading.Thread(target=self._report, name="stop-report", daemon=True)
        report.start()
        report.join(REPORT_SECONDS)
        os._exit(OVERRAN_STATUS)

    def _report(self) -> None:
        names = {thread.ident: thread.name for thread in threading.enumerate()}
        stacks = {
            names.get(ident, str(ident)): "".join(traceback.format_stack(frame))
            for ident, frame in sys._current_frames().items()
            if ident != threading.get_ident()
        }
        log.error("stop_overran", seconds=self.seconds, threads=stacks, tasks=self._tasks())
        drain_logs(REPORT_SECONDS)

    def _tasks(self) -> list[str]:
        if self._loop is None:
            return []
        try:  # read from another thread than the loop's: a change meanwhile only loses this
            return [where(task) for task in asyncio.all_tasks(self._loop)]
        except RuntimeError:
            return ["(the loop's tasks changed while being listed)"]


async def _teardown(seconds: float) -> list[str]:
    """What asyncio.run does after its main coroutine, within `seconds`: cancel the tasks
    left, finish the async generators, shut the default executor down. Returns where each
    piece of work still running at the deadline waits."""
    deadline = asyncio.get_running_loop().time() + seconds
    me = asyncio.current_task()
    left = {task for task in asyncio.all_tasks() if task is not me}
    for task in left:
        task.cancel()
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Future[Any]] = set()
    if left:
        _, pending = await asyncio.wait(left, timeout=max(0.0, deadline - loop.time()))
    # After the tasks, as asyncio.run does: a generator a task is still in must not be
    # closed under it.
    closing = {
        asyncio.ensure_future(loop.shutdown_asyncgens()): "the async generators' finally blocks",
        # It waits for the executor's threads (asyncio.to_thread work) to return.
        asyncio.ensure_future(loop.shutdown_default_executor()): "the default executor's threads",
    }
    _, stuck = await asyncio.wait(closing, timeout=max(0.0, deadline - loop.time()))
    for task in left - pending:
        if not task.cancelled() and task.exception() is not None:
            log.error("task_failed_at_stop", task=task.get_name(), exc_info=task.exception())
    named = [where(task) for task in pending if isinstance(task, asyncio.Task)]
    return named + [closing[future] for future in stuck]


def run_server(serve: Callable[[asyncio.Event], Awaitable[int]], stop_seconds: float) -> None:
    """asyncio.run for a server: `serve(stopping)` runs until it returns its exit status
    (SIGTERM or SIGINT set `stopping`), then the loop is torn down within
    TEARDOWN_SECONDS. `stop_seconds` bounds the whole stop, from the signal to the end of
    the process (the watchdog)."""
    watchdog = Watchdog(stop_seconds)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    stopping = asyncio.Event()

    def stop() -> None:
        watchdog.arm(loop)
        stopping.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop)
    failure: BaseException | None = None
    status = 1
    try:
        status = loop.run_until_complete(serve(stopping))
    except BaseException as exc:  # the teardown is as bounded after a failure
        failure = exc
    watchdog.arm(loop)
    left = loop.run_until_complete(_teardown(TEARDOWN_SECONDS))
    if left:
        log.warning("stop_left_work", seconds=TEARDOWN_SECONDS, waiting_in=left)
        if failure is not None:
            log.critical("uncaught_exception", exc_info=failure)
        # The interpreter would wait for that work again (closing the loop, joining the
        # executor's threads at exit): end here, once the last log lines are written.
        drain_logs(REPORT_SECONDS)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    loop.close()
    asyncio.set_event_loop(None)
    if failure is not None:
        raise failure
    if status:
        sys.exit(status)
