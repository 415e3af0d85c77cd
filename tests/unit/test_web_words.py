"""The travellers' words and the name rule are the server's, written once: the web client
reads them from web/js/server-words.js, which must be what the domain writes today."""

from __future__ import annotations

from lastseat.domain.price_words import SURCHARGE_NAMES
from lastseat.entrypoints import web_words
from lastseat.entrypoints.http.schemas import SurchargesIn


def test_the_web_clients_words_module_is_what_the_server_writes() -> None:
    committed = web_words.TARGET.read_text(encoding="utf-8")
    assert committed == web_words.module_text(), (
        "src/lastseat/web/js/server-words.js is stale: run `make web-words`"
    )


def test_every_surcharge_the_server_prices_has_a_name() -> None:
    """Mail, the CLI and the web client name each surcharge kind the pricing rules can put
    on a line (the web client through server-words.js, checked above)."""
    priced = {name for name in SurchargesIn.model_fields if name != "front_rows"}
    assert set(SURCHARGE_NAMES) == priced, sorted(set(SURCHARGE_NAMES) ^ priced)
