"""What an app server does as it starts, before it answers anyone."""

from __future__ import annotations

import pytest

from lastseat.adapters import ticket_fonts
from lastseat.bootstrap import Services, build_services
from lastseat.entrypoints.http.app import create_app
from lastseat.entrypoints.mailer import create_mailer
from lastseat.services import airports


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_server_reads_the_airports_as_it_starts_not_in_its_first_answer(
    services: Services,
) -> None:
    """Reading them takes tens of ms on the event loop: in a sale's first booking answer,
    every other request in flight would wait for it."""
    airports._zone_names.cache_clear()
    own = build_services(services.settings)  # the lifespan closes what it was given
    app = create_app(services.settings, own)
    async with app.router.lifespan_context(app):
        assert airports._zone_names.cache_info().currsize == 1
        assert airports.is_known("LHR")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_mailer_loads_its_pdf_stack_and_cuts_its_fonts_as_it_starts(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not at its first letter: letters come in a rush, when the requests need the cores
    (docs/mail.md)."""
    monkeypatch.setattr(ticket_fonts, "_latin_cut", None)
    monkeypatch.setattr(ticket_fonts, "_cut_failed_at", None)
    app = create_mailer(services.settings)
    async with app.router.lifespan_context(app):
        cut = ticket_fonts._latin_cut
        assert cut is not None and cut.usable()
