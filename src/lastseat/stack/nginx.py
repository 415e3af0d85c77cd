"""nginx configs for the firewall and reverse proxy tiers, generated into var/stack/.

The templates live beside this module; placeholders are `@@{name}` so that nginx's own
`$variables` need no escaping. nginx runs with `-p`/`-c`/`-e` on these files and its own
pid file: no system nginx is touched, nothing outside the project folder is written.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
from importlib import resources
from pathlib import Path
from string import Template

from lastseat.browser_policy import BASE_HEADERS, CSP_APP, HSTS, WEB_ROOT
from lastseat.config import Settings
from lastseat.stack.tls import SiteCertificates

CRS_RULES = Path("/usr/share/modsecurity-crs/rules")
MODSECURITY_MODULE = Path("/usr/lib/nginx/modules/ngx_http_modsecurity_module.so")
# The gRPC services the firewall routes to grpc_pass (a regex alternation of their names).
GRPC_SERVICES = "|".join(
    re.escape(service)
    for service in (
        "lastseat.v1.Booking",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    )
)
TEMP_DIRS = ("body", "proxy", "fastcgi", "uwsgi", "scgi", "modsecurity")


class NginxTemplate(Template):
    delimiter = "@@"


def _template(name: str) -> NginxTemplate:
    return NginxTemplate(resources.files("lastseat.stack").joinpath("templates", name).read_text())


def _problem(status: int) -> str:
    text = resources.files("lastseat.stack").joinpath("templates", "errors", f"{status}.json")
    return text.read_text().strip().replace("'", "\\'")


def crs_rule_files() -> list[Path]:
    """The CRS request rules, minus what does not apply to lastseat.

    Left out, the way operators tune CRS: the exclusion packages for other applications
    (Drupal, WordPress, ...), and the response rules, which need response-body inspection
    (off: the responses are our own).
    """
    return sorted(
        path
        for path in CRS_RULES.glob("REQUEST-*.conf")
        if not path.name.startswith("REQUEST-903.")
    )


def _worker_user() -> str:
    # As root, nginx workers drop to an unprivileged user; as anyone else they stay as is.
    return "user nobody nogroup;" if os.geteuid() == 0 else ""


def _prepare(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        _check_traversable(folder)
    for name in TEMP_DIRS:
        temp = folder / "tmp" / name
        temp.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(temp, nobody.pw_uid, nobody.pw_gid)


def _check_traversable(folder: Path) -> None:
    """As root, nginx workers run as nobody and must reach their temp folders."""
    for parent in [folder, *folder.parents]:
        if parent.exists() and not parent.stat().st_mode & 0o001:
            raise RuntimeError(
                f"{parent} is not traversable by others, so nginx workers (user nobody) cannot "
                "reach the stack folder; choose LASTSEAT_STACK_DIR under a world-traversable path"
            )


def write_firewall(settings: Settings, certs: SiteCertificates) -> Path:
    folder = settings.stack_dir / "firewall"
    _prepare(folder)
    rules = "\n".join(f"Include {path}" for path in crs_rule_files())
    (folder / "crs-exclusions.conf").write_text(_template("crs-exclusions.conf").template)
    (folder / "modsecurity.conf").write_text(
        _template("modsecurity.conf").substitute(
            dir=folder,
            max_body_bytes=settings.max_body_bytes,
            paranoia=settings.waf_paranoia_level,
            grpc_services=GRPC_SERVICES,
            rules=rules,
        )
    )
    deny = "\n".join(f"    {network} 1;" for network in settings.deny_addresses)
    conf = folder / "nginx.conf"
    conf.write_text(
        _template("firewall.conf").substitute(
            user=_worker_user(),
            workers=settings.nginx_workers,
            dir=folder,
            address=settings.site_address,
            http_port=settings.http_port,
            https_port=settings.https_port,
            proxy_port=settings.proxy_port,
            proxy_grpc_port=settings.proxy_grpc_port,
            doh_port=settings.doh_port,
            rate=settings.rate_limit_per_second,
            burst=settings.rate_limit_burst,
            connections=settings.connections_per_address,
            max_body=settings.max_body_bytes,
            deny=deny,
            grpc_services=GRPC_SERVICES,
            cert=certs.cert,
            key=certs.key,
            **{f"problem_{status}": _problem(status) for status in (403, 413, 429)},
        )
    )
    return conf


def _upstream_servers(ports: list[int]) -> str:
    return "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in ports)


def _static_headers() -> str:
    """The web client's headers, the same as the app sends with its own pages. `no-cache`
    with nginx's ETag: files have no hashed names (no build step), so a browser revalidates
    each and a deploy is seen at once, at the cost of a 304 per file."""
    headers = [*BASE_HEADERS, ("Content-Security-Policy", CSP_APP)]
    # The proxy is reached only through the firewall, which always ends TLS.
    headers += [("Strict-Transport-Security", HSTS), ("Cache-Control", "no-cache")]
    return "\n".join(f'      add_header {name} "{value}" always;' for name, value in headers)


def write_proxy(settings: Settings, app_ports: list[int] | None = None) -> Path:
    """The proxy's config, to the app servers on `app_ports` (default: the settings')."""
    folder = settings.stack_dir / "proxy"
    _prepare(folder)
    conf = folder / "nginx.conf"
    conf.write_text(
        _template("proxy.conf").substitute(
            user=_worker_user(),
            workers=settings.nginx_workers,
            dir=folder,
            proxy_port=settings.proxy_port,
            proxy_grpc_port=settings.proxy_grpc_port,
            app_servers=_upstream_servers(app_ports or settings.app_ports),
            grpc_servers=_upstream_servers(settings.grpc_ports),
            max_body=settings.max_body_bytes,
            web_root=WEB_ROOT,
            static_headers=_static_headers(),
        )
    )
    return conf


def nginx_command(conf: Path) -> list[str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [nginx, "-p", str(conf.parent), "-c", str(conf), "-e", str(conf.parent / "error.log")]


def missing_packages() -> list[str]:
    """Debian packages the firewall and proxy tiers need that are not installed."""
    missing = []
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        missing.append("nginx")
    if not MODSECURITY_MODULE.exists():
        missing.append("libnginx-mod-http-modsecurity")
    if not CRS_RULES.exists():
        missing.append("modsecurity-crs")
    return missing
