"""`lastseat payments ...`: what an operator does about money settlement could not finish."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from lastseat.bootstrap import Services
from lastseat.entrypoints.cli.groups import command_group
from lastseat.entrypoints.cli.running import console, run
from lastseat.services.settlement import StuckPayment

payments_app = command_group("Payments settlement could not finish (stuck after its attempts).")


@payments_app.command("stuck")
def stuck(
    limit: Annotated[
        int, typer.Option(min=1, max=10_000, metavar="N", help="how many to list")
    ] = 100,
) -> None:
    """List bookings whose money settlement gave up on, oldest first; exit 1 if any."""

    async def work(services: Services) -> list[StuckPayment]:
        return await services.settlement.stuck(limit)

    found = run(work)
    if not found:
        console.print("no stuck payments")
        return
    table = Table(
        "booking", "reference", "booking status", "payment", "recorded", "tries", "last error"
    )
    for item in found:
        booking = item.booking
        table.add_row(
            str(booking.id),
            booking.reference,
            booking.status.value,
            booking.payment_id or "",
            booking.payment_status.value if booking.payment_status else "",
            str(item.attempts),
            item.last_error or "",
        )
    console.print(table)
    raise typer.Exit(1)


@payments_app.command("retry")
def retry(
    booking: Annotated[
        UUID, typer.Argument(metavar="BOOKING_ID", help="the booking id `stuck` lists")
    ],
) -> None:
    """Give a stuck booking its attempts back: settlement tries it again on its next round."""

    async def work(services: Services) -> None:
        await services.settlement.retry(booking)

    run(work)
    console.print(f"{booking} will be settled again on the next round")
