"""The web client's travellers' words (src/lastseat/web/js/words.js) keep up with the API."""

from __future__ import annotations

import re

from lastseat.config import PROJECT_ROOT
from lastseat.entrypoints.http.schemas import SurchargesIn

WORDS = PROJECT_ROOT / "src" / "lastseat" / "web" / "js" / "words.js"


def test_the_quote_words_module_names_every_surcharge_the_server_prices() -> None:
    """js/words.js names each surcharge kind the pricing rules can put on a line."""
    words = WORDS.read_text(encoding="utf-8")
    table = re.search(r"SURCHARGE_NAMES = Object\.freeze\((\{.*?\})\)", words, re.S)
    assert table is not None
    named = set(re.findall(r"^\s*(\w+):", table.group(1), re.M))
    priced = {name for name in SurchargesIn.model_fields if name != "front_rows"}
    assert named == priced, sorted(named ^ priced)
