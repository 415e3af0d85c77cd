"""A local stand-in for a card payment provider, run as its own process.

It behaves as providers' test modes do: a secret API key in `Authorization: Bearer`,
authorize / capture / void / refund, an `Idempotency-Key` on every write (a repeat returns
the first answer), and outcomes chosen by test card token:

  tok_ok              authorized, captures fine
  tok_declined        402 card_declined
  tok_error           500 processing_error at authorization
  tok_slow            answers after `LASTSEAT_SANDBOX_DELAY_SECONDS` (default 30): a timeout
  tok_capture_fails   authorizes, but every capture fails with 500

State lives in memory: it is a sandbox, not a ledger.
"""
