"""What one inspected request costs the firewall tier: its nginx workers' CPU (utime + stime
from /proc, over a wrk run, divided by the requests served) and, with `instructions`, the
instructions one request executes (valgrind's callgrind on a single-process nginx: the
count does not depend on what else the machine runs, which the CPU time does).

The same firewall is measured with two ModSecurity configs: lastseat's as generated now,
and as it was generated before issue 18 (the templates of commit BEFORE, read with git), so
the saving is measured in the same run on the same machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import httpx

from lastseat.config import Settings
from lastseat.stack import nginx
from lastseat.stack.tls import SiteCertificates

ROOT = Path(__file__).resolve().parent.parent
# main before issue 18: the exclusions as per-request `ctl` removals by tag.
BEFORE = "d3d1d8a"
TEMPLATES = "src/lastseat/stack/templates"
# What a browser sends with an API call (the cookies: lastseat's session and an analytics one).
BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Accept": "application/json",
    "Accept-Language": "en-GB,en;q=0.9",
    "Cookie": "lastseat_session=q1Wv3sLqk2m0XoTtQbqL6YhQ2cQk0dR8l4G1nJw2v9E; _ga=GA1.2.3.4",
}


@dataclass(frozen=True)
class Shape:
    """An inspected request: its method, path and JSON body (None: no body)."""

    name: str
    method: str
    path: str
    body: str | None = None


SHAPES = (
    Shape(
        "GET flights search", "GET", "/api/v1/flights?origin=LHR&destination=JFK&date=2031-03-01"
    ),
    Shape(
        "POST hold (JSON)", "POST", "/api/v1/holds", '{"flight_id": 12, "seats": ["12A", "12B"]}'
    ),
    Shape(
        "POST sign-in (JSON)",
        "POST",
        "/api/v1/auth/login",
        '{"email": "ann@example.com", "password": "correct horse battery"}',
    ),
)


# The configs measured: as before issue 18 (the templates of BEFORE, glibc's malloc), as
# lastseat generates and runs it now (jemalloc: nginx.firewall_environment), and the config
# of now on glibc's malloc (what the rules and exclusions saved without the allocator).
CONFIGS = ("before", "after", "after_glibc")


def environment(config: str) -> dict[str, str]:
    """The environment the firewall of `config` runs in."""
    env = dict(os.environ)
    if config == "after":
        env.update(nginx.firewall_environment())
    return env


def write_before(settings: Settings, certs: SiteCertificates, log_port: int) -> Path:
    """The firewall as nginx.write_firewall generated it at BEFORE: its templates, read
    with git, and the CRS files as shipped (no copies with exclusions in their targets)."""
    with mock.patch.object(nginx, "_template", _before_template):
        conf = nginx.write_firewall(settings, certs, log_port)
    modsecurity = conf.parent / "modsecurity.conf"
    copies = f"Include {conf.parent / 'crs'}/"
    modsecurity.write_text(modsecurity.read_text().replace(copies, f"Include {nginx.CRS_RULES}/"))
    return conf


def _before_template(name: str) -> nginx.NginxTemplate:
    text = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{BEFORE}:{TEMPLATES}/{name}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return nginx.NginxTemplate(text)


def slug(name: str) -> str:
    return re.sub(r"\W+", "-", name).strip("-")


def _found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, pattern
    return match.group(1)


def wrk_script(folder: Path, shape: Shape) -> Path:
    lines = [f'wrk.method = "{shape.method}"', f'wrk.path = "{shape.path}"']
    lines += [f'wrk.headers["{name}"] = "{value}"' for name, value in BROWSER.items()]
    if shape.body is not None:
        lines += ['wrk.headers["Content-Type"] = "application/json"', f"wrk.body = '{shape.body}'"]
    script = folder / f"{slug(shape.name)}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


def workers(master: int) -> list[int]:
    """The worker processes of nginx's `master` (not its cache manager and cache loader:
    the loader exits a minute after the start)."""
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    pids = [int(pid) for pid in out.split()]
    return [pid for pid in pids if b"worker process" in Path(f"/proc/{pid}/cmdline").read_bytes()]


def cpu_seconds(pids: list[int]) -> float:
    """The CPU time (user and system) `pids` have spent so far; a process gone counts 0."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def cpu_per_request(url: str, script: Path, pids: list[int], seconds: int) -> tuple[float, int]:
    """Microseconds of the workers' CPU per request over a wrk run, and the requests."""
    before = cpu_seconds(pids)
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", "16", "-d", f"{seconds}s", "-s", str(script),
         "-H", "Host: lastseat.test", url],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    spent = cpu_seconds(pids) - before
    count = int(_found(r"(\d+) requests in", out))
    return spent / max(count, 1) * 1e6, count


def instructions_per_request(conf: Path, port: int, shapes: tuple[Shape, ...], count: int,
                             log: Path, env: dict[str, str]) -> dict[str, float]:  # fmt: skip
    """Instructions per request of each shape, over `count` requests on one connection after
    5 to warm up, the firewall of `conf` run as one process under callgrind in `env`."""
    single = conf.with_name("nginx-single.conf")
    single.write_text(conf.read_text().replace("daemon off;", "daemon off;\nmaster_process off;"))
    out = Path(tempfile.mkdtemp(prefix="callgrind-", dir=conf.parent))
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.%p",
               *nginx.nginx_command(single)]  # fmt: skip
    with log.open("ab") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
    counts: dict[str, float] = {}
    try:
        url = f"https://127.0.0.1:{port}"
        deadline = time.monotonic() + 180  # (rules are parsed under valgrind: 10-40 s)
        with httpx.Client(base_url=url, verify=False, headers={**BROWSER, "Host": "lastseat.test"},  # noqa: S501
                          timeout=60) as client:  # fmt: skip
            while True:
                try:
                    client.get("/")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(1)
            for shape in shapes:

                def send(shape: Shape = shape) -> None:
                    content = None if shape.body is None else shape.body.encode()
                    headers = {} if content is None else {"Content-Type": "application/json"}
                    client.request(shape.method, shape.path, content=content, headers=headers)

                for _ in range(5):
                    send()
                _callgrind(process.pid, "--zero")
                for _ in range(count):
                    send()
                _callgrind(process.pid, f"--dump={slug(shape.name)}")
                dumped = max(out.glob("cg.*"), key=lambda path: path.stat().st_mtime)
                total = _found(r"^(?:summary|totals): (\d+)", _header(dumped))
                counts[shape.name] = int(total) / count
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # callgrind's last dump, slow on a loaded machine:
            process.kill()  # the counts were taken from the dumps above
            process.wait(timeout=30)
    return counts


def _callgrind(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], capture_output=True, check=True)


def _header(dump: Path) -> str:
    for _ in range(50):  # (callgrind_control returns before the file is complete)
        text = dump.read_text()
        if re.search(r"^(?:summary|totals): \d+", text, re.M):
            return "\n".join(
                line for line in text.splitlines() if line[:7] in ("summary", "totals:")
            )
        time.sleep(0.1)
    raise RuntimeError(f"{dump} has no totals")
