"""How long each edge tier waits for the one behind it, derived in one place from the
app's own bounds.

The proxy gives an app server as long as a healthy one can take to answer a unary call;
past that the server is hung (stopped, swapping) and the proxy tries the next one. The
firewall waits for that whole attempt and one retry: were it to give up first (both used
nginx's default 60 s), a hung app host would cost every request routed to it a 504 from
the firewall, just when the proxy would have answered from the other host. Streams (the
WebSocket and gRPC's WatchFlight) stay open for long: they are expected to be quiet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lastseat.config import Settings

CONNECT_SECONDS = 2  # the proxy's connect timeout: a live server on a LAN accepts at once
STREAM_READ = "1h"  # a watcher's stream may be quiet that long (it is pinged within that)


@dataclass(frozen=True)
class EdgeTimeouts:
    unary_seconds: int  # the proxy's read timeout for one app server's answer
    retries_seconds: int  # the proxy's bound on one try and a retry on the next server
    firewall_seconds: int  # the firewall's read timeout for the proxy's answer


def edge_timeouts(settings: Settings) -> EdgeTimeouts:
    # A unary call at its longest on a healthy server: a pooled connection waited for, a
    # database command at its longest (which bounds any one statement too), a payment call.
    longest = (
        settings.pool_timeout_seconds
        + max(settings.db_command_timeout_seconds, settings.db_statement_timeout_seconds)
        + settings.payments_timeout_seconds
    )
    unary = math.ceil(longest) + 1
    retries = 2 * (CONNECT_SECONDS + unary)
    return EdgeTimeouts(unary, retries, retries + 1)
