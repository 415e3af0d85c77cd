"""The firewall's log tier: ModSecurity's lines in, `waf.jsonl` out, no payload kept.

The firewall's nginx sends its request-level log lines (`error_log syslog:... info` inside
`http {}`, templates/firewall.conf) as syslog datagrams to this process, on a loopback UDP
port `up` chooses free. Nothing of them reaches a file as nginx wrote it:

- ModSecurity's lines (a rule's match, a verdict) become records with no value in them
  (waf_log.Reader: rule id, message, the matched variable's NAME, points, the method and
  path without the query string), one JSON object a line in `<stack>/firewall/waf.jsonl`;
- nginx's own lines at `warn` and above (an upstream that refused a connection, a client
  over its request rate) are appended to the tier's `error.log`, with the query strings of
  their request and upstream, and their referrer, cut out;
- the rest (nginx's `info` and `notice`: connections closed, TLS handshakes that failed)
  is dropped.

The same port number over TCP accepts connections and closes them: the probe of the
supervisor and `lastseat status` that the tier is up. A datagram sent while the tier is down
is lost (nginx does not retry); the supervisor starts it again on the same port.
"""

from __future__ import annotations

import json
import re
import selectors
import signal
import socket
from datetime import UTC, datetime
from pathlib import Path

from lastseat.stack.waf_log import Reader

WAF_LOG = "waf.jsonl"
ERROR_LOG = "error.log"
RECEIVE_BUFFER = 4 * 1024 * 1024  # (the kernel caps it at net.core.rmem_max)
OWN_LEVELS = frozenset({"warn", "error", "crit", "alert", "emerg"})
# nginx's syslog header with `nohostname`: "<PRI>Mmm dd hh:mm:ss TAG: ".
_SYSLOG = re.compile(r"^<\d{1,3}>\w{3} [ \d]\d \d\d:\d\d:\d\d \w{1,32}: ")
_LEVEL = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] ")
# The query string of a quoted request line (up to its protocol) or upstream URL.
_QUERY = re.compile(r'((?:request|upstream): "[^"?]*)\?[^"]*?(?=(?: HTTP/[\d.]+)?(?:"|$))')
_REFERRER = re.compile(r', referrer: "[^"]*"?')


def sanitised(line: str) -> str:
    """nginx's own line without the query strings and the referrer it quotes."""
    return _REFERRER.sub("", _QUERY.sub(r"\1", line))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class LogTier:
    """What the datagrams become: lines for waf.jsonl and error.log, in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.reader = Reader()

    def receive(self, datagrams: list[bytes]) -> None:
        records: list[str] = []
        errors: list[str] = []
        for datagram in datagrams:
            text = datagram.decode("utf-8", errors="replace").rstrip("\r\n")
            framed = _SYSLOG.match(text)
            line = text[framed.end() :] if framed else text
            if "ModSecurity" in line:  # (never to error.log, parsed or not: it has values)
                records += [
                    json.dumps(r, ensure_ascii=False) for r in self.reader.read(line, _now())
                ]
                continue
            level = _LEVEL.match(line)
            if level is not None and level.group(1) in OWN_LEVELS:
                errors.append(sanitised(line))
        self._append(WAF_LOG, records)
        self._append(ERROR_LOG, errors)

    def _append(self, name: str, lines: list[str]) -> None:
        if lines:  # opened for each batch: a rotated file is followed at once
            with (self.folder / name).open("a", encoding="utf-8") as sink:
                sink.write("".join(line + "\n" for line in lines))


def serve(folder: Path, port: int) -> None:
    """Until SIGTERM or SIGINT: UDP `port` on loopback to `folder`, TCP `port` as a probe."""
    folder.mkdir(parents=True, exist_ok=True)
    tier = LogTier(folder)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe,
        selectors.DefaultSelector() as selector,
    ):
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        udp.bind(("127.0.0.1", port))
        udp.setblocking(False)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen(16)
        probe.setblocking(False)
        selector.register(udp, selectors.EVENT_READ)
        selector.register(probe, selectors.EVENT_READ)
        while not stopping:
            for key, _ in selector.select(timeout=0.5):
                if key.fileobj is udp:
                    tier.receive(_drain(udp))
                else:
                    _close_probe(probe)
        tier.receive(_drain(udp))  # what the firewall sent as it stopped


def _drain(udp: socket.socket) -> list[bytes]:
    datagrams = []
    while True:
        try:
            datagrams.append(udp.recv(65_535))
        except (BlockingIOError, InterruptedError):
            return datagrams


def _close_probe(probe: socket.socket) -> None:
    try:
        connection, _ = probe.accept()
    except (BlockingIOError, InterruptedError, ConnectionAbortedError):
        return
    connection.close()
