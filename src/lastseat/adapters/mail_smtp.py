"""Sending over SMTP with aiosmtplib: to the stack's catcher, or to a real relay."""

from __future__ import annotations

import asyncio
import importlib
from email.message import EmailMessage

from lastseat.config import Settings
from lastseat.domain.mail import Letter, MailUnavailable


def _drawn(letter: Letter, sender: str) -> EmailMessage:
    # Here, not at the top: the e-tickets' PDF stack (fpdf2, fontTools, NumPy, Pillow,
    # some 50 MB) loads with the first letter sent, in the process that sends mail
    # (docs/mail.md), not in every server that starts.
    from lastseat.adapters.mail_render import render

    return render(letter, sender)


def load_pdf_stack() -> None:
    """Load the e-tickets' PDF stack and cut their Latin fonts now (some 0.4 and 0.5 s of
    CPU): the mailer does so as it starts, so neither falls on its first letters, which
    come in a rush, when the requests need the cores."""
    from lastseat.adapters import ticket_fonts

    importlib.import_module("lastseat.adapters.mail_render")  # segno, fpdf2 and the rest
    ticket_fonts.latin_cut()


class SmtpPostman:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def send(self, letter: Letter) -> None:
        import aiosmtplib  # with the first letter too, for the same reason

        # Drawn in a thread: loading the PDF stack takes the better part of a second and a
        # ticket some 40 ms of CPU, which in the event loop would stall every request a
        # server (`lastseat dev`, LASTSEAT_MAIL_SEND_IN_SERVERS) has in flight meanwhile.
        settings = self._settings
        message = await asyncio.to_thread(_drawn, letter, settings.mail_from)
        password = settings.mail_relay_password
        host, port = settings.mail_relay
        try:
            await aiosmtplib.send(
                message,
                hostname=host,
                port=port,
                start_tls=settings.mail_relay_starttls,
                username=settings.mail_relay_username,
                password=None if password is None else password.get_secret_value(),
                timeout=settings.mail_timeout_seconds,
            )
        except aiosmtplib.SMTPResponseException as refused:
            # Permanent refusals (5xx) are retried too, bounded by the attempts: most are a
            # relay's misconfiguration an operator fixes, and the log says which code.
            raise MailUnavailable(f"smtp-{refused.code}", refused.message) from refused
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as away:
            raise MailUnavailable("mail-unavailable", type(away).__name__) from away
