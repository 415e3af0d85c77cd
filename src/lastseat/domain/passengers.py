"""Passengers: the named traveller in each seat of a booking.

Names are taken as printed on the passport, in any script: letters (with their combining
marks, at most MAX_MARKS_PER_LETTER on one letter), spaces, hyphens and apostrophes,
nothing else checked. They are stored in NFC, so "é" typed as one character or as e +
accent is the same name, and spaces are tidied (any Unicode space is a plain one, a run
of spaces is one, none at the ends); length is in code points. One rule, used by HTTP,
gRPC and the CLI alike.
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from anyascii import anyascii

from lastseat.domain.errors import FieldRefusal, InvalidFields, InvalidRequest, seat_sort_key
from lastseat.domain.flights import normalise_seat
from lastseat.domain.greek_digraphs import DIAERESIS, spelled_pairs

MIN_NAME_LENGTH = 1
MAX_NAME_LENGTH = 64
# What a client may send before tidying (spaces and decomposed accents take room).
MAX_RAW_NAME_LENGTH = 4 * MAX_NAME_LENGTH
# Combining marks after one letter, counted after NFC (which folds the usual accents into
# the letter): real names need up to 3 (Vietnamese ệ written as e + two marks where no
# precomposed form is used, a Devanagari consonant with nukta, vowel sign and anusvara,
# Thai consonant + vowel + tone mark); more is "Zalgo" text that no passport prints and
# that draws over the neighbouring lines of a manifest or ticket.
MAX_MARKS_PER_LETTER = 3
# Hyphen, apostrophe and the typographic apostrophe (what phones type for O'Brien).
NAME_PUNCTUATION = frozenset("-'\u2019 ")
# The zero-width non-joiner and joiner: Persian writes "محمد‌حسین" with the first, Sinhala
# "ශ්‍රී" with the second; never first (one joins two letters).
NAME_JOINERS = frozenset("\u200c\u200d")
# What a name may not start with: a mark belongs on a letter, a joiner between two.
NOT_FIRST = ("M", "Cf")
# Ages on the day of departure (IATA's usual bands): an infant has not turned 2, a child
# has not turned 12.
INFANT_UNDER = 2
CHILD_UNDER = 12


class PassengerType(StrEnum):
    ADULT = "adult"
    CHILD = "child"
    INFANT = "infant"


@dataclass(frozen=True, slots=True)
class Passenger:
    seat: str
    given_name: str
    family_name: str
    date_of_birth: date | None = None
    type: PassengerType = PassengerType.ADULT


def _plain_spaces(text: str) -> str:
    """Every Unicode space (category Zs: the no-break space, the ideographic space U+3000
    that Japanese keyboards type in "山田　太郎", ...) as the plain one."""
    return "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in text)


def _most_marks_on_one_letter(name: str) -> int:
    most = run = 0
    for ch in name:
        run = run + 1 if unicodedata.category(ch)[0] == "M" else 0
        most = max(most, run)
    return most


def check_name(text: str, field: str) -> str:
    """The name in NFC with its spaces tidied, or InvalidRequest naming the rule. Its length
    is counted in code points (Python's len), so a name in supplementary-plane CJK is not
    held to half the length a UTF-16 count would allow."""
    if len(text) > MAX_RAW_NAME_LENGTH:  # bounded before any work on it
        text = ""
    spaced = _plain_spaces(unicodedata.normalize("NFC", text))
    name = " ".join(part for part in spaced.split(" ") if part)
    allowed = all(
        unicodedata.category(ch)[0] in "LM" or ch in NAME_PUNCTUATION or ch in NAME_JOINERS
        for ch in name
    ) and any(unicodedata.category(ch)[0] == "L" for ch in name)
    if not MIN_NAME_LENGTH <= len(name) <= MAX_NAME_LENGTH or not allowed:
        raise InvalidRequest(
            f"{field} must be {MIN_NAME_LENGTH} to {MAX_NAME_LENGTH} characters: letters,"
            " spaces, hyphens and apostrophes, as on the passport"
        )
    if unicodedata.category(name[0]).startswith(NOT_FIRST):
        raise InvalidRequest(f"{field} must start with a letter, not an accent or a joiner")
    if _most_marks_on_one_letter(name) > MAX_MARKS_PER_LETTER:
        raise InvalidRequest(
            f"{field} has more than {MAX_MARKS_PER_LETTER} accents or marks on one letter"
        )
    return name


def passenger_from_text(
    seat: str, given_name: str, family_name: str, date_of_birth: str, type_: str
) -> Passenger:
    """A passenger from plain strings (gRPC fields, CLI options): an empty date of birth or
    type is none given."""
    born = None
    if date_of_birth:
        try:
            born = date.fromisoformat(date_of_birth)
        except ValueError:
            raise InvalidRequest(f"seat {seat}: date_of_birth is YYYY-MM-DD") from None
    try:
        kind = PassengerType(type_ or PassengerType.ADULT)
    except ValueError:
        raise InvalidRequest(f"seat {seat}: type is adult, child or infant") from None
    return Passenger(seat, given_name, family_name, born, kind)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_refusal(passenger: Passenger, departs_on: date) -> tuple[str, str] | None:
    """The field and the rule a passenger's age breaks, if any: a date of birth must be in
    the past and fit the type, and children and infants need one (their fares and seating
    depend on it); an adult's is optional."""
    born = passenger.date_of_birth
    seat = passenger.seat
    if born is None:
        if passenger.type is not PassengerType.ADULT:
            return "date_of_birth", f"seat {seat}: {_a(passenger.type)} needs a date of birth"
        return None
    if born > departs_on:
        return "date_of_birth", f"seat {seat}: the date of birth is after the flight"
    age = age_on(born, departs_on)
    expected = (
        PassengerType.INFANT
        if age < INFANT_UNDER
        else PassengerType.CHILD
        if age < CHILD_UNDER
        else PassengerType.ADULT
    )
    if expected is not passenger.type:
        aged = f"a passenger aged {age} on the day of the flight"
        return "type", f"seat {seat}: {aged} is {_a(expected)}"
    return None


def _a(kind: PassengerType) -> str:
    return f"a {kind}" if kind is PassengerType.CHILD else f"an {kind}"


def passengers_for_seats(
    seats: Sequence[str], passengers: Iterable[Passenger], departs_on: date
) -> tuple[Passenger, ...]:
    """Exactly one passenger per seat of the hold, in the hold's seat order, names tidied;
    InvalidRequest naming the seats without one, the unknown and the repeated."""
    given = [replace(p, seat=normalise_seat(p.seat)) for p in passengers]
    named = [p.seat for p in given]
    repeated = sorted({s for s in named if named.count(s) > 1}, key=seat_sort_key)
    unknown = sorted(set(named) - set(seats), key=seat_sort_key)
    missing = sorted(set(seats) - set(named), key=seat_sort_key)
    problems = [
        f"{label}: {', '.join(found)}"
        for label, found in (
            ("seats without a passenger", missing),
            ("passengers for seats not in the hold", unknown),
            ("seats with more than one passenger", repeated),
        )
        if found
    ]
    if problems:
        raise InvalidRequest("one passenger per held seat; " + "; ".join(problems))
    # Every refused field is named at once, by its place in the request, so a form marks
    # each of them instead of one per try.
    refusals: list[FieldRefusal] = []
    checked: dict[str, Passenger] = {}
    for index, p in enumerate(given):
        names = []
        for field, words, typed in (
            ("given_name", "the given name", p.given_name),
            ("family_name", "the family name", p.family_name),
        ):
            try:
                names.append(check_name(typed, f"seat {p.seat}: {words}"))
            except InvalidRequest as refused:
                refusals.append(FieldRefusal(("passengers", index, field), refused.detail))
        if len(names) < 2:
            continue
        passenger = Passenger(p.seat, names[0], names[1], p.date_of_birth, p.type)
        if (age := age_refusal(passenger, departs_on)) is not None:
            field, rule = age
            refusals.append(FieldRefusal(("passengers", index, field), rule))
        checked[p.seat] = passenger
    if refusals:
        raise InvalidFields(refusals)
    return tuple(checked[seat] for seat in seats)


# Letters that carry their mark inside (no decomposition), as travellers type them without
# it; and the typographic apostrophe as the plain one. Lower case: casefold first. Also the
# boarding pass's ASCII names (domain/bcbp.py) start from it.
UNMARKED = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ħ": "h",
        "\u0131": "i",  # dotless i
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "\u2019": "'",
    }
)


# Passports' machine-readable zones (ICAO 9303) write these letters out, as German and
# Nordic passports do: "Müller" is MUELLER there, "Ångström" AANGSTROEM.
SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "å": "aa", "ø": "oe"})
# The blocks of accents that sit on Latin, Greek and Cyrillic letters: dropped. Other
# combining marks (kana voicing, Indic vowel signs) are part of their letter and stay.
ACCENT_BLOCKS = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF))
# The boarding pass's name field ("FAMILY/GIVEN"), as bcbp.py writes it.
PASS_NAME_WIDTH = 20


def _accent(ch: str) -> bool:
    return any(low <= ord(ch) <= high for low, high in ACCENT_BLOCKS)


def latin_letters(
    name: str, untransliterable: str | None = None, *, spelled_out: bool = False
) -> str:
    """A name as ASCII capitals and single spaces, the way a passport's machine-readable
    zone and a boarding pass write it: accents dropped (or, `spelled_out`, ä ö ü å ø
    written out as ICAO 9303 allows), letters with a mark inside bare (UNMARKED), other
    scripts transliterated (anyascii: "李" is "LI", "ガンダム" "GANDAMU"), punctuation
    left out. A word no table transliterates (rare ideographs beyond the BMP) is written
    `untransliterable`, or stays itself when that is None: never silently lost."""
    text = unicodedata.normalize("NFC", name).casefold()
    if spelled_out:
        text = text.translate(SPELLED_OUT)
    words = []
    for word in unicodedata.normalize("NFKD", text.translate(UNMARKED)).split():
        bare = "".join(ch for ch in word if not _accent(ch) or ch == DIAERESIS)
        bare = spelled_pairs(bare).replace(DIAERESIS, "")
        # Marks that are part of their letter join it again ("カ" + voicing is "ガ", GA).
        bare = unicodedata.normalize("NFC", bare)
        latin = "".join(ch for ch in anyascii(bare).upper() if "A" <= ch <= "Z")
        if not latin and any(unicodedata.category(ch)[0] == "L" for ch in bare):
            latin = bare if untransliterable is None else untransliterable
        if latin:
            words.append(latin)
    return " ".join(words)


def name_key(name: str) -> str:
    """A name as typed to manage-booking, in the form it is compared: its Latin letters
    only, so case, accents, spacing and punctuation are ignored ("Müller", "MULLER",
    "muller " and "Mül-ler" are one key), and the boarding pass's spelling works too
    ("OBRIENLUKASIEWICZ" for "O'Brien-Łukasiewicz", "LI" for "李")."""
    return latin_letters(name).replace(" ", "")


def name_keys(family_name: str) -> tuple[str, str, str]:
    """Every spelling of a booked family name that finds its booking: its key, the
    passport's with letters spelled out ("MUELLER"), and the boarding pass's, cut to the
    pass's name field when it is longer ("CHATZIGEORGIOUKALLIM"), else empty."""
    on_the_pass = latin_letters(family_name, "X")[:PASS_NAME_WIDTH]
    return (
        name_key(family_name),
        latin_letters(family_name, spelled_out=True).replace(" ", ""),
        on_the_pass.replace(" ", "") if len(on_the_pass) == PASS_NAME_WIDTH else "",
    )


def names_match(typed: str, passengers: Iterable[Passenger]) -> bool:
    """Whether `typed` is one passenger's family name in one of its spellings, compared
    in constant time per passenger and without stopping at the first match (the time
    says nothing either)."""
    # bounded before any work on it: a name that long matches no one
    key = name_key(typed).encode() if len(typed) <= MAX_RAW_NAME_LENGTH else b"\xff"
    found = False
    for p in passengers:
        for spelling in name_keys(p.family_name):
            # an empty spelling (no cut on the pass) is compared too, and matches nothing
            found |= hmac.compare_digest(key, spelling.encode() or b"\xfe") and bool(key)
    return found
