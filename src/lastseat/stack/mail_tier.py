"""The mail tier: an SMTP catcher on loopback that keeps every message it is given, so a
developer reads what travellers would receive (`lastseat mail`) and nothing leaves the
machine. The app servers send to it unless a real relay is configured (docs/mail.md).

Messages are files, `<stack>/mail/<received>-<digest>.eml`, the digest that of the
Message-ID: a message given twice (a sender that died between the relay's 250 and
marking it sent, then sent it again) is kept once. A message without a Message-ID is
kept under the digest of its bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

SUFFIX = ".eml"
MAX_MESSAGE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Stored:
    number: int  # 1 up, oldest first
    path: Path

    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.path.read_bytes(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class MailStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def keep(self, content: bytes) -> bool:
        """Keep the message unless one with its Message-ID is kept already; whether kept."""
        parsed = message_from_bytes(content, policy=policy.default)
        key = (parsed.get("Message-ID") or "").strip().encode() or content
        digest = hashlib.sha256(key).hexdigest()[:32]
        self.folder.mkdir(parents=True, exist_ok=True)
        if any(self.folder.glob(f"*-{digest}{SUFFIX}")):
            return False
        final = self.folder / f"{time.time_ns():020d}-{digest}{SUFFIX}"
        partial = final.with_suffix(".part")
        partial.write_bytes(content)
        os.replace(partial, final)  # a reader never sees half a message
        return True

    def messages(self) -> list[Stored]:
        paths = sorted(self.folder.glob(f"*{SUFFIX}")) if self.folder.is_dir() else []
        return [Stored(n, path) for n, path in enumerate(paths, start=1)]

    def get(self, number: int) -> Stored | None:
        found = self.messages()
        return found[number - 1] if 0 < number <= len(found) else None


class Catcher:
    """aiosmtpd's handler: every message accepted, kept once."""

    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        await asyncio.to_thread(self.store.keep, content)
        return "250 Message accepted"


async def start_catcher(folder: Path, port: int, host: str = "127.0.0.1") -> asyncio.Server:
    handler = Catcher(MailStore(folder))
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, data_size_limit=MAX_MESSAGE_BYTES, hostname="lastseat-mail"),
        host,
        port,
    )


async def serve(folder: Path, port: int) -> None:
    """Until SIGTERM or SIGINT."""
    server = await start_catcher(folder, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"mail catcher on 127.0.0.1:{port}, keeping messages in {folder}", flush=True)
    await stop.wait()
    server.close()
    with contextlib.suppress(Exception):
        await server.wait_closed()
