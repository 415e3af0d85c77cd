"""The payment sandbox keeps its ledger across a restart, as a provider does: an earlier
authorization can still be captured, refunded and read, and a repeated request with an
earlier idempotency key still gets its first answer."""

from __future__ import annotations

from pathlib import Path

from lastseat.adapters.payments import HttpPayments
from lastseat.config import Settings
from lastseat.domain.bookings import PaymentStatus
from lastseat.domain.money import Money
from tests.support.servers import PAYMENTS_KEY, AppServer, server_env


async def test_a_restarted_sandbox_refunds_what_it_captured_before(
    tmp_path: Path, server_logs: Path
) -> None:
    ledger = tmp_path / "ledger.jsonl"
    env = server_env("sqlite+aiosqlite:///unused.db", LASTSEAT_SANDBOX_LEDGER=str(ledger))
    sandbox = AppServer(
        env, server_logs / "sandbox-restart.log", command="payments-sandbox", ready_path="/healthz"
    )
    settings = Settings(_env_file=None, payments_url=sandbox.url, payments_secret_key=PAYMENTS_KEY)
    payments = HttpPayments(settings)
    try:
        sandbox.start()
        captured = await payments.authorize("tok_ok", Money(12_345, "EUR"), "key-captured")
        await payments.capture(captured, f"capture-{captured}")
        authorized = await payments.authorize("tok_ok", Money(500, "EUR"), "key-authorized")
        sandbox.stop()  # SIGTERM; the kill -9 case is the journal's flush before each answer
        sandbox.start()
        assert await payments.status(captured) is PaymentStatus.CAPTURED
        await payments.refund(captured, f"refund-{captured}")
        assert await payments.status(captured) is PaymentStatus.REFUNDED
        # the same key gets the same authorization, not a second one
        again = await payments.authorize("tok_ok", Money(500, "EUR"), "key-authorized")
        assert again == authorized
        await payments.void(authorized, f"void-{authorized}")
        assert sandbox.process is not None
        sandbox.process.kill()  # a crash this time: nothing but the journal survives
        sandbox.process.wait()
        sandbox.process = None
        sandbox.start()
        assert await payments.status(authorized) is PaymentStatus.VOIDED
        assert await payments.status(captured) is PaymentStatus.REFUNDED
    finally:
        await payments.close()
        sandbox.stop()
