"""What the traveller's and operator's commands print reads as words: "seat 1A" for one
seat, money as mail writes it ("EUR 150.00", never minor units), the quote as the bill of
the ticket mail with its extras named ("Exit row seat", never `exit_row`)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from typer.testing import CliRunner

from lastseat.client import ApiError
from lastseat.client.grpc import as_dict
from lastseat.domain.discounts import Discount, DiscountKind
from lastseat.domain.money import Money
from lastseat.domain.pricing import Quote, QuoteLine
from lastseat.entrypoints.cli import admin, quote_text, traveller
from lastseat.entrypoints.cli.main import app
from lastseat.entrypoints.cli.wording import counted, listed, money_text
from lastseat.entrypoints.grpc.messages import quote_message


def _eur(amount: int) -> Money:
    return Money(amount, "EUR")


# One seat with an exit-row extra and demand on top, a discount, taxes.
QUOTE = Quote(
    lines=(QuoteLine("12A", "economy", _eur(15_000), 1_100, (("exit_row", _eur(2_500)),),
                     _eur(19_000)),),
    subtotal=_eur(19_000), discount=_eur(1_000), taxes=_eur(1_200), total=_eur(19_200),
    discount_code="SUMMER",
)  # fmt: skip
BILL = [
    ("Seat 12A, economy fare", "EUR 150.00"),
    ("Exit row seat", "+EUR 25.00"),
    ("High demand", "+EUR 15.00"),
    ("Discount (SUMMER)", "\u2212EUR 10.00"),
    ("Taxes and fees", "+EUR 12.00"),
    ("Total", "EUR 192.00"),
]


def test_counts_and_lists_take_the_noun_their_number_wants() -> None:
    assert [counted(n, "seat") for n in (0, 1, 2)] == ["0 seats", "1 seat", "2 seats"]
    assert counted(1, "sample flight") == "1 sample flight"
    assert listed(["1A"], "seat") == "seat 1A"
    assert listed(["1A", "1B"], "seat") == "seats 1A, 1B"
    assert listed([4242], "pid") == "pid 4242"


def test_money_is_the_servers_one_format_never_minor_units() -> None:
    assert money_text({"amount": 15_000, "currency": "EUR"}) == "EUR 150.00"
    assert money_text({"amount": 15_000, "currency": "JPY"}) == "JPY 15,000"


def test_the_quote_reads_as_the_mails_bill_before_it_is_paid() -> None:
    lines = quote_text.bill_lines(QUOTE.as_dict())
    assert [tuple(re.split(r"\s{2,}", line)) for line in lines] == BILL
    assert len({len(line) for line in lines}) == 1  # amounts right-aligned in one column
    assert "exit_row" not in "".join(lines) and "Total paid" not in "".join(lines)


def test_a_quote_over_grpc_reads_the_same_as_over_http() -> None:
    over_grpc = quote_text.from_grpc(as_dict(quote_message(QUOTE.as_dict())))
    assert quote_text.bill_lines(over_grpc) == quote_text.bill_lines(QUOTE.as_dict())


@pytest.mark.parametrize(
    ("discount", "said"),
    [
        (Discount("SUMMER", DiscountKind.PERCENT, 1_500), "15% off"),
        (Discount("HALFPC", DiscountKind.PERCENT, 50), "0.5% off"),
        (Discount("ODD", DiscountKind.PERCENT, 1_234), "12.34% off"),
        (Discount("TENNER", DiscountKind.FIXED, 1_000, currency="EUR"), "EUR 10.00 off"),
    ],
)
def test_a_new_discount_is_said_as_a_buyer_reads_it(discount: Discount, said: str) -> None:
    assert admin._taken_off(discount) == said


class OneSeatApi:
    """Just enough of HttpClient for `lastseat book` to book seat 1A."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    async def __aenter__(self) -> OneSeatApi:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass

    async def login(self, email: str, password: str) -> str:
        return "token"

    async def hold(self, flight_id: int, seats: list[str]) -> dict[str, Any]:
        return {"id": "hold-1", "seats": seats}

    async def quote(self, hold_id: str, discount: str | None) -> dict[str, Any]:
        return QUOTE.as_dict()

    async def book(self, hold_id: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {
            "reference": "ABCD2345", "seats": ["1A"], "total": QUOTE.total.as_dict(),
            "departs_at": "2030-01-10T09:00:00Z", "departs_local": "2030-01-10T10:00:00+01:00",
            "departure_zone": "Europe/Madrid", "arrives_at": None, "arrival_zone": None,
        }  # fmt: skip


def test_booking_one_seat_says_seat_not_seats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traveller, "HttpClient", OneSeatApi)
    done = CliRunner().invoke(
        app,
        ["book", "7", "1A", "--passenger", "Ann Lee"],
        env={"LASTSEAT_EMAIL": "ann@example.com", "LASTSEAT_PASSWORD": "ann-password-1",
             "COLUMNS": "200"},
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "booked ABCD2345: seat 1A, departs 2030-01-10 10:00 Europe/Madrid" in done.output
    assert "charged EUR 192.00" in done.output and "seats" not in done.output
    assert "Exit row seat" in done.output and "exit_row" not in done.output


class DecliningApi(OneSeatApi):
    """Holds and quotes, then refuses to book as the server words it; records releases."""

    held: list[str] = []
    released: list[str] = []

    async def hold(self, flight_id: int, seats: list[str]) -> dict[str, Any]:
        self.held.append("hold-1")
        return await super().hold(flight_id, seats)

    async def book(self, hold_id: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ApiError(402, "payment-declined", "the card was declined [tok_declined]")

    async def release(self, hold_id: str) -> None:
        self.released.append(hold_id)


def _book(*args: str) -> Any:
    return CliRunner().invoke(
        app,
        ["book", "7", "1A", *args],
        env={"LASTSEAT_EMAIL": "ann@example.com", "LASTSEAT_PASSWORD": "ann-password-1",
             "COLUMNS": "200"},
    )  # fmt: skip


def test_a_refusal_is_the_servers_words_with_its_status_not_its_slug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(traveller, "HttpClient", DecliningApi)
    done = _book("--passenger", "Ann Lee")
    assert done.exit_code == 1
    assert "refused: the card was declined [tok_declined] (402)" in done.output
    assert "payment-declined" not in done.output and DecliningApi.released == ["hold-1"]
    grpc_refusal = ApiError("INVALID_ARGUMENT", "discount-not-applicable", "")
    assert traveller._in_words(grpc_refusal) == "discount not applicable (INVALID_ARGUMENT)"


def test_a_name_the_domain_refuses_is_refused_before_a_seat_is_held(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(traveller, "HttpClient", DecliningApi)
    DecliningApi.held.clear()
    done = _book("--passenger", "Ann L33")
    assert done.exit_code == 2 and "seat 1A: the family name must be" in done.output
    assert DecliningApi.held == [] and "Seat 1A, economy fare" not in done.output
