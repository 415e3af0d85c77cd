"""Airports by IATA code: the IANA time zone each one keeps its clocks in.

The codes and zones come from the maintained `airportsdata` package, read once per process:
static reference data, like the tz database itself, so it is not a port with adapters. The
domain never sees it; flights keep UTC instants and are shown in their airports' zones.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

import airportsdata

from lastseat.domain.errors import InvalidRequest


@cache
def _zone_names() -> dict[str, str]:
    # Only the zones are kept: the package's full records are ~8,000 dicts of a dozen fields.
    return {code: airport["tz"] for code, airport in airportsdata.load("IATA").items()}


def is_known(code: str) -> bool:
    return code in _zone_names()


def check_known(*codes: str) -> None:
    """A flight only between airports with a known zone, or its times could not be shown."""
    for code in codes:
        if not is_known(code):
            raise InvalidRequest(f"unknown airport {code}: not an IATA airport code in use")


@cache
def airport_zone(code: str) -> ZoneInfo:
    """The airport's zone; UTC for a code the data does not know (a flight stored before
    airports were checked), so its times are still shown, and labelled as UTC."""
    name = _zone_names().get(code)
    return ZoneInfo(name) if name else ZoneInfo("UTC")


def local_time(moment: datetime, code: str) -> datetime:
    """`moment` on the clocks of the airport `code`, with that zone's offset at the time."""
    return moment.astimezone(airport_zone(code))
