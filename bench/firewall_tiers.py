"""The processes bench/firewall.py puts around the firewall: a fixed-response upstream, a
bare TLS proxy (the ceiling without a WAF) and Apache httpd with ModSecurity v2 (the other
engine), each as a config file; and a wait for a port to answer."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

APACHE_MODULES = Path("/usr/lib/apache2/modules")


def _nginx(folder: Path, workers: int, http: str) -> Path:
    """An nginx config in `folder` running in the foreground, with `http` as its http block."""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"worker_processes {workers};\npid {folder}/nginx.pid;\ndaemon off;\n"
        f"events {{ worker_connections 4096; }}\nhttp {{\n  access_log off;\n{http}}}\n"
    )
    return conf


def upstream_conf(folder: Path, port: int, body: bytes) -> Path:
    (folder / "html").mkdir(parents=True)
    (folder / "html" / "map.json").write_bytes(body)
    return _nginx(
        folder,
        1,
        f"""  keepalive_requests 100000;
  server {{
    listen 127.0.0.1:{port};
    default_type application/json;
    location / {{ root {folder}/html; rewrite ^ /map.json break; }}
  }}
""",
    )


def plain_proxy_conf(folder: Path, port: int, upstream: int, cert: Path, key: Path) -> Path:
    folder.mkdir(parents=True)
    return _nginx(
        folder,
        2,
        f"""  upstream up {{ server 127.0.0.1:{upstream}; keepalive 64; }}
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
""",
    )


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


def wait_port(url: str) -> None:
    for _ in range(150):
        try:
            httpx.get(url, verify=False, timeout=1)  # noqa: S501 - loopback, our own CA
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")
