"""Reading mail back: the messages a catcher kept, and the QR codes in their e-tickets."""

from __future__ import annotations

import asyncio
import io
from email.message import EmailMessage

from pypdf import PdfReader
from pyzbar.pyzbar import decode

from lastseat.stack.mail_tier import MailStore
from tests.support.stack import Stack

MAIL_WAIT_SECONDS = 20.0  # outbox rounds run every 0.2 s in tests; a bound, not a figure


def kept(store: MailStore) -> list[EmailMessage]:
    return [stored.message() for stored in store.messages()]


def pdfs(message: EmailMessage) -> dict[str, bytes]:
    """The message's PDF attachments by file name."""
    found: dict[str, bytes] = {}
    for part in message.iter_attachments():
        if part.get_content_type() == "application/pdf":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[str(part.get_filename())] = payload
    return found


def barcodes(pdf: bytes) -> list[str]:
    """What the QR codes of every image in the PDF decode to (a real barcode reader)."""
    texts: list[str] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            assert image.image is not None
            texts += [symbol.data.decode("ascii") for symbol in decode(image.image)]
    return texts


def text_part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


async def inbox_line(stack: Stack, reference: str) -> str:
    """`lastseat mail list`'s line for the mail about booking `reference`, once the mail
    tier has it (asked every quarter second, for at most MAIL_WAIT_SECONDS)."""
    listed = ""
    for _ in range(int(MAIL_WAIT_SECONDS / 0.25)):
        listed = stack.lastseat("mail", "list").stdout
        if reference in listed:
            break
        await asyncio.sleep(0.25)
    [line] = [line for line in listed.splitlines() if reference in line]
    return line
