"""What each CRS paranoia level would refuse: the legitimate set and the attack set.

The firewall tier as generated (templates, exclusions) at each paranoia level, over TLS,
in front of one fixed answer (bench/firewall.py's upstream), so only the firewall decides
(a refusal is its 400 or 403). For each level it sends tests/stack/waf_legitimate.json as a
browser would (with its analytics and consent cookies), the same requests without the
third-party cookies (what dropping them at the edge would give), and
tests/stack/waf_attacks.json; the rules behind each refusal come from the tier's waf.jsonl
(its log tier, lastseat.stack.waf_tier). Writes var/bench/waf_paranoia.json and prints a table.

    python bench/waf_paranoia.py [--levels 1 2] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from lastseat.config import Settings
from lastseat.stack import nginx, waf_log
from lastseat.stack.tls import ensure_certificates

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
from firewall_tiers import upstream_conf, wait_port  # noqa: E402
from run import Process  # noqa: E402
from tests.stack import waf_requests  # noqa: E402

from lastseat.stack.ports import free_port, free_udp_and_tcp_port, port_open  # noqa: E402
from lastseat.stack.processes import lastseat_argv, wait_ready  # noqa: E402

console = Console(width=140)
THIRD_PARTY = ("browser",)  # the jar of analytics and consent cookies
VALUES = {"flight_id": 7, "hold_id": "3f2b8c1e-9d4a-4e5f-8a6b-1c2d3e4f5a6b", "token": "x.y.z"}


async def replay(
    url: str,
    ca: Path,
    label: str,
    cases: list[dict[str, Any]],
    jars: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
) -> list[str]:
    """The request ids (`case-<label>-<index>`) of the cases the firewall refused."""
    refused = []
    async with httpx.AsyncClient(base_url=url, verify=str(ca), timeout=30) as client:
        for index, case in enumerate(cases):
            request = waf_requests.build(client, case, VALUES, jars, drop)
            request_id = f"case-{label}-{index}"
            request.headers["X-Request-ID"] = request_id
            request.headers["Host"] = "lastseat.test"
            response = await client.send(request)
            if response.status_code in (400, 403):  # the fixed answer is 200
                refused.append(request_id)
    return refused


def reasons(log: Path, refused: list[str]) -> dict[str, Any]:
    """For the refused ids: how many had a cookie among their scoring variables, and how
    often each rule scored."""
    rules: Counter[int] = Counter()
    by_cookie = 0
    for request_id in refused:
        refusal = waf_log.find(log, request_id)
        if refusal is None:
            continue
        rules.update(m.rule_id for m in refusal.scoring)
        if any(m.variable.startswith("REQUEST_COOKIES") for m in refusal.scoring):
            by_cookie += 1
    return {"refused": len(refused), "with_a_cookie": by_cookie, "rules": dict(rules)}


def level(work: Path, paranoia: int, upstream: int, certs: Any) -> dict[str, Any]:
    port = free_port()
    settings = Settings(
        _env_file=None,
        stack_dir=work / f"pl{paranoia}", https_port=port, http_port=free_port(),
        proxy_port=upstream, proxy_grpc_port=free_port(), doh_port=free_port(),
        nginx_workers=1, waf_paranoia_level=paranoia, rate_limit_per_second=100_000,
        rate_limit_burst=100_000, connections_per_address=10_000,
    )  # fmt: skip
    log_port = free_udp_and_tcp_port()
    conf = nginx.write_firewall(settings, certs, log_port)
    log_file = work / f"pl{paranoia}-waf-log.log"
    log_tier = Process(
        lastseat_argv("stack-waf-log", "--port", str(log_port), "--folder", str(conf.parent)),
        dict(os.environ),
        log_file,
    )
    try:  # (its lines are lost until it listens)
        wait_ready("the WAF log tier", log_tier.proc, partial(port_open, log_port), log_file, 60)
    except RuntimeError:
        log_tier.stop()
        raise
    process = Process(nginx.nginx_command(conf), dict(os.environ), work / f"pl{paranoia}.log")
    try:
        url = f"https://127.0.0.1:{port}"
        wait_port(url + "/api/v1/config")
        legit = waf_requests.load(waf_requests.LEGITIMATE)
        attacks = waf_requests.load(waf_requests.ATTACKS)["requests"]
        cases, jars = legit["requests"], legit["jars"]
        log = conf.parent / "waf.jsonl"
        as_sent = asyncio.run(replay(url, certs.ca_cert, "all", cases, jars))
        without = asyncio.run(replay(url, certs.ca_cert, "own", cases, jars, THIRD_PARTY))
        refused_attacks = set(asyncio.run(replay(url, certs.ca_cert, "attack", attacks)))
        time.sleep(1)  # (the log tier's last lines)
        return {
            "legitimate": len(cases),
            "attacks": len(attacks),
            "as_sent": as_sent,
            "without_third_party_cookies": without,
            "attacks_refused": sorted(refused_attacks),
            "attacks_let_through": [
                f"{a['family']} {a['method']} {a['path']} {a.get('params', '')} "
                f"{a.get('headers', '')}"
                for index, a in enumerate(attacks)
                if f"case-attack-{index}" not in refused_attacks
            ],
            "legitimate_refused": [
                cases[int(request_id.rsplit("-", 1)[1])]["name"] for request_id in as_sent
            ],
            "why_as_sent": reasons(log, as_sent),
            "why_without_cookies": reasons(log, without),
        }
    finally:
        process.stop()
        log_tier.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", action="store_true", help="keep the logs (var/waf-paranoia-*)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="waf-paranoia-", dir=ROOT / "var"))
    work.chmod(0o755)
    results: dict[int, dict[str, Any]] = {}
    upstream = free_port()
    fixed = Process(
        nginx.nginx_command(upstream_conf(work / "upstream", upstream, b"{}")),
        dict(os.environ),
        work / "upstream.log",
    )
    try:
        wait_port(f"http://127.0.0.1:{upstream}/")
        certs = ensure_certificates(work / "tls", "lastseat.test")
        for paranoia in args.levels:
            console.print(f"paranoia level {paranoia}")
            results[paranoia] = level(work, paranoia, upstream, certs)
    finally:
        fixed.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    table = Table(title="what each paranoia level refuses")
    for column in (
        "level",
        "legitimate refused",
        "of which by a cookie",
        "without third-party cookies",
        "attacks refused",
        "rules (legitimate)",
    ):
        table.add_column(column)  # fmt: skip
    for paranoia, r in results.items():
        rules = r["why_as_sent"]["rules"]
        table.add_row(
            str(paranoia),
            f"{len(r['as_sent'])}/{r['legitimate']}",
            str(r["why_as_sent"]["with_a_cookie"]),
            f"{len(r['without_third_party_cookies'])}/{r['legitimate']}",
            f"{len(r['attacks_refused'])}/{r['attacks']}",
            " ".join(f"{rule}x{n}" for rule, n in sorted(rules.items(), key=lambda x: -x[1])),
        )
    console.print(table)
    for paranoia, r in results.items():
        for name in r["legitimate_refused"]:
            console.print(f"PL{paranoia} refused (legitimate): {name}")
        for attack in r["attacks_let_through"]:
            console.print(f"PL{paranoia} let through (attack): {attack}")
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "waf_paranoia.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
