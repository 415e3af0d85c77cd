"""`lastseat admin ...`: accounts, discount codes and sales through a waiting room, as an
operator makes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from lastseat.bootstrap import Services
from lastseat.domain.discounts import Discount, DiscountKind, normalise_code
from lastseat.domain.money import Money, format_money
from lastseat.domain.users import Role
from lastseat.domain.waiting_room import Sale
from lastseat.entrypoints.cli.groups import command_group
from lastseat.entrypoints.cli.running import console, run

admin_app = command_group("Accounts and administration.")


@admin_app.command("create-user")
def create_user(
    email: Annotated[str, typer.Argument(metavar="EMAIL", help="the account's email address")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            metavar="PASSWORD",
            help="the password (prompted for, unechoed, when not given)",
        ),
    ],
    admin: Annotated[bool, typer.Option("--admin", help="give the admin role")] = False,
) -> None:
    """Create an account (or reset its password and role)."""

    async def work(services: Services) -> str:
        user = await services.accounts.ensure_user(
            email, password, Role.ADMIN if admin else Role.CUSTOMER
        )
        return f"{user.email} ({user.role.value}) id={user.id}"

    console.print(run(work))


@admin_app.command("create-discount")
def create_discount(
    code: Annotated[str, typer.Argument(metavar="CODE", help="the code buyers type (any case)")],
    kind: Annotated[
        DiscountKind, typer.Option(help="percent (of the subtotal) or fixed (an amount off)")
    ],
    value: Annotated[
        int, typer.Option(metavar="N", help="basis points (1500 = 15%) or minor units")
    ],
    currency: Annotated[
        str | None, typer.Option(metavar="CODE", help="ISO currency of a fixed amount, e.g. EUR")
    ] = None,
    valid_from: Annotated[
        datetime | None,
        typer.Option(metavar="WHEN", help="first moment valid (UTC), e.g. 2026-06-01T00:00"),
    ] = None,
    valid_until: Annotated[
        datetime | None, typer.Option(metavar="WHEN", help="last moment valid (UTC)")
    ] = None,
    min_spend: Annotated[
        int,
        typer.Option(min=0, metavar="N", help="smallest subtotal it applies to, in minor units"),
    ] = 0,
    max_redemptions: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help="how many bookings may use it (default: any)"),
    ] = None,
    flight_id: Annotated[
        int | None, typer.Option(min=1, metavar="ID", help="only for this flight (default: any)")
    ] = None,
    origin: Annotated[
        str | None, typer.Option(metavar="CODE", help="only from this airport (IATA code)")
    ] = None,
    destination: Annotated[
        str | None, typer.Option(metavar="CODE", help="only to this airport (IATA code)")
    ] = None,
) -> None:
    """Create a discount code."""

    def utc(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment.replace(tzinfo=moment.tzinfo or UTC)

    async def work(services: Services) -> str:
        discount = await services.discounts.create(
            Discount(
                code=normalise_code(code),
                kind=kind,
                value=value,
                currency=currency,
                valid_from=utc(valid_from),
                valid_until=utc(valid_until),
                min_spend=min_spend,
                max_redemptions=max_redemptions,
                flight_id=flight_id,
                origin=origin,
                destination=destination,
            )
        )
        return f"created {discount.code}: {_taken_off(discount)}"

    console.print(run(work))


def _taken_off(discount: Discount) -> str:
    """What the code takes off, as a buyer would read it ("15% off", "EUR 20.00 off"), not
    the basis points or minor units it was typed in."""
    if discount.kind is DiscountKind.PERCENT:
        whole, part = divmod(discount.value, 100)
        return f"{f'{whole}.{part:02d}'.rstrip('0').rstrip('.')}% off"
    return f"{format_money(Money(discount.value, str(discount.currency)))} off"


@admin_app.command("open-sale")
def open_sale(
    flight_id: Annotated[int, typer.Argument(min=1, metavar="FLIGHT_ID")],
    opens_at: Annotated[
        datetime,
        typer.Option(metavar="WHEN", help="when the line is let in (UTC), e.g. 2026-12-01T09:00"),
    ],
    rate: Annotated[int, typer.Option(min=1, metavar="N", help="travellers let in a minute")],
    cap: Annotated[
        int, typer.Option(min=1, metavar="N", help="at most this many let in and not yet booked")
    ],
    minutes: Annotated[
        int, typer.Option(min=1, metavar="N", help="how long an admission lasts")
    ] = 15,
) -> None:
    """Sell a flight through a waiting room (docs/waiting-room.md): from now on its holds
    need an admission."""

    async def work(services: Services) -> str:
        opened = await services.waiting_room.open_sale(
            Sale(
                flight_id,
                opens_at.replace(tzinfo=opens_at.tzinfo or UTC),
                rate,
                cap,
                timedelta(minutes=minutes),
            )
        )
        opens = opened.sale.opens_at.isoformat()
        return f"flight {flight_id} sells through a waiting room from {opens}"

    console.print(run(work))


@admin_app.command("end-sale")
def end_sale(flight_id: Annotated[int, typer.Argument(min=1, metavar="FLIGHT_ID")]) -> None:
    """End a flight's sale through a waiting room, and its line."""

    async def work(services: Services) -> str:
        await services.waiting_room.end_sale(flight_id)
        return f"flight {flight_id}'s sale and its line have ended"

    console.print(run(work))
