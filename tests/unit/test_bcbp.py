from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lastseat.domain.bcbp import BoardingPass, NotEncodable, ascii_name, encode, name_field
from lastseat.domain.errors import InvalidRequest
from lastseat.domain.passengers import check_name

PASS = BoardingPass(
    family_name="Müller-Lüdenscheidt",
    given_name="Zoë Anne",
    reference="ABCDEFGH",
    origin="LHR",
    destination="JFK",
    flight_code="LS101",
    departs_on=date(2030, 2, 3),
    cabin="business",
    seat="12A",
    sequence=1,
)


def test_the_mandatory_items_sit_at_their_offsets() -> None:
    text = encode(PASS)
    assert len(text) == 60
    # Resolution 792's mandatory items, by offset and width.
    assert text[0] == "M"
    assert text[1] == "1"
    assert text[2:22] == "MULLERLUDENSCHEIDT/Z"
    assert text[22] == "E"
    assert text[23:30] == "ABCDEFG"
    assert text[30:33] == "LHR"
    assert text[33:36] == "JFK"
    assert text[36:39] == "LS "
    assert text[39:44] == "0101 "
    assert text[44:47] == "034"  # 3 February
    assert text[47] == "J"
    assert text[48:52] == "012A"
    assert text[52:57] == "0001 "
    assert text[57] == "0"
    assert text[58:60] == "00"


def test_the_whole_string() -> None:
    short = BoardingPass(
        "Doe", "Jane", "XY2345Z", "AMS", "CDG", "LS7", PASS.departs_on, "economy", "3C", 12
    )
    assert encode(short) == "M1" + "DOE/JANE".ljust(20) + "EXY2345ZAMSCDGLS 0007 034Y003C0012 000"


def test_names_are_ascii_capitals_padded_to_twenty() -> None:
    assert name_field("O'Brien", "Seán") == "OBRIEN/SEAN".ljust(20)
    assert len(name_field("A" * 40, "B")) == 20


def test_a_leap_year_ends_on_day_366() -> None:
    late = replace(PASS, departs_on=date(2028, 12, 31))
    assert encode(late)[44:47] == "366"


@pytest.mark.parametrize("boarding", [replace(PASS, seat="A12"), replace(PASS, flight_code="101")])
def test_what_has_no_place_is_refused(boarding: BoardingPass) -> None:
    with pytest.raises(NotEncodable):
        encode(boarding)


@pytest.mark.parametrize(
    ("family", "given", "field"),
    [
        # letters with their mark inside lose it, as manage-booking compares them
        ("O'Brien-Łukasiewicz", "Zoë", "OBRIENLUKASIEWICZ/ZO"),
        ("Ørsted", "Søren", "ORSTED/SOREN"),
        ("Straße", "Đorđe", "STRASSE/DORDE"),
        # scripts without a Latin form are transliterated, never left out
        ("李", "小龍", "LI/XIAOLONG"),
        ("Παπαδάκης", "Νίκος", "PAPADAKIS/NIKOS"),
        # Greek letter pairs as Greek passports write them (ELOT 743)
        ("Μαυρίδης", "Ευάγγελος", "MAVRIDIS/EVANGELOS"),
        ("Παπαδοπούλου", "Ντόρα", "PAPADOPOULOU/DORA"),
        ("Λαΐνας", "Ευθύμιος", "LAINAS/EFTHYMIOS"),  # the diaeresis splits a pair
        ("Иванова", "Анна", "IVANOVA/ANNA"),
        # a word no table transliterates is an X, as a passport's machine zone fills it
        ("𥓘", "小龍", "X/XIAOLONG"),
    ],
)
def test_names_in_any_script_become_ascii_capitals(family: str, given: str, field: str) -> None:
    assert name_field(family, given) == field.ljust(20)


@given(st.text(min_size=1, max_size=64))
def test_a_name_a_passenger_may_have_is_never_empty_on_the_pass(typed: str) -> None:
    try:
        name = check_name(typed, "name")
    except InvalidRequest:
        return
    assert ascii_name(name)
