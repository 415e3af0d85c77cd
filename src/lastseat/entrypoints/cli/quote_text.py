"""`lastseat book`'s quote as a bill: the same lines, in the same words, as the ticket mail
(domain/price_words) and the web client's checkout, before anything is paid."""

from __future__ import annotations

from typing import Any

from lastseat.domain.price_words import amount_text, breakdown
from lastseat.domain.pricing import Quote


def from_grpc(quote: dict[str, Any]) -> dict[str, Any]:
    """A gRPC quote (as_dict) in the HTTP API's shape: v1's Surcharge nests its amount as a
    Money where the JSON is flat (entrypoints/grpc/messages.py says why)."""
    lines = [
        {**line, "surcharges": [{"kind": s["kind"], **s["amount"]} for s in line["surcharges"]]}
        for line in quote["lines"]
    ]
    return {**quote, "lines": lines}


def bill_lines(quote: dict[str, Any]) -> list[str]:
    """Each line of the bill, its label left and its amount right-aligned."""
    lines = [
        (line.label, amount_text(line)) for line in breakdown(Quote.from_dict(quote), paid=False)
    ]
    label_width = max(len(label) for label, _ in lines)
    amount_width = max(len(amount) for _, amount in lines)
    return [f"{label:<{label_width}}  {amount:>{amount_width}}" for label, amount in lines]
