"""What browsers are told about lastseat's pages, in one place for both servers of them:
the app's middleware and the proxy tier's nginx config (which serves the web client)."""

from __future__ import annotations

from pathlib import Path

WEB_ROOT = Path(__file__).resolve().parent / "web"

# The web client is same-origin static files and ES modules: nothing inline, nothing
# from elsewhere. /api/docs (Swagger UI) keeps to the same policy: its files are served
# from here and its start-up script is a file (entrypoints/http/routes/docs.py).
CSP_APP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"

# Refuse framing, sniffing, leaking referrers and (with HSTS, over TLS) plain HTTP.
BASE_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
