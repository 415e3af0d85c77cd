"""`lastseat mail ...`: the messages the stack's mail tier caught (docs/mail.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from lastseat.config import get_settings
from lastseat.entrypoints.cli.groups import command_group
from lastseat.stack.mail_tier import MailStore, Stored, serve

mail_app = command_group("The mail the stack's catcher kept: list, read, save e-tickets.")

FolderOption = Annotated[
    Path | None,
    typer.Option(metavar="DIR", help="the catcher's folder (default: the stack's)"),
]
Number = Annotated[int, typer.Argument(metavar="N", help="the number `lastseat mail list` shows")]


def _store(folder: Path | None) -> MailStore:
    return MailStore(folder or get_settings().mail_folder)


def _found(folder: Path | None, number: int) -> Stored:
    stored = _store(folder).get(number)
    if stored is None:
        typer.echo(f"no message {number}: see `lastseat mail list`", err=True)
        raise typer.Exit(1)
    return stored


@mail_app.command("list")
def list_mail(folder: FolderOption = None) -> None:
    """Every message kept, oldest first: number, date, recipient, subject, attachments."""
    for stored in _store(folder).messages():
        message = stored.message()
        attached = len(list(message.iter_attachments()))
        typer.echo(
            f"{stored.number:>4}  {message['Date']}  {message['To']}  {message['Subject']}"
            f"  ({attached} attached)"
        )


@mail_app.command("show")
def show(number: Number, folder: FolderOption = None) -> None:
    """Message N: its headers, plain-text body and the names of its attachments."""
    message = _found(folder, number).message()
    for header in ("Message-ID", "Date", "From", "To", "Subject"):
        typer.echo(f"{header}: {message[header]}")
    body = message.get_body(preferencelist=("plain",))
    typer.echo("")
    typer.echo(body.get_content() if body is not None else "(no plain-text body)")
    for part in message.iter_attachments():
        typer.echo(f"attached: {part.get_filename()} ({part.get_content_type()})")


@mail_app.command("save")
def save(
    number: Number,
    to: Annotated[Path, typer.Option(metavar="DIR", help="where to write them")] = Path("."),
    folder: FolderOption = None,
) -> None:
    """Write message N's attachments (the e-tickets) to DIR, printing each path."""
    message = _found(folder, number).message()
    to.mkdir(parents=True, exist_ok=True)
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        name = Path(part.get_filename() or "attachment").name  # never a path of the sender's
        if isinstance(payload, bytes):
            (to / name).write_bytes(payload)
            typer.echo(str(to / name))


def stack_mail(
    port: Annotated[int, typer.Option(metavar="PORT", help="SMTP port, on loopback")],
    folder: FolderOption = None,
) -> None:
    """The mail tier (run by `up`): an SMTP catcher that keeps every message once."""
    asyncio.run(serve(folder or get_settings().mail_folder, port))
