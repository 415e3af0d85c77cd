"""Airports by IATA code: the IANA time zone each one keeps its clocks in.

The codes and zones come from the maintained `airportsdata` package, read once per process:
static reference data, like the tz database itself, so it is not a port with adapters. The
domain never sees it; flights keep UTC instants and are shown in their airports' zones.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import airportsdata

from lastseat.domain.errors import FieldRefusal


async def read_ahead() -> None:
    """Read the airports now, in a thread: a server does it as it starts, not in the first
    answer that shows a local time (some 70 ms in which, on the event loop, every other
    request of a rush would wait)."""
    await asyncio.to_thread(_zone_names)


@cache
def _zone_names() -> dict[str, str]:
    # Only the zones are kept: the package's full records are ~8,000 dicts of a dozen fields.
    return {code: airport["tz"] for code, airport in airportsdata.load("IATA").items()}


def is_known(code: str) -> bool:
    return code in _zone_names()


def unknown_airports(**codes: str) -> list[FieldRefusal]:
    """A flight only between airports with a known zone, or its times could not be shown:
    each code not known, at its field (`origin="QQQ"` refuses `origin`)."""
    return [
        FieldRefusal(
            (name,), f"unknown airport {code}: not an IATA airport code in use", "airport-unknown"
        )
        for name, code in codes.items()
        if not is_known(code)
    ]


@cache
def airport_zone(code: str) -> ZoneInfo:
    """The airport's zone; UTC for a code the data does not know (a flight stored before
    airports were checked), so its times are still shown, and labelled as UTC."""
    name = _zone_names().get(code)
    return ZoneInfo(name) if name else ZoneInfo("UTC")


def local_time(moment: datetime, code: str) -> datetime:
    """`moment` on the clocks of the airport `code`, with that zone's offset at the time."""
    return moment.astimezone(airport_zone(code))


def zone_label(zone_name: str, local: datetime) -> str:
    """How every server-side output (mail, e-ticket, CLI) names the zone of a local time:
    the IANA name and the offset then in force, "Asia/Tokyo (UTC+09:00)". Abbreviations
    are left out: the tz database has none for many zones ("+04") and some are ambiguous
    (IST, CST)."""
    offset = local.utcoffset()
    if offset is None:
        raise ValueError("a local time has an offset")
    sign = "-" if offset.total_seconds() < 0 else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{zone_name} (UTC{sign}{minutes // 60:02d}:{minutes % 60:02d})"


def departure_date(moment: datetime, code: str) -> date:
    """The date the airport `code`'s boards show for a departure at `moment`."""
    return local_time(moment, code).date()
