"""The server's words and rules the web client shows and checks, written out as an ES module
(web/js/server-words.js) the client imports like any other of its files.

The web client has no build step and its files are served as they are (by the app, or by
the proxy tier under `lastseat up`), so the module is committed; `make web-words` writes it
again and tests/unit/test_web_words.py fails while it is not what this writes. That way
the surcharge names, the bill's words and the passenger-name rule are written once, in the
domain, and the page can never say or accept something the server would not.
"""

from __future__ import annotations

import json
from pathlib import Path

from lastseat.browser_policy import WEB_ROOT
from lastseat.domain import passengers, price_words

TARGET = WEB_ROOT / "js" / "server-words.js"
HEADER = """\
// Written by `make web-words` (src/lastseat/entrypoints/web_words.py) from the server's
// words and rules in domain/price_words.py and domain/passengers.py: change them there,
// never here (tests/unit/test_web_words.py fails while this file is not what it writes).
"""


def _constant(doc: str, name: str, value: object) -> str:
    text = json.dumps(value)
    if isinstance(value, dict):
        text = f"Object.freeze({text})"
    return f"\n/** {doc} */\nexport const {name} = {text};\n"


def module_text() -> str:
    """The module's text: each word and rule as an exported constant."""
    name_rule = {
        "minLength": passengers.MIN_NAME_LENGTH,
        "maxLength": passengers.MAX_NAME_LENGTH,
        "maxMarksPerLetter": passengers.MAX_MARKS_PER_LETTER,
        # sorted: a frozenset's order changes from one Python process to the next
        "punctuation": "".join(sorted(passengers.NAME_PUNCTUATION)),
        "joiners": "".join(sorted(passengers.NAME_JOINERS)),
        "maxRawLength": passengers.MAX_RAW_NAME_LENGTH,
    }
    return HEADER + "".join(
        (
            _constant(
                "What each seat surcharge kind the API sends (`surcharges[].kind`) is called.",
                "SURCHARGE_NAMES",
                price_words.SURCHARGE_NAMES,
            ),
            _constant(
                "A surcharge kind newer than these words.",
                "UNKNOWN_SURCHARGE",
                price_words.UNKNOWN_SURCHARGE,
            ),
            _constant(
                "A seat's fare on the bill; {seat} and {cabin} are filled in.",
                "FARE_LABEL",
                price_words.FARE_LABEL,
            ),
            _constant(
                "What demand added to a seat's price.", "HIGH_DEMAND", price_words.HIGH_DEMAND
            ),
            _constant("What demand took off a seat's price.", "LOW_DEMAND", price_words.LOW_DEMAND),
            _constant(
                "A bookable passenger name: length in code points, marks on one letter, and"
                " the characters allowed besides letters and marks.",
                "NAME_RULE",
                name_rule,
            ),
        )
    )


def write(target: Path = TARGET) -> Path:
    target.write_text(module_text(), encoding="utf-8")
    return target


if __name__ == "__main__":
    print(write())
