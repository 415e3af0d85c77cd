"""The traveller's commands (`flights`, `seats`, `watch`, `book`): lastseat.client at work.

They talk to a running lastseat over its public APIs, like any other client, and hold no
business rule: every price and refusal printed comes from the server.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from lastseat.client import ApiError, GrpcClient, HttpClient, watch
from lastseat.client.grpc import as_dict

T = TypeVar("T")
console = Console()
Api = Annotated[
    str,
    typer.Option("--api", envvar="LASTSEAT_API_URL", help="base URL of a lastseat app server"),
]
Dns = Annotated[
    str | None,
    typer.Option(
        "--dns", envvar="LASTSEAT_API_DNS", help="resolve the API's name at this DNS server"
    ),
]
Ca = Annotated[
    str | None, typer.Option("--ca", envvar="LASTSEAT_API_CA", help="a CA file to trust")
]
DEFAULT_API = "http://127.0.0.1:3001"
STATUS_STYLE = {"available": "green", "held": "yellow", "booked": "red"}


def _money(value: dict[str, Any]) -> str:
    return f"{value['amount'] / 100:,.2f} {value['currency']}"


def _run(work: Awaitable[T]) -> T:
    try:
        return asyncio.run(work)  # type: ignore[arg-type]
    except ApiError as exc:
        console.print(f"[red]refused[/red] ({exc.status} {exc.problem}): {exc.detail}")
        raise typer.Exit(1) from None


def flights(
    api: Api = DEFAULT_API,
    dns: Dns = None,
    ca: Ca = None,
    origin: Annotated[str | None, typer.Option(help="IATA code")] = None,
    destination: Annotated[str | None, typer.Option(help="IATA code")] = None,
) -> None:
    """List upcoming flights."""

    async def work() -> list[dict[str, Any]]:
        async with HttpClient(api, dns_server=dns, ca=ca) as client:
            return await client.flights(origin, destination)

    table = Table("id", "flight", "from", "to", "departs (UTC)", "seats free")
    for f in _run(work()):
        table.add_row(
            str(f["id"]), f["code"], f["origin"], f["destination"], f["departs_at"],
            str(f["seats_available"]),
        )  # fmt: skip
    console.print(table)


def seats(flight_id: int, api: Api = DEFAULT_API, dns: Dns = None, ca: Ca = None) -> None:
    """Show a flight's seat map: status and price of every seat."""

    async def work() -> dict[str, Any]:
        async with HttpClient(api, dns_server=dns, ca=ca) as client:
            return await client.seat_map(flight_id)

    seat_map = _run(work())
    rows: dict[str, list[str]] = {}
    for seat in seat_map["seats"]:
        style = STATUS_STYLE.get(seat["status"], "white")
        cell = f"[{style}]{seat['seat']:>4}[/{style}] {_money(seat['price'])}"
        rows.setdefault(seat["seat"][:-1], []).append(cell)
    for row, cells in rows.items():
        console.print(f"{row:>3}  " + "  ".join(cells))
    counts: dict[str, int] = {}
    for seat in seat_map["seats"]:
        counts[seat["status"]] = counts.get(seat["status"], 0) + 1
    console.print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))


def watch_flight(
    flight_id: int,
    api: Api = DEFAULT_API,
    after: Annotated[int | None, typer.Option(help="replay changes after this event id")] = None,
    count: Annotated[int | None, typer.Option(help="stop after this many changes")] = None,
) -> None:
    """Print a flight's seat changes as they happen (Ctrl-C to stop)."""

    async def work() -> None:
        seen = 0
        async for message in watch(api, flight_id, after):
            if message["type"] == "snapshot":
                taken = sum(s["status"] != "available" for s in message["seat_map"]["seats"])
                console.print(f"snapshot at event {message['event_id']}: {taken} seats taken")
                continue
            console.print(f"{message['event_id']:>8}  {message['seat']:>4}  {message['status']}")
            seen += 1
            if count is not None and seen >= count:
                return

    try:
        _run(work())
    except KeyboardInterrupt:
        pass


def book(
    flight_id: int,
    seat_names: Annotated[list[str], typer.Argument(metavar="SEATS", help="e.g. 12A 12B")],
    api: Api = DEFAULT_API,
    dns: Dns = None,
    ca: Ca = None,
    email: Annotated[str, typer.Option(envvar="LASTSEAT_EMAIL", prompt=True)] = "",
    card: Annotated[str, typer.Option(help="payment token (sandbox: tok_ok)")] = "tok_ok",
    discount: Annotated[str | None, typer.Option(help="discount code")] = None,
    grpc_target: Annotated[
        str | None, typer.Option("--grpc", help="book over gRPC at this target instead")
    ] = None,
) -> None:
    """Sign in, hold the seats, show the server's quote, pay and confirm."""
    password = os.environ.get("LASTSEAT_PASSWORD") or typer.prompt("Password", hide_input=True)

    async def work() -> dict[str, Any]:
        async with HttpClient(api, dns_server=dns, ca=ca) as client:
            token = await client.login(email, password)
            if grpc_target is None:
                hold = await client.hold(flight_id, seat_names)
                quote = await client.quote(hold["id"], discount)
                _print_quote(quote)
                return await client.book(hold["id"], card, discount)
        async with GrpcClient(grpc_target, token=token) as rpc:
            held = await rpc.hold(flight_id, seat_names)
            _print_quote(as_dict(await rpc.quote(held.id, discount or "")))
            return as_dict(await rpc.book(held.id, card, discount or ""))

    booking = _run(work())
    console.print(
        f"[green]booked[/green] {booking['reference']}: seats {', '.join(booking['seats'])}, "
        f"charged {_money(booking['total'])}"
    )


def _print_quote(quote: dict[str, Any]) -> None:
    for line in quote.get("lines", []):
        console.print(f"  {line['seat']:>4}  {_money(line['price'])}")
    if quote.get("discount_refused"):
        console.print(f"  [yellow]discount not applied[/yellow]: {quote['discount_refused']}")
    for name in ("subtotal", "discount", "taxes", "total"):
        if name in quote:
            console.print(f"  {name:>8}  {_money(quote[name])}")
