"""The traveller's commands (`flights`, `seats`, `watch`, `book`): lastseat.client at work.

They talk to a running lastseat over its public APIs, like any other client, and hold no
business rule of their own: every price and refusal printed comes from the server, and the
one check made before a seat is held, a passenger's name, is the domain's own rule
(domain/passengers.check_name), so a name the server would refuse holds no seat.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Awaitable
from datetime import datetime
from typing import Annotated, Any, Protocol, TypeVar

import httpx
import typer
from rich.markup import escape
from rich.table import Table

from lastseat.client import ApiError, GrpcClient, HttpClient, Unreachable, watch
from lastseat.client.grpc import as_dict, grpc_target
from lastseat.client.ws import RETRY_FOR_SECONDS
from lastseat.domain.errors import InvalidRequest
from lastseat.domain.passengers import check_name
from lastseat.domain.requests import MAX_PAGE_SIZE, PAGE_SIZE, check_page
from lastseat.entrypoints.cli import quote_text, seat_map_text
from lastseat.entrypoints.cli.running import console, notes
from lastseat.entrypoints.cli.wording import counted, listed, money_text
from lastseat.services.airports import zone_label

T = TypeVar("T")
Api = Annotated[
    str,
    typer.Option(
        "--api", envvar="LASTSEAT_API_URL", metavar="URL", help="base URL of a lastseat app server"
    ),
]
Dns = Annotated[
    str | None,
    typer.Option(
        "--dns",
        envvar="LASTSEAT_API_DNS",
        metavar="HOST:PORT",
        help="resolve the API's name at this DNS server (a stack's: 127.0.0.1 and its DNS port)",
    ),
]
Ca = Annotated[
    str | None,
    typer.Option(
        "--ca",
        metavar="FILE",
        envvar="LASTSEAT_API_CA",
        help="a CA file to trust (the stack's: var/stack/tls/ca.pem)",
    ),
]
FlightId = Annotated[
    int, typer.Argument(metavar="FLIGHT_ID", help="the flight's id (`lastseat flights` lists them)")
]
Airport = Annotated[str | None, typer.Option(metavar="CODE", help="IATA airport code, e.g. LHR")]
DEFAULT_API = "http://127.0.0.1:3001"
NAME_FIELDS = ("given_name", "family_name")


def _run(work: Awaitable[T]) -> T:
    try:
        return asyncio.run(work)  # type: ignore[arg-type]
    except ApiError as exc:
        notes.print(f"[red]refused[/red]: {_in_words(exc)}")
        raise typer.Exit(1) from None
    except Unreachable as exc:
        notes.print(f"[red]no answer[/red]: {exc}")
        raise typer.Exit(1) from None
    except httpx.TransportError as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):  # it answered, with a name we cannot check
            notes.print(f"[red]untrusted certificate[/red]: {exc}; give its CA with --ca")
        else:
            notes.print(f"[red]no answer[/red]: {exc or type(exc).__name__}")
        raise typer.Exit(1) from None


def flights(
    api: Api = DEFAULT_API,
    dns: Dns = None,
    ca: Ca = None,
    origin: Airport = None,
    destination: Airport = None,
    page: Annotated[int, typer.Option(min=1, metavar="N", help="which page of results")] = 1,
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_PAGE_SIZE, metavar="N", help="flights on a page")
    ] = PAGE_SIZE,
) -> None:
    """List upcoming flights, a page at a time; says when there are more."""

    offset = (page - 1) * limit
    try:
        check_page(limit, offset)  # the API's bounds, told here rather than as a 422
    except InvalidRequest as exc:
        notes.print(f"[red]no such page[/red]: {exc.detail}")
        raise typer.Exit(2) from None

    async def work() -> tuple[list[dict[str, Any]], bool]:
        async with HttpClient(api, dns_server=dns, ca=ca) as client:
            found = await client.flights(origin, destination, limit=limit, offset=offset)
            if len(found) < limit:
                return found, False
            after = await client.flights(origin, destination, limit=1, offset=offset + limit)
            return found, bool(after)

    found, more = _run(work())
    table = Table(
        "id", "flight", "from", "to", "departs (local)", "departs (UTC)", "arrives (local)",
        "seats free",
    )  # fmt: skip
    for f in found:
        table.add_row(
            str(f["id"]), f["code"], f["origin"], f["destination"], _departure(f), f["departs_at"],
            _arrival(f), str(f["seats_available"]),
        )  # fmt: skip
    console.print(table)
    if more:
        console.print(f"more flights: --page {page + 1}")
    elif not found and page > 1:
        console.print(f"no flights on page {page}")


def seats(flight_id: FlightId, api: Api = DEFAULT_API, dns: Dns = None, ca: Ca = None) -> None:
    """Show a flight's seat map: status and price of every seat, exit rows, and why each
    price is what it is."""

    async def work() -> tuple[dict[str, Any], dict[str, Any]]:
        async with HttpClient(api, dns_server=dns, ca=ca) as client:
            return await client.flight(flight_id), await client.seat_map(flight_id)

    flight, seat_map = _run(work())
    seats = seat_map["seats"]
    console.print(
        f"{flight['code']} {flight['origin']}-{flight['destination']}: "
        f"departs {_departure(flight)}, arrives {_arrival(flight)}"
    )
    console.print(seat_map_text.legend())
    for line in seat_map_text.row_lines(seats):
        console.print(line)
    console.print("Why each price:")
    for line in seat_map_text.price_reasons(seats):
        console.print(f"  {line}")
    console.print(seat_map_text.status_counts(seats))


def watch_flight(
    flight_id: FlightId,
    api: Api = DEFAULT_API,
    dns: Dns = None,
    ca: Ca = None,
    after: Annotated[
        int | None, typer.Option(metavar="EVENT_ID", help="replay changes after this event id")
    ] = None,
    count: Annotated[
        int | None, typer.Option(metavar="N", help="stop after this many changes")
    ] = None,
    retry_for: Annotated[
        float,
        typer.Option(
            min=0,
            metavar="SECONDS",
            help="seconds to keep trying to (re)connect, waits doubling up to 5 s",
        ),
    ] = RETRY_FOR_SECONDS,
) -> None:
    """Print a flight's seat changes as they happen (Ctrl-C to stop). A lost connection is
    made again, resuming where it stopped."""

    async def work() -> None:
        seen = 0
        stream = watch(api, flight_id, after, dns_server=dns, ca=ca, retry_for=retry_for)
        async for message in stream:
            if message["type"] == "snapshot":
                taken = sum(s["status"] != "available" for s in message["seat_map"]["seats"])
                taken_text = counted(taken, "seat")
                console.print(f"snapshot at event {message['event_id']}: {taken_text} taken")
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
    flight_id: FlightId,
    seat_names: Annotated[
        list[str], typer.Argument(metavar="SEATS", help="the seats to book, e.g. 12A 12B")
    ],
    api: Api = DEFAULT_API,
    dns: Dns = None,
    ca: Ca = None,
    email: Annotated[
        str,
        typer.Option(
            envvar="LASTSEAT_EMAIL", prompt=True, metavar="EMAIL", help="your account's email"
        ),
    ] = "",
    card: Annotated[
        str, typer.Option(metavar="TOKEN", help="payment token (sandbox: tok_ok)")
    ] = "tok_ok",
    discount: Annotated[str | None, typer.Option(metavar="CODE", help="discount code")] = None,
    passenger: Annotated[
        list[str] | None,
        typer.Option(
            "--passenger",
            metavar="'GIVEN FAMILY'",
            help=(
                "the traveller in each seat, in the seats' order, as on the passport; the"
                " family name is the last word, or write 'Given/Family name'. Asked for if"
                " left out"
            ),
        ),
    ] = None,
    grpc_address: Annotated[
        str | None,
        typer.Option(
            "--grpc",
            metavar="HOST:PORT",
            help="book over gRPC at this host:port instead (resolved with --dns; TLS with --ca)",
        ),
    ] = None,
) -> None:
    """Sign in, hold the seats, show the server's quote, pay and confirm. The password
    comes from LASTSEAT_PASSWORD, or is asked for; so are the travellers' names without a
    --passenger."""
    password = os.environ.get("LASTSEAT_PASSWORD") or typer.prompt("Password", hide_input=True)
    named = _passengers(seat_names, passenger or [])

    async def work() -> dict[str, Any]:
        async with HttpClient(api, dns_server=dns, ca=ca) as client:
            token = await client.login(email, password)
            if grpc_address is None:
                hold = await client.hold(flight_id, seat_names)
                async with _released_unless_booked(client, hold["id"], seat_names):
                    _print_quote(await client.quote(hold["id"], discount))
                    return await client.book(hold["id"], card, discount, passengers=named)
        async with GrpcClient(grpc_target(grpc_address, dns), token=token, ca=ca) as rpc:
            held = await rpc.hold(flight_id, seat_names)
            async with _released_unless_booked(rpc, held.id, seat_names):
                _print_quote(
                    quote_text.from_grpc(as_dict(await rpc.quote(held.id, discount or "")))
                )
                return as_dict(await rpc.book(held.id, card, discount or "", passengers=named))

    booking = _run(work())
    console.print(
        f"[green]booked[/green] {booking['reference']}: {listed(booking['seats'], 'seat')}, "
        f"departs {_departure(booking)}, arrives {_arrival(booking)}, "
        f"charged {money_text(booking['total'])}"
    )


def _in_words(refused: ApiError) -> str:
    """The server's own words for a refusal, its status after them: "the card was declined
    (402)", never the problem's slug ("payment-declined") in their place."""
    words = refused.detail or refused.problem.replace("-", " ")
    return f"{escape(words)} ({refused.status})"


class Releasing(Protocol):
    async def release(self, hold_id: str) -> None: ...


@contextlib.asynccontextmanager
async def _released_unless_booked(
    client: Releasing, hold_id: str, seat_names: list[str]
) -> AsyncIterator[None]:
    """A refused payment (or quote) gives the seats back at once: this command ends here,
    and a hold left behind would keep them from everyone, this traveller's next try
    included, until it expires."""
    try:
        yield
    except ApiError:
        with contextlib.suppress(ApiError, Unreachable, httpx.TransportError):
            await client.release(hold_id)
            notes.print(f"released the hold on {', '.join(seat_names)}")
        raise


def _departure(body: dict[str, Any]) -> str:
    return _airport_time(body.get("departs_at"), body.get("departs_local"), body["departure_zone"])


def _arrival(body: dict[str, Any]) -> str:
    return _airport_time(
        body.get("arrives_at"), body.get("arrives_local"), body.get("arrival_zone")
    )


def _airport_time(at: str | None, local: str | None, zone: str | None) -> str:
    """A moment as the server put it on the airport's clocks, the zone named: "2030-01-10
    10:00 Europe/Madrid (UTC+01:00)". A server from before local times gives only UTC,
    said so; a flight whose arrival was never recorded says that it is unknown."""
    if local and zone:
        moment = datetime.fromisoformat(local)
        return f"{moment:%Y-%m-%d %H:%M} {zone_label(zone, moment)}"
    return f"{at} UTC" if at else "unknown"


def _passengers(seat_names: list[str], given: list[str]) -> list[dict[str, str]]:
    """One traveller per seat, from --passenger in order, the rest asked for. Never made up
    (say, from the account's email): a ticket must carry the passport's name. Each name is
    checked by the domain's rule, the one the server applies, before any seat is held:
    every --passenger name it refuses is named at once, and an answer to a prompt it
    refuses is asked for again."""
    if len(given) > len(seat_names):
        raise typer.BadParameter(
            f"{counted(len(given), 'passenger')} for {counted(len(seat_names), 'seat')}",
            param_hint="--passenger",
        )
    named = []
    for seat, text in zip(seat_names, given, strict=False):
        given_name, _, family_name = (
            text.partition("/") if "/" in text else text.strip().rpartition(" ")
        )
        if not given_name.strip() or not family_name.strip():
            raise typer.BadParameter(
                f"{text!r}: give both names, 'Given Family' or 'Given/Family name'",
                param_hint="--passenger",
            )
        named.append({"seat": seat, "given_name": given_name, "family_name": family_name})
    refused = [
        broken.detail
        for person in named
        for field in NAME_FIELDS
        if (broken := _name_refusal(person[field], _name_words(person["seat"], field)))
    ]
    if refused:
        raise typer.BadParameter("; ".join(refused), param_hint="--passenger")
    unnamed = seat_names[len(given) :]
    if unnamed and not sys.stdin.isatty():  # nobody to ask: say so instead of "Aborted!"
        raise typer.BadParameter(
            f"no passenger for {', '.join(unnamed)}: give one --passenger per seat",
            param_hint="--passenger",
        )
    for seat in unnamed:
        named.append(
            {
                "seat": seat,
                "given_name": _asked_name(f"Seat {seat}, given name(s)", seat, "given_name"),
                "family_name": _asked_name(f"Seat {seat}, family name", seat, "family_name"),
            }
        )
    return named


def _name_words(seat: str, field: str) -> str:
    """The field as the server names it in a refusal: "seat 12A: the family name"."""
    return f"seat {seat}: the {field.replace('_', ' ')}"


def _name_refusal(typed: str, words: str) -> InvalidRequest | None:
    try:
        check_name(typed, words)
    except InvalidRequest as refused:
        return refused
    return None


def _asked_name(prompt: str, seat: str, field: str) -> str:
    while True:
        typed = str(typer.prompt(prompt))
        refused = _name_refusal(typed, _name_words(seat, field))
        if refused is None:
            return typed
        notes.print(f"[red]{escape(refused.detail)}[/red]")


def _print_quote(quote: dict[str, Any]) -> None:
    """The server's quote as the bill the ticket mail will show, before paying."""
    if quote.get("discount_refused"):
        console.print(f"  [yellow]discount not applied[/yellow]: {quote['discount_refused']}")
    for line in quote_text.bill_lines(quote):
        console.print(f"  {line}")
