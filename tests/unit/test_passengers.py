"""Passenger names as on the passport, one passenger per held seat, ages that fit the type,
and manage-booking's name comparison."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from lastseat.domain.bookings import MAX_REFERENCE_LENGTH, typed_reference
from lastseat.domain.errors import InvalidRequest
from lastseat.domain.passengers import (
    MAX_MARKS_PER_LETTER,
    MAX_NAME_LENGTH,
    Passenger,
    PassengerType,
    check_name,
    name_key,
    names_match,
    passenger_from_text,
    passengers_for_seats,
)

FLIGHT_DAY = date(2030, 6, 1)


@pytest.mark.parametrize(
    "name",
    [
        "Lee",
        "O'Brien",
        "O\u2019Brien",
        "Anne-Marie",
        "de la Cruz",
        "Nguyễn",
        "李",
        "Ørsted",
        "Мария",
        "محمد",
        "X" * MAX_NAME_LENGTH,
    ],
)
def test_names_in_any_script_with_spaces_hyphens_and_apostrophes_are_accepted(name: str) -> None:
    assert check_name(name, "family name") == unicodedata.normalize("NFC", name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        "-",
        "'",
        "Ann2",
        "Ann.",
        "Ann\tLee",
        "Ann\nLee",
        "Ann\x00",
        "<b>",
        "Ann@x",
        "X" * (MAX_NAME_LENGTH + 1),
        "😀",
    ],
)
def test_other_characters_empty_and_long_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidRequest, match="family name must be 1 to 64"):
        check_name(name, "family name")


def test_names_are_stored_in_nfc_with_their_spaces_tidied() -> None:
    decomposed = "Jose\u0301  Mari\u0301a "
    assert check_name(decomposed, "given name") == "Jos\u00e9 Mar\u00eda"
    # a combining mark counts as part of the name, not as a forbidden character
    assert check_name("Zoe\u0308", "given name") == "Zo\u00eb"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("山田\u3000太郎", "山田 太郎"),  # the ideographic space of Japanese keyboards
        ("Anne\u00a0Marie", "Anne Marie"),  # no-break space
        ("Anne\u2009\u202fMarie", "Anne Marie"),  # thin and narrow no-break spaces
    ],
)
def test_any_unicode_space_is_a_plain_space(typed: str, stored: str) -> None:
    assert check_name(typed, "given name") == stored


def test_a_letter_takes_a_few_marks_but_not_a_pile_of_them() -> None:
    # Devanagari: consonant + nukta + vowel sign + anusvara, three marks on one letter
    assert check_name("\u0915\u093c\u0940\u0902", "given name")
    assert check_name("A" + "\u0301\u0316\u0317", "given name")  # not folded by NFC
    with pytest.raises(InvalidRequest, match=f"more than {MAX_MARKS_PER_LETTER} accents"):
        check_name("A" + "\u0301" * 63, "given name")
    with pytest.raises(InvalidRequest, match="accents or marks on one letter"):
        check_name("Ann" + "\u0316\u0317\u0318\u0319", "given name")


def test_length_is_counted_in_code_points_not_utf16_units() -> None:
    supplementary = "\U00020000" * MAX_NAME_LENGTH  # CJK Extension B: two UTF-16 units each
    assert check_name(supplementary, "family name") == supplementary
    with pytest.raises(InvalidRequest, match="1 to 64"):
        check_name(supplementary + "\U00020000", "family name")


def test_each_held_seat_needs_exactly_one_passenger() -> None:
    seats = ("1A", "1B", "1C")
    ok = passengers_for_seats(
        seats,
        [
            Passenger("1c", " Cy ", "Lee"),
            Passenger("1A", "Ann", "Lee"),
            Passenger("1B", "Bo", "Lee"),
        ],
        FLIGHT_DAY,
    )
    assert [(p.seat, p.given_name) for p in ok] == [("1A", "Ann"), ("1B", "Bo"), ("1C", "Cy")]
    with pytest.raises(InvalidRequest, match="seats without a passenger: 1B, 1C"):
        passengers_for_seats(seats, [Passenger("1A", "Ann", "Lee")], FLIGHT_DAY)
    with pytest.raises(InvalidRequest, match="passengers for seats not in the hold: 2A"):
        passengers_for_seats(
            ("1A",), [Passenger("1A", "A", "L"), Passenger("2A", "B", "L")], FLIGHT_DAY
        )
    with pytest.raises(InvalidRequest, match="seats with more than one passenger: 1A"):
        passengers_for_seats(
            ("1A",), [Passenger("1A", "A", "L"), Passenger("1A", "B", "L")], FLIGHT_DAY
        )
    with pytest.raises(InvalidRequest, match="seat 1A: the given name must be"):
        passengers_for_seats(("1A",), [Passenger("1A", "4nn", "Lee")], FLIGHT_DAY)


@pytest.mark.parametrize(
    ("born", "kind", "refusal"),
    [
        (None, PassengerType.ADULT, None),
        (date(1980, 1, 1), PassengerType.ADULT, None),
        (date(2020, 6, 1), PassengerType.CHILD, None),  # 10 on the day
        (date(2018, 6, 1), PassengerType.ADULT, None),  # 12 on the day
        (date(2018, 6, 2), PassengerType.CHILD, None),  # 11 until the day after
        (date(2029, 1, 1), PassengerType.INFANT, None),
        (date(2028, 6, 1), PassengerType.CHILD, None),  # turns 2 on the day
        (None, PassengerType.CHILD, "a child needs a date of birth"),
        (None, PassengerType.INFANT, "an infant needs a date of birth"),
        (date(2029, 1, 1), PassengerType.ADULT, "aged 1 on the day of the flight is an infant"),
        (date(1980, 1, 1), PassengerType.CHILD, "is an adult"),
        (date(2030, 6, 2), PassengerType.INFANT, "after the flight"),
    ],
)
def test_a_date_of_birth_must_fit_the_passenger_type_on_the_day_of_the_flight(
    born: date | None, kind: PassengerType, refusal: str | None
) -> None:
    passengers = [Passenger("1A", "Ann", "Lee", born, kind)]
    if refusal is None:
        assert passengers_for_seats(("1A",), passengers, FLIGHT_DAY)[0].type is kind
    else:
        with pytest.raises(InvalidRequest, match=refusal):
            passengers_for_seats(("1A",), passengers, FLIGHT_DAY)


def test_passengers_from_plain_fields_default_to_adult_and_refuse_bad_dates_and_types() -> None:
    assert passenger_from_text("1A", "Ann", "Lee", "", "") == Passenger("1A", "Ann", "Lee")
    child = passenger_from_text("1A", "Ann", "Lee", "2020-01-31", "child")
    assert child.date_of_birth == date(2020, 1, 31) and child.type is PassengerType.CHILD
    with pytest.raises(InvalidRequest, match="YYYY-MM-DD"):
        passenger_from_text("1A", "Ann", "Lee", "31/01/2020", "")
    with pytest.raises(InvalidRequest, match="adult, child or infant"):
        passenger_from_text("1A", "Ann", "Lee", "", "pet")


def test_manage_booking_compares_family_names_without_case_accents_or_extra_spaces() -> None:
    assert name_key("  Müller ") == name_key("MULLER") == "MULLER"
    assert name_key("Ørsted-O\u2019Neil") == name_key("orsted-o'neil")
    assert name_key("Łukasiewicz") == "LUKASIEWICZ" and name_key("Straße") == "STRASSE"
    aboard = [Passenger("1A", "Ann", "Lee"), Passenger("1B", "Jörg", "Müller-Lüdenscheidt")]
    assert names_match("muller-ludenscheidt", aboard)
    assert names_match("LEE", aboard)
    assert not names_match("Le", aboard)
    assert not names_match("Ann", aboard)
    assert not names_match("Lee", [])


@pytest.mark.parametrize(
    ("on_the_booking", "typed"),
    [
        # as the boarding pass spells it, and with its punctuation left out or changed
        ("O'Brien-Łukasiewicz", "OBRIENLUKASIEWICZ"),
        ("O'Brien-Łukasiewicz", "obrien-łukasiewicz"),
        ("Van der Berg", "vanderberg"),
        # in its own script or in the Latin letters of the pass and the passport
        ("李", "Li"),
        ("李", "李"),
        ("Παπαδάκης", "Papadakis"),
        ("Παπαδοπούλου", "PAPADOPOULOU"),  # as the Greek passport spells it
        ("ヤマダ", "Yamada"),  # kana keep their voicing marks: DA, not TA
        ("ガンダム", "GANDAMU"),
        # letters a German or Nordic passport's machine zone writes out (ICAO 9303)
        ("Müller-Lüdenscheidt", "MUELLER-LUEDENSCHEIDT"),
        ("Ångström", "AANGSTROEM"),
        # the pass's name field, cut at 20 letters
        ("Chatzigeorgiou-Kallimanis", "CHATZIGEORGIOUKALLIM"),
        ("Иванова", "IVANOVA"),
        # a word no table transliterates is compared as itself
        ("𥓘", "𥓘"),
    ],
)
def test_a_family_name_is_found_as_typed_or_as_the_boarding_pass_spells_it(
    on_the_booking: str, typed: str
) -> None:
    assert names_match(typed, [Passenger("1A", "Ann", on_the_booking)])


def test_names_that_spell_differently_do_not_match() -> None:
    aboard = [
        Passenger("1A", "Ann", "𥓘"),
        Passenger("1B", "Bo", "李"),
        Passenger("1C", "Cy", "Chatzigeorgiou-Kallimanis"),
    ]
    assert not names_match("X", aboard)  # the pass's stand-in for 𥓘 is no name
    assert not names_match("𥓙", aboard)
    assert not names_match("Lin", aboard)
    assert not names_match("CHATZIGEORGIOU", aboard)  # a cut only where the pass cuts
    assert not names_match("", aboard) and not names_match("-", aboard)


@pytest.mark.parametrize(
    ("typed", "bookable"),
    [
        ("محمد‌حسین", True),  # Persian, with its zero-width non-joiner
        ("ශ්‍රී", True),  # Sinhala, with its zero-width joiner
        ("‍Anna", False),  # a joiner joins two letters: never first
        ("́Anna", False),  # a mark belongs on a letter
        ("'t Hooft", True),  # Dutch names may start with an apostrophe
        ("Ann​Lee", False),  # the zero-width space is no part of a name
    ],
)
def test_joiners_are_part_of_names_and_marks_or_joiners_never_start_one(
    typed: str, bookable: bool
) -> None:
    try:
        check_name(typed, "name")
    except InvalidRequest:
        assert not bookable
    else:
        assert bookable


def test_a_reference_typed_full_width_or_in_lower_case_is_the_stored_one() -> None:
    assert typed_reference(" ８ｂ２ｖｊｐ７ｊ ") == "8B2VJP7J"  # noqa: RUF001  # as typed in Japan
    assert typed_reference("8b2vjp7j\u3000") == "8B2VJP7J"
    assert len(typed_reference("A" * 10_000)) == MAX_REFERENCE_LENGTH


def test_a_name_starting_with_a_mark_or_a_joiner_is_told_so() -> None:
    for typed in ("\u0301Smith", "\u200dZed"):
        with pytest.raises(InvalidRequest, match="must start with a letter, not an accent"):
            check_name(typed, "the family name")
