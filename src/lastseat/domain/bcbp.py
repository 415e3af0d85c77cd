"""The IATA Bar Coded Boarding Pass (BCBP, Resolution 792): the string a boarding pass's
2D barcode carries, format "M", one leg, the 60 characters of mandatory items only.

    M1 FAMILY/GIVEN(20) E PNR(7) FROM(3) TO(3) CARRIER(3) FLIGHT(5) JULIAN(3)
       COMPARTMENT(1) SEAT(4) SEQUENCE(5) STATUS(1) "00" (no conditional items)

Every field is fixed-width, left-justified and padded with spaces unless numeric (then
zero-padded on the left). Names are ASCII capitals: scanners read nothing else, so
accents are dropped, letters with a mark inside lose it as manage-booking's names do
("Ł" is "L", "Ø" "O"), and other scripts are transliterated ("李" is "LI").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lastseat.domain.passengers import PASS_NAME_WIDTH, latin_letters

FORMAT_CODE = "M"
LEGS = "1"
ELECTRONIC_TICKET = "E"
NAME_WIDTH = PASS_NAME_WIDTH
PNR_WIDTH = 7
MANDATORY_LENGTH = 60
# "0": ticket issued, not yet checked in (Resolution 792's passenger status table).
NOT_CHECKED_IN = "0"
# Compartment codes (the booking class families) for the cabin names lastseat uses;
# any other cabin is economy.
COMPARTMENTS = {"first": "F", "business": "J", "premium": "W", "economy": "Y"}

_FLIGHT_CODE = re.compile(r"^([A-Z0-9]{2,3}?)(\d{1,4})([A-Z]?)$")
_SEAT = re.compile(r"^(\d{1,3})([A-Z])$")


class NotEncodable(ValueError):
    """A value that has no place in a BCBP field (a bug upstream: flights are checked)."""


@dataclass(frozen=True, slots=True)
class BoardingPass:
    family_name: str
    given_name: str
    reference: str
    origin: str
    destination: str
    flight_code: str  # carrier and number, "LS101"
    departs_on: date  # the local date at the departure airport, as its boards show it
    cabin: str
    seat: str
    sequence: int  # check-in sequence number, 1 up, distinct per passenger on the flight


def ascii_name(text: str) -> str:
    """The name in ASCII capitals and spaces (passengers.latin_letters), a letter no table
    transliterates written "X" as a machine-readable zone fills what it cannot spell:
    scanners read nothing else, and a name with a letter in it is never empty."""
    return latin_letters(text, untransliterable="X")


def name_field(family_name: str, given_name: str) -> str:
    """ "FAMILY/GIVEN", cut to the field's 20 characters."""
    return f"{ascii_name(family_name)}/{ascii_name(given_name)}"[:NAME_WIDTH].ljust(NAME_WIDTH)


def carrier_and_number(flight_code: str) -> tuple[str, str]:
    """The 3-character carrier field and the 5-character flight number ("0101 ")."""
    match = _FLIGHT_CODE.match(flight_code.upper())
    if match is None:
        raise NotEncodable(f"flight code {flight_code!r} is not a carrier and a number")
    carrier, number, suffix = match.groups()
    if carrier.isdigit():  # an airline designator has a letter in it
        raise NotEncodable(f"flight code {flight_code!r} has no airline designator")
    return carrier.ljust(3), number.zfill(4) + (suffix or " ")


def seat_field(seat: str) -> str:
    """ "12A" -> "012A"."""
    match = _SEAT.match(seat.upper())
    if match is None:
        raise NotEncodable(f"seat {seat!r} is not a row and a letter")
    return match.group(1).zfill(3) + match.group(2)


def julian_date(day: date) -> str:
    """Day of the year of the flight, 001 to 366."""
    return f"{day.timetuple().tm_yday:03d}"


def encode(boarding: BoardingPass) -> str:
    """The 60-character mandatory BCBP string for one passenger on one flight."""
    carrier, number = carrier_and_number(boarding.flight_code)
    if not 0 < boarding.sequence < 10_000:
        raise NotEncodable(f"check-in sequence {boarding.sequence} is not 1 to 9999")
    # The field holds 7 characters; lastseat's references are 8, so the last is cut (the
    # full reference is printed beside the barcode).
    pnr = boarding.reference.upper()[:PNR_WIDTH].ljust(PNR_WIDTH)
    fields = [
        FORMAT_CODE,
        LEGS,
        name_field(boarding.family_name, boarding.given_name),
        ELECTRONIC_TICKET,
        pnr,
        boarding.origin.upper().ljust(3)[:3],
        boarding.destination.upper().ljust(3)[:3],
        carrier,
        number,
        julian_date(boarding.departs_on),
        COMPARTMENTS.get(boarding.cabin.lower(), "Y"),
        seat_field(boarding.seat),
        f"{boarding.sequence:04d} ",
        NOT_CHECKED_IN,
        "00",  # size of the conditional items that follow: none
    ]
    text = "".join(fields)
    assert len(text) == MANDATORY_LENGTH, text
    return text
