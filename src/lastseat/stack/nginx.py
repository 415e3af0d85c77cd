"""nginx configs for the firewall and reverse proxy tiers, generated into var/stack/.

The templates live beside this module; placeholders are `@@{name}` so that nginx's own
`$variables` need no escaping. nginx runs with `-p`/`-c`/`-e` on these files and its own
pid file: no system nginx is touched, nothing outside the project folder is written.
"""

from __future__ import annotations

import ctypes.util
import functools
import json
import os
import pwd
import re
import shutil
from collections.abc import Collection
from importlib import resources
from pathlib import Path
from string import Template

from lastseat.browser_policy import BASE_HEADERS, CSP_APP, HSTS, WEB_ROOT
from lastseat.config import Settings
from lastseat.stack import crs_exclusions
from lastseat.stack.edge_timeouts import CONNECT_SECONDS, STREAM_READ, edge_timeouts
from lastseat.stack.tls import SiteCertificates

CRS_RULES = Path("/usr/share/modsecurity-crs/rules")
MODSECURITY_MODULE = Path("/usr/lib/nginx/modules/ngx_http_modsecurity_module.so")
HEADERS_MORE_MODULE = Path("/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so")
# The gRPC services the firewall routes to grpc_pass; reflection only if made public.
PUBLIC_GRPC_SERVICES = ("lastseat.v1.Booking", "grpc.health.v1.Health")
GRPC_REFLECTION = "grpc.reflection.v1alpha.ServerReflection"
TEMP_DIRS = ("body", "proxy", "fastcgi", "uwsgi", "scgi", "modsecurity", "cache")


class NginxTemplate(Template):
    delimiter = "@@"


def _template(name: str) -> NginxTemplate:
    return NginxTemplate(resources.files("lastseat.stack").joinpath("templates", name).read_text())


# Every status nginx can answer by itself (494: headers too large, sent as 431; 497: plain
# HTTP to the HTTPS port, sent as 400), each a problem+json of templates/errors/.
OWN_STATUSES = (400, 403, 404, 405, 408, 411, 412, 413, 414, 416, 429, 494, 497, 500, 501, 502,
                503, 504, 505)  # fmt: skip


PROBLEMS = "/.lastseat-problem/"  # where the error locations are (internal: no client reaches them)


def _problem(status: int) -> tuple[int, str]:
    """The status sent and the body (with the request id) for one nginx answers itself."""
    text = resources.files("lastseat.stack").joinpath("templates", "errors", f"{status}.json")
    body = json.loads(text.read_text())
    body["request_id"] = "$rid"  # nginx's variable: the request id, as every tier logs it
    return int(body["status"]), json.dumps(body, separators=(",", ":")).replace("'", "\\'")


def _own_headers(tls: bool, indent: str) -> str:
    """The headers of a tier's own answers: the request id and the app's security headers
    (the type forced: a static file's would stay otherwise, as on a 405 for index.html)."""
    headers = [("X-Request-ID", "$rid"), *BASE_HEADERS, ("Content-Security-Policy", CSP_APP)]
    if tls:  # (over plain HTTP a browser ignores HSTS)
        headers.append(("Strict-Transport-Security", HSTS))
    headers.append(("Cache-Control", "no-store"))
    lines = [f'{indent}add_header {name} "{value}" always;' for name, value in headers]
    lines.append(f'{indent}more_set_headers "Content-Type: application/problem+json";')
    return "\n".join(lines)


def error_pages(tls: bool, waf: bool = False, prefix: str = "") -> dict[str, str]:
    """`error_pages`: the error_page directives (repeated in any location that has its own);
    `error_locations`: an internal location per status, answering problem+json. Locations by
    URI, not named: an error met while reading the request line (414, 400, 494) has no URI
    yet, and nginx cannot redirect it to a named location."""
    directives = []
    locations = []
    for status in OWN_STATUSES:
        sent, body = _problem(status)
        overwrite = "" if sent == status else f"={sent} "  # nginx would send 494 as 400
        directives.append(f"error_page {status} {overwrite}{PROBLEMS}{status};")
        extra = "      modsecurity off;\n" if waf else ""
        if status == 429:
            extra += "      add_header Retry-After 1 always;\n"
        locations.append(
            f"    location = {PROBLEMS}{status} {{\n"
            "      internal;\n"
            # (an HTTP/2 body too large is discarded here: no second 413, nginx's own page)
            "      client_max_body_size 0;\n"
            "      default_type application/problem+json;\n"
            f"{_own_headers(tls, '      ')}\n{extra}"
            f"      return {sent} '{body}';\n"
            "    }"
        )
    return {
        f"{prefix}error_pages": " ".join(directives),
        f"{prefix}error_locations": "\n".join(locations),
    }


def _redirect(settings: Settings) -> str:
    """The HTTP server's one answer: 301 to the site's own name (never the request's Host),
    with a problem+json body like every other answer of the tier."""
    port = "" if settings.https_port == 443 else f":{settings.https_port}"
    _, body = _problem(301)
    return (
        "    location / {\n"
        "      error_page 418 =301 @moved;\n"
        "      return 418;\n"
        "    }\n"
        "    location @moved {\n"
        "      default_type application/problem+json;\n"
        f"{_own_headers(False, '      ')}\n"
        f'      add_header Location "https://{settings.site_domain}{port}$request_uri" always;\n'
        f"      return 200 '{body}';\n"
        "    }"
    )


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


def grpc_services(settings: Settings) -> str:
    """The services the firewall routes to the gRPC servers, as a regex alternation (its
    gRPC location and ModSecurity's rule 200010 both match it); any other gRPC path goes to
    the proxy's REST side and gets a 403 (rule 200012) or a 404."""
    services = [*PUBLIC_GRPC_SERVICES]
    if settings.grpc_reflection_public:
        services.append(GRPC_REFLECTION)
    return "|".join(re.escape(service) for service in services)


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


def firewall_dir(settings: Settings) -> Path:
    """The firewall tier's folder: its configs, logs (access.log, error.log, waf.jsonl)."""
    return settings.stack_dir / "firewall"


def write_firewall(settings: Settings, certs: SiteCertificates, waf_log_port: int) -> Path:
    """The firewall's config; its request-level log lines go to the log tier's UDP
    `waf_log_port` (stack/waf_tier.py)."""
    folder = firewall_dir(settings)
    _prepare(folder)
    files = crs_rule_files()
    crs = crs_exclusions.crs_rules(files, settings.waf_paranoia_level)
    copies = crs_exclusions.exempt_copies(files, crs_exclusions.everywhere(crs), folder / "crs")
    rules = "\n".join(f"Include {path}" for path in copies)
    (folder / "crs-exclusions.conf").write_text(
        _template("crs-exclusions.conf").substitute(
            password_removals=crs_exclusions.password_removals(crs)
        )
    )
    (folder / "modsecurity.conf").write_text(
        _template("modsecurity.conf").substitute(
            dir=folder,
            max_body_bytes=settings.max_body_bytes,
            paranoia=settings.waf_paranoia_level,
            grpc_services=grpc_services(settings),
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
            waf_log_port=waf_log_port,
            rate=settings.rate_limit_per_second,
            burst=settings.rate_limit_burst,
            connections=settings.connections_per_address,
            max_body=settings.max_body_bytes,
            deny=deny,
            grpc_services=grpc_services(settings),
            cert=certs.cert,
            key=certs.key,
            redirect=_redirect(settings),
            problems=re.escape(PROBLEMS),
            firewall_read=edge_timeouts(settings).firewall_seconds,
            stream_read=STREAM_READ,
            **error_pages(tls=True, waf=True),
            **error_pages(tls=False, waf=True, prefix="http_"),
        )
    )
    return conf


def _upstream_servers(targets: list[str], down: Collection[str] = ()) -> str:
    """`targets`: host:port each (loopback ports for `up`, app hosts for `cluster up`);
    those whose host is in `down` (not ready: cluster/readiness_watch.py) are marked down,
    so nginx sends them nothing until the list is written again."""
    lines = []
    for target in targets:
        mark = " down" if target.rsplit(":", 1)[0] in down else ""
        lines.append(f"    server {target} max_fails=1 fail_timeout=5s{mark};")
    return "\n".join(lines)


def _loopback(ports: list[int]) -> list[str]:
    return [f"127.0.0.1:{port}" for port in ports]


def _static_headers() -> str:
    """The web client's headers, the same as the app sends with its own pages. `no-cache`
    with nginx's ETag: files have no hashed names (no build step), so a browser revalidates
    each and a deploy is seen at once, at the cost of a 304 per file."""
    headers = [*BASE_HEADERS, ("Content-Security-Policy", CSP_APP)]
    # The proxy is reached only through the firewall, which always ends TLS.
    headers += [("Strict-Transport-Security", HSTS), ("Cache-Control", "no-cache")]
    lines = [f'      add_header {name} "{value}" always;' for name, value in headers]
    # The request id on every answer, files too, as the app's and the error pages carry it.
    return "\n".join([*lines, "      add_header X-Request-ID $rid always;"])


def write_proxy(
    settings: Settings,
    app_ports: list[int] | None = None,
    *,
    app_servers: list[str] | None = None,
    grpc_servers: list[str] | None = None,
    down_hosts: Collection[str] = (),
) -> Path:
    """The proxy's config, to the app servers on loopback `app_ports` (default: the
    settings'), or at `app_servers` and `grpc_servers` (host:port each) if given; the
    servers of `down_hosts` (addresses) are marked down."""
    folder = settings.stack_dir / "proxy"
    _prepare(folder)
    timeouts = edge_timeouts(settings)
    conf = folder / "nginx.conf"
    conf.write_text(
        _template("proxy.conf").substitute(
            user=_worker_user(),
            workers=settings.nginx_workers,
            dir=folder,
            proxy_port=settings.proxy_port,
            proxy_grpc_port=settings.proxy_grpc_port,
            app_servers=_upstream_servers(
                app_servers or _loopback(app_ports or settings.app_ports), down_hosts
            ),
            grpc_servers=_upstream_servers(
                grpc_servers or _loopback(settings.grpc_ports), down_hosts
            ),
            max_body=settings.max_body_bytes,
            web_root=WEB_ROOT,
            static_headers=_static_headers(),
            connect=CONNECT_SECONDS,
            unary_read=timeouts.unary_seconds,
            retries=timeouts.retries_seconds,
            stream_read=STREAM_READ,
            **error_pages(tls=True),
        )
    )
    return conf


def nginx_command(conf: Path) -> list[str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [nginx, "-p", str(conf.parent), "-c", str(conf), "-e", str(conf.parent / "error.log")]


@functools.cache
def _jemalloc() -> str | None:
    """jemalloc's shared library as the dynamic linker finds it (Debian `libjemalloc2`)."""
    return ctypes.util.find_library("jemalloc")


def firewall_environment() -> dict[str, str]:
    """What the firewall's nginx runs with beside the caller's environment: jemalloc instead
    of glibc's malloc. ModSecurity makes and frees C++ strings by the thousand for each
    request it inspects (each value of each rule's targets, each transformation of it), and
    glibc's malloc and free were a third of an inspected request's instructions; with
    jemalloc an inspected GET takes a fifth fewer (docs/firewall.md, `bench/firewall.py`).
    The workers fork from the master with it already loaded."""
    jemalloc = _jemalloc()
    if jemalloc is None:
        raise RuntimeError("missing Debian package: libjemalloc2")
    preload = os.environ.get("LD_PRELOAD")
    return {"LD_PRELOAD": jemalloc if not preload else f"{jemalloc}:{preload}"}


def missing_packages() -> list[str]:
    """Debian packages the firewall and proxy tiers need that are not installed."""
    missing = []
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        missing.append("nginx")
    if not MODSECURITY_MODULE.exists():
        missing.append("libnginx-mod-http-modsecurity")
    if not HEADERS_MORE_MODULE.exists():
        missing.append("libnginx-mod-http-headers-more-filter")
    if not CRS_RULES.exists():
        missing.append("modsecurity-crs")
    if _jemalloc() is None:
        missing.append("libjemalloc2")
    return missing
