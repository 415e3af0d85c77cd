"""The one settings object: the only reader of the environment.

Every value comes from a `LASTSEAT_*` environment variable or from the optional env file
named by `LASTSEAT_ENV_FILE` (default `var/lastseat.env`, outside the web root). Secrets are
`SecretStr` so that printing, logging or serialising the settings never shows them.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lastseat.domain.fares import DemandBucket, FareRules
from lastseat.domain.holds import MAX_SEATS_PER_HOLD, HoldLimits
from lastseat.domain.settlement import RetryRules
from lastseat.domain.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIN_SECRET_LENGTH = 32  # characters; `up` writes 43 (32 random bytes, URL-safe base64)
SECRET_SETTINGS = ("token_signing_key", "payments_secret_key")


def env_file() -> str:
    # Read before the settings exist, so it is the one variable looked up directly.
    return os.environ.get("LASTSEAT_ENV_FILE", str(PROJECT_ROOT / "var" / "lastseat.env"))


def default_pool_size() -> int:
    """Twice the cores this process may run on, and at least 4."""
    return max(4, 2 * len(os.sched_getaffinity(0)))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LASTSEAT_", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    database_url: SecretStr = SecretStr(
        f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var' / 'lastseat.db'}"
    )
    # Connections per app server process. PostgreSQL serves about two active connections
    # per core at its best; past that, transactions wait on each other's locks and sit
    # "idle in transaction" while their busy app servers get round to them. Measured on 2
    # cores (docs/benchmarks.md): 4 per server sold a hot flight 13% faster than 10 and
    # booked 25% more per second through `bench/run.py`.
    pool_size: int = Field(default_factory=default_pool_size, ge=1, le=500)
    pool_max_overflow: int = Field(default=0, ge=0, le=500)
    pool_timeout_seconds: float = Field(default=5.0, gt=0)
    sqlite_busy_timeout_seconds: float = Field(default=30.0, gt=0)
    # Bounds on every wait for PostgreSQL, so a dead server or a stuck transaction costs a
    # client a few seconds and a 503 to retry, never a hang: connecting, the reply to one
    # command (the driver's side), a wait for a lock (seat rows, a flight's event lock) and
    # one statement (the server's side). Migrations are exempt from the last two.
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    db_command_timeout_seconds: float = Field(default=30.0, gt=0)
    db_lock_timeout_seconds: float = Field(default=3.0, gt=0)
    db_statement_timeout_seconds: float = Field(default=15.0, gt=0)
    # A streaming replica the seat map (and nothing else) may be read from, and how stale
    # such a map may be at most: a replica read is served only if the replica has replayed
    # the WAL the primary had written at most this long ago (adapters/db/replica.py); else
    # the primary answers. Unset: every read goes to the primary.
    replica_database_url: SecretStr | None = None
    replica_max_staleness_seconds: float = Field(default=2.0, gt=0, le=60)

    hold_ttl_seconds: int = Field(default=600, ge=5, le=86_400)
    sweep_interval_seconds: float = Field(default=5.0, gt=0)
    token_ttl_seconds: int = Field(default=7 * 86_400, ge=60)

    # Argon2id cost. The defaults are the library's (RFC 9106 low-memory profile);
    # tests lower them so hundreds of accounts can be made in seconds.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65_536, ge=1_024)
    argon2_parallelism: int = Field(default=4, ge=1)

    # Fares: (load factor below %, multiplier in 1/1000) buckets, and taxes per seat and
    # in basis points of the fares. As JSON in the environment, e.g. [[50,1000],[101,1350]].
    fare_demand_buckets: list[tuple[int, int]] = [(50, 1000), (80, 1150), (101, 1350)]
    tax_per_seat: int = Field(default=1_200, ge=0)
    tax_basis_points: int = Field(default=500, ge=0, le=10_000)

    # Sign-in throttling (OWASP Authentication Cheat Sheet). One account from one address
    # (the pair) is locked after this many attempts, for a time that doubles; the whole
    # account and the whole address, which an attacker shares with the innocent, are only
    # slowed: past their limits, attempts are spaced by a delay that doubles up to a cap.
    # An address the account signed in from lately is not slowed by the account's count.
    login_max_failures_per_pair: int = Field(default=5, ge=1)
    login_max_failures_per_account: int = Field(default=20, ge=1)
    login_max_failures_per_address: int = Field(default=30, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    login_lockout_seconds: int = Field(default=30, ge=1)
    login_max_lockout_seconds: int = Field(default=900, ge=1)
    login_slowdown_seconds: int = Field(default=1, ge=1)
    login_max_slowdown_seconds: int = Field(default=60, ge=1)
    login_known_address_days: int = Field(default=30, ge=0)
    # At most this many argon2 hashes at once per process: the rest queue, and the cores
    # stay free for everything else (each hash costs 64 MiB and tens of milliseconds).
    argon2_max_concurrent: int = Field(default=2, ge=1, le=64)
    # Sign-ups per client address per window (each one costs an argon2 hash).
    signups_per_address: int = Field(default=10, ge=1)
    signups_window_seconds: int = Field(default=3_600, ge=1)

    # Seat spinning (OWASP OAT-021): what one party may hold at once, and how fast one
    # client address may place holds. Every limit is enforced in the database.
    hold_max_seats_per_flight: int = Field(default=MAX_SEATS_PER_HOLD, ge=1, le=10_000)
    hold_max_seats_per_customer: int = Field(default=18, ge=1, le=100_000)
    hold_max_address_share_percent: int = Field(default=20, ge=1, le=100)
    # Held and booked together: a booking cancelled for free is a hold by another name.
    customer_max_seats_per_flight: int = Field(default=18, ge=1, le=10_000)
    holds_per_customer: int = Field(default=20, ge=1)
    holds_per_address: int = Field(default=60, ge=1)
    holds_window_seconds: int = Field(default=600, ge=1)
    # Discount code attempts (guessing): per customer and per address per window, per hold.
    discount_attempts_per_customer: int = Field(default=20, ge=1)
    discount_attempts_per_hold: int = Field(default=5, ge=1)
    discount_attempts_per_address: int = Field(default=60, ge=1)
    discount_attempts_window_seconds: int = Field(default=3_600, ge=1)
    # Manage-booking look-ups (reference + family name, no sign-in: a guessing target).
    # Only failures count. One reference from one address is locked out for long (only a
    # guesser fills it); the keys a stranger shares with the owner (the whole reference)
    # and with the innocent (a whole address, e.g. airport Wi-Fi) are only slowed.
    lookup_max_failures_per_pair: int = Field(default=5, ge=1)
    lookup_max_failures_per_reference: int = Field(default=20, ge=1)
    lookup_max_failures_per_address: int = Field(default=30, ge=1)
    lookup_window_seconds: int = Field(default=3_600, ge=1)
    lookup_lockout_seconds: int = Field(default=60, ge=1)
    lookup_max_lockout_seconds: int = Field(default=3_600, ge=1)
    lookup_slowdown_seconds: int = Field(default=1, ge=1)
    lookup_max_slowdown_seconds: int = Field(default=60, ge=1)
    # No cancellation (and so no refund) this close to departure.
    cancellation_cutoff_minutes: int = Field(default=120, ge=0, le=100_000)

    # Waiting rooms (docs/waiting-room.md): how long an app server may go on not knowing
    # that a sale was opened or ended, and how often a line it serves moves on and its
    # watchers are told their places.
    sale_refresh_seconds: float = Field(default=1.0, ge=0.0, le=60.0)
    line_tick_seconds: float = Field(default=1.0, ge=0.05, le=60.0)

    # Live seat maps: a watcher more than this many changes behind is disconnected (it
    # resumes with ?after); WebSocket pings find dead peers.
    watch_queue_limit: int = Field(default=1_024, ge=1, le=1_000_000)
    # Seat events are kept this long, then pruned: a watcher resuming from an event older
    # than that gets a fresh snapshot instead of the changes (they are gone).
    seat_event_retention_hours: int = Field(default=24, ge=1, le=24 * 366)
    # How long an app server keeps an idle HTTP connection. Longer than its clients keep
    # theirs (nginx's upstream keepalive: 60 s; httpx: 5 s), so the client always closes
    # first: a server that closes first races a request just sent on that connection, and
    # the loser is a reset (a 502 for a POST nginx may not retry).
    http_keep_alive_seconds: int = Field(default=75, ge=1, le=3600)
    # uvicorn's supervisor kills a worker that does not answer its ping in this time, and a
    # worker still importing on a busy machine cannot: at uvicorn's 5 s, a loaded 2-core
    # host killed and restarted the workers every few seconds, with their transactions.
    worker_healthcheck_seconds: int = Field(default=60, ge=1, le=3600)
    ws_ping_interval_seconds: float = Field(default=20.0, gt=0)
    ws_ping_timeout_seconds: float = Field(default=20.0, gt=0)

    max_body_bytes: int = Field(default=64 * 1024, ge=1_024)
    log_level: str = "info"
    log_json: bool = True
    # Log lines are written in batches at most this often (0: every line at once).
    log_flush_seconds: float = Field(default=0.5, ge=0, le=60)
    public_origin: str = "http://127.0.0.1:3001"
    # Origins other than our own that browsers may call the API from (exact matches).
    cors_origins: list[str] = []
    cookie_secure: bool = False  # true when served over TLS: Secure cookies and HSTS
    # The web client's request-path panel, shown to every visitor until they turn it off in
    # the footer (off: shown only to those who turn it on). A demo's setting, not a secret.
    request_path_panel: bool = False

    # The payment provider (the sandbox started by `make up`, or a real one).
    payments_url: str = "http://127.0.0.1:3090"
    payments_secret_key: SecretStr = SecretStr("sk_test_lastseat_sandbox_dev_key")
    payments_timeout_seconds: float = Field(default=5.0, gt=0)
    payments_settle_interval_seconds: float = Field(default=5.0, gt=0)
    # A booking is captured by the process that made it, just after its commit; settlement
    # rounds leave it to that process this long (past a capture's timeout), then take it.
    payments_capture_grace_seconds: float = Field(default=10.0, ge=0)
    # Settlement: rows per round (oldest first), each leased to one process for a while;
    # a failed row waits a delay that doubles, and after so many attempts it is stuck.
    payments_settle_batch: int = Field(default=100, ge=1, le=10_000)
    payments_settle_lease_seconds: float = Field(default=60.0, gt=0)
    payments_settle_max_attempts: int = Field(default=12, ge=1)
    payments_settle_retry_seconds: float = Field(default=5.0, gt=0)
    payments_settle_max_retry_seconds: float = Field(default=600.0, gt=0)
    sandbox_delay_seconds: float = Field(default=30.0, ge=0)  # how slow tok_slow is
    # The sandbox's ledger on disk (default: payments-sandbox/ledger.jsonl in the stack dir).
    sandbox_ledger: Path | None = None

    # Mail (docs/mail.md): tickets and cancellations leave through the `mail_outbox` table,
    # sent by every app process's round to this SMTP relay (by default `up`'s catcher).
    # false: the app and gRPC servers leave the rounds to a mailer process
    # (`lastseat up` runs one), so the e-tickets' PDF stack, some 50 MB once a ticket is
    # drawn, lives in that one process instead of in every server.
    mail_send_in_servers: bool = True
    mail_from: str = "LastSeat <tickets@lastseat.test>"
    mail_relay_host: str = "127.0.0.1"
    mail_relay_port: int | None = Field(default=None, ge=1, le=65_535)  # None: the catcher
    mail_relay_starttls: bool = False
    mail_relay_username: str | None = None
    mail_relay_password: SecretStr | None = None
    mail_timeout_seconds: float = Field(default=10.0, gt=0)
    # Rounds: messages per round, each leased to one process for a while; a failed message
    # waits a delay that doubles, and after so many attempts it is left for an operator.
    mail_send_interval_seconds: float = Field(default=2.0, gt=0)
    mail_send_batch: int = Field(default=20, ge=1, le=1_000)
    mail_send_lease_seconds: float = Field(default=60.0, gt=0)
    mail_max_attempts: int = Field(default=20, ge=1)
    mail_retry_seconds: float = Field(default=5.0, gt=0)
    mail_max_retry_seconds: float = Field(default=900.0, gt=0)
    # The catcher `up` starts (loopback only) and where it keeps what it receives
    # (default: mail/ in the stack dir).
    mail_catcher_port: int = Field(default=2525, ge=1, le=65_535)
    mailer_port: int = Field(default=2526, ge=1, le=65_535)  # its health check (HTTP)
    # The mailer's CPU priority (nice): a ticket's PDF costs several times the CPU of the
    # booking that asked for it (docs/mail.md), so in a rush the mailer yields to the
    # requests and catches up after; 0 keeps it level with them.
    mailer_niceness: int = Field(default=10, ge=0, le=19)
    mail_dir: Path | None = None
    # Keyed hash for bearer tokens at rest: a stolen tokens table is useless without it.
    # To rotate: move the current key to _previous, set a new one; sessions made under the
    # previous key stay valid while it is configured (the grace period), new ones use the new.
    token_signing_key: SecretStr = SecretStr("dev-only-change-me-token-signing-key")
    token_signing_key_previous: SecretStr | None = None

    # The two secrets' defaults above are development values anyone can read here. `up` and
    # `dev` write random ones to the env file on first start; `serve` and `serve-grpc`
    # refuse them behind TLS (cookie_secure) unless this says it is a development machine.
    allow_dev_secrets: bool = False

    def unset_secrets(self) -> list[str]:
        """The secrets, by their environment names, that nothing set (still the default)."""
        fields = type(self).model_fields
        return [
            f"LASTSEAT_{name.upper()}"
            for name in SECRET_SETTINGS
            if getattr(self, name) == fields[name].default
        ]

    def development_secrets(self) -> list[str]:
        """The secrets, by their environment names, still at their development value (in
        any case or spacing, or with something added) or too short to be a secret."""
        fields = type(self).model_fields
        weak = []
        for name in SECRET_SETTINGS:
            value = getattr(self, name).get_secret_value().strip().lower()
            default = fields[name].default.get_secret_value().lower()
            if len(value) < MIN_SECRET_LENGTH or default in value:
                weak.append(f"LASTSEAT_{name.upper()}")
        return weak

    # The stack that `lastseat up` runs: every tier on loopback, ports that need no root.
    site_domain: str = Field(default="lastseat.test", pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
    site_address: str = "127.0.0.1"  # what the domain resolves to: the firewall tier
    stack_dir: Path = PROJECT_ROOT / "var" / "stack"  # generated configs, certificates, logs
    dns_port: int = Field(default=5353, ge=1, le=65_535)
    doh_port: int = Field(default=5380, ge=1, le=65_535)  # plain HTTP; TLS at the firewall
    https_port: int = Field(default=8443, ge=1, le=65_535)
    http_port: int = Field(default=8080, ge=1, le=65_535)  # redirects to HTTPS
    proxy_port: int = Field(default=8081, ge=1, le=65_535)
    proxy_grpc_port: int = Field(default=8082, ge=1, le=65_535)
    app_servers: int = Field(default=2, ge=1, le=64)
    app_port: int = Field(default=3001, ge=1, le=65_535)  # the first; the others follow
    grpc_servers: int = Field(default=1, ge=1, le=64)
    grpc_port: int = Field(default=3051, ge=1, le=65_535)
    nginx_workers: int = Field(default=2, ge=1, le=64)  # one per core
    # The firewall tier: per client address, requests/s (with a burst) and connections.
    rate_limit_per_second: int = Field(default=200, ge=1)
    rate_limit_burst: int = Field(default=400, ge=0)
    connections_per_address: int = Field(default=256, ge=1, le=65_535)
    deny_addresses: list[str] = []  # addresses or CIDR blocks refused with 403
    # The proxy tier's addresses as the app and gRPC servers see them: only a request from
    # one of these has its X-Forwarded-For (the firewall's client address) believed.
    # Loopback on one machine; the edge's address when the app servers run on other hosts.
    trusted_proxies: list[str] = ["127.0.0.1", "::1"]
    waf_paranoia_level: int = Field(default=1, ge=1, le=4)
    # gRPC server reflection lists every method and message to anyone who asks: the gRPC
    # servers always answer it on their own loopback ports (for operators' grpcurl), the
    # firewall routes it from the public side only when this is on.
    grpc_reflection_public: bool = False

    @field_validator("fare_demand_buckets")
    @classmethod
    def _valid_buckets(cls, value: list[tuple[int, int]]) -> list[tuple[int, int]]:
        FareRules(tuple(DemandBucket(b, m) for b, m in value), 0, 0)  # raises if malformed
        return value

    @field_validator("deny_addresses")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return [str(ipaddress.ip_network(item, strict=False)) for item in value]

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return [str(ipaddress.ip_address(item)) for item in value]

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        value = value.lower()
        if value not in {"debug", "info", "warning", "error"}:
            raise ValueError("log_level must be debug, info, warning or error")
        return value

    @cached_property
    def fare_rules(self) -> FareRules:
        return FareRules(
            demand=tuple(
                DemandBucket(below, permille) for below, permille in self.fare_demand_buckets
            ),
            tax_per_seat=self.tax_per_seat,
            tax_basis_points=self.tax_basis_points,
        )

    @property
    def hold_limits(self) -> HoldLimits:
        return HoldLimits(
            self.hold_max_seats_per_flight,
            self.hold_max_seats_per_customer,
            self.hold_max_address_share_percent,
            self.customer_max_seats_per_flight,
        )

    @property
    def settle_retries(self) -> RetryRules:
        return RetryRules(
            self.payments_settle_max_attempts,
            timedelta(seconds=self.payments_settle_retry_seconds),
            timedelta(seconds=self.payments_settle_max_retry_seconds),
        )

    @property
    def mail_retries(self) -> RetryRules:
        return RetryRules(
            self.mail_max_attempts,
            timedelta(seconds=self.mail_retry_seconds),
            timedelta(seconds=self.mail_max_retry_seconds),
        )

    @property
    def mail_relay(self) -> tuple[str, int]:
        return self.mail_relay_host, self.mail_relay_port or self.mail_catcher_port

    @property
    def mail_folder(self) -> Path:
        return self.mail_dir or self.stack_dir / "mail"

    @property
    def cancellation_cutoff(self) -> timedelta:
        return timedelta(minutes=self.cancellation_cutoff_minutes)

    @property
    def hold_ttl(self) -> timedelta:
        return timedelta(seconds=self.hold_ttl_seconds)

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(seconds=self.token_ttl_seconds)

    def public(self) -> dict[str, object]:
        """The settings a browser may see: an explicit allow-list, never a secret."""
        return {
            "public_origin": self.public_origin,
            "hold_ttl_seconds": self.hold_ttl_seconds,
            "max_seats_per_hold": MAX_SEATS_PER_HOLD,
            # The sign-up form states the rule before anyone types (the server still judges).
            "min_password_length": MIN_PASSWORD_LENGTH,
            "max_password_length": MAX_PASSWORD_LENGTH,
            "request_path_panel": self.request_path_panel,
        }

    @property
    def allowed_origins(self) -> list[str]:
        return [self.public_origin.rstrip("/"), *(o.rstrip("/") for o in self.cors_origins)]

    @property
    def sandbox_ledger_path(self) -> Path:
        return self.sandbox_ledger or self.stack_dir / "payments-sandbox" / "ledger.jsonl"

    @property
    def sandbox_port(self) -> int:
        """Where `up` and `dev` start the payment sandbox: the port of `payments_url`."""
        return urlsplit(self.payments_url).port or 3090

    @property
    def app_ports(self) -> list[int]:
        return [self.app_port + i for i in range(self.app_servers)]

    @property
    def grpc_ports(self) -> list[int]:
        return [self.grpc_port + i for i in range(self.grpc_servers)]

    @property
    def sqlite_path(self) -> Path:
        url = self.database_url.get_secret_value()
        return Path(url.split(":///", 1)[1].split("?", 1)[0])

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.get_secret_value().startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(_env_file=env_file())
