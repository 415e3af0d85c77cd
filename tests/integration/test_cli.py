"""The `lastseat` command line on a fresh SQLite database, as an operator runs it."""

from __future__ import annotations

from pathlib import Path

from lastseat.adapters.db import migrate
from lastseat.bootstrap import build_services
from tests.support.clock import FakeClock
from tests.support.commands import lastseat
from tests.support.databases import make_settings
from tests.support.flights import new_flight
from tests.support.passengers import passengers_for
from tests.support.payments import FakePayments
from tests.support.servers import server_env


def test_migrate_seed_accounts_and_discounts(tmp_path: Path) -> None:
    env = server_env(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    assert f"revision {migrate.head_revision()}" in lastseat(env, "db", "migrate").stdout
    seeded = lastseat(env, "db", "seed", "--flights", "3")
    assert seeded.returncode == 0 and "created 3 flights" in seeded.stdout
    assert "created 0 flights" in lastseat(env, "db", "seed", "--flights", "3").stdout
    admin = lastseat(
        env, "admin", "create-user", "ops@example.com", "--password", "ops-pass-1", "--admin"
    )
    assert admin.returncode == 0 and "(admin)" in admin.stdout
    assert "ops-pass-1" not in admin.stdout + admin.stderr
    made = lastseat(
        env, "admin", "create-discount", "summer", "--kind", "percent", "--value", "1500"
    )
    assert made.returncode == 0 and "SUMMER" in made.stdout
    again = lastseat(env, "admin", "create-discount", "SUMMER", "--kind", "percent", "--value", "1")
    assert again.returncode == 1 and "already exists" in again.stderr
    weak = lastseat(env, "admin", "create-user", "x@example.com", "--password", "short")
    assert weak.returncode == 1 and "password" in weak.stderr


def test_a_discount_the_rules_refuse_is_one_line_and_not_saved(tmp_path: Path) -> None:
    env = server_env(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", COLUMNS="250")
    lastseat(env, "db", "migrate")
    fixed = ("admin", "create-discount", "walk", "--kind", "fixed", "--value", "1000")
    for bad in (("--currency", "XYZ"), ("--currency", "EUR", "--origin", "XYZ")):
        refused = lastseat(env, *fixed, *bad)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
    made = lastseat(env, *fixed, "--currency", "jpy", "--origin", "NRT")
    assert made.returncode == 0 and "created WALK: JPY 1,000 off" in made.stdout
    again = lastseat(env, *fixed, "--currency", "JPY")
    assert again.returncode == 1 and "discount code WALK already exists" in again.stderr
    assert "or its flight" not in again.stderr


async def test_an_operator_lists_stuck_payments_and_retries_one(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    payments = FakePayments()
    clock = FakeClock()
    services = build_services(
        make_settings(url, payments_settle_max_attempts=1), clock=clock, payments=payments
    )
    try:
        await services.database.upgrade()
        ann = await services.accounts.signup("ann@example.com", "ann-password-1")
        flight = await services.catalog.create_flight(new_flight(services.catalog.now()))
        hold = (await services.reservations.hold_seats(ann, flight.id, ["12A"])).hold
        payments.capture_fails = True
        booking = (
            await services.bookings.confirm(
                ann, hold.id, "tok_ok", passengers=passengers_for(hold.seats)
            )
        ).booking
        await services.settlement.flush()  # its own process's capture fails
        clock.advance(seconds=services.settings.payments_capture_grace_seconds)
        await services.settlement.settle_due()  # fails once: with one attempt, stuck
    finally:
        await services.close()
    env = server_env(url, LASTSEAT_PAYMENTS_SETTLE_MAX_ATTEMPTS="1", COLUMNS="250")
    listed = lastseat(env, "payments", "stuck")
    assert listed.returncode == 1, listed.stderr
    assert str(booking.id) in listed.stdout and booking.reference in listed.stdout
    assert "payment-provider-error" in listed.stdout
    retried = lastseat(env, "payments", "retry", str(booking.id))
    assert retried.returncode == 0 and "settled again" in retried.stdout
    after = lastseat(env, "payments", "stuck")
    assert after.returncode == 0 and "no stuck payments" in after.stdout
    unknown = lastseat(env, "payments", "retry", "00000000-0000-0000-0000-000000000000")
    assert unknown.returncode == 1 and "no unsettled booking" in unknown.stderr


def test_operator_commands_on_an_unmigrated_or_unreachable_database_say_so(
    tmp_path: Path,
) -> None:
    """An error line and exit status 1, never a traceback: no schema yet names
    `db migrate`; a database that does not answer says so (migrate included)."""
    unmigrated = server_env(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    away = server_env("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    commands = [
        ("payments", "stuck"),
        ("db", "seed", "--flights", "1"),
        ("admin", "create-user", "ops@example.com", "--password", "ops-pass-1"),
    ]
    for args in commands:
        done = lastseat(unmigrated, *args)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and "lastseat db migrate" in done.stderr
    for args in [("db", "migrate"), *commands]:
        done = lastseat(away, *args)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and "cannot be reached" in done.stderr


def test_an_operator_opens_and_ends_a_sale_through_a_waiting_room(tmp_path: Path) -> None:
    env = server_env(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", COLUMNS="250")
    lastseat(env, "db", "migrate")
    assert lastseat(env, "db", "seed", "--flights", "1").returncode == 0
    sale = ("admin", "open-sale", "1", "--rate", "600", "--cap", "50")
    opened = lastseat(env, *sale, "--opens-at", "2026-01-01T09:00")
    assert opened.returncode == 0, opened.stderr
    assert "from 2026-01-01T09:00:00+00:00" in opened.stdout
    again = lastseat(env, *sale, "--opens-at", "2026-01-01T09:00")
    assert again.returncode == 1 and "has a sale already" in again.stderr
    assert lastseat(env, "admin", "end-sale", "1").returncode == 0
    gone = lastseat(env, "admin", "end-sale", "1")
    assert gone.returncode == 1 and "has no sale" in gone.stderr
    late = lastseat(env, *sale, "--opens-at", "2999-01-01T09:00")
    assert late.returncode == 1 and "before the flight departs" in late.stderr
