"""`lastseat book --passenger`: one traveller per seat, split into given and family names,
the rest asked for; never made up."""

from __future__ import annotations

import pytest
import typer

from lastseat.entrypoints.cli import traveller


def test_each_passenger_option_names_the_seat_in_its_place() -> None:
    named = traveller._passengers(["12A", "12B"], ["Ann Mary Lee", "José María/de la Cruz"])
    assert named == [
        {"seat": "12A", "given_name": "Ann Mary", "family_name": "Lee"},
        {"seat": "12B", "given_name": "José María", "family_name": "de la Cruz"},
    ]


def test_seats_without_a_passenger_option_are_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["Bo", "Lee"])
    monkeypatch.setattr(typer, "prompt", lambda text: next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)  # a person at a terminal
    named = traveller._passengers(["1A", "1B"], ["Ann Lee"])
    assert named[1] == {"seat": "1B", "given_name": "Bo", "family_name": "Lee"}


def test_without_a_terminal_a_seat_without_a_passenger_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)  # nobody to ask
    with pytest.raises(typer.BadParameter, match="no passenger for 1B"):
        traveller._passengers(["1A", "1B"], ["Ann Lee"])


@pytest.mark.parametrize("given", [["Cher"], ["Ann Lee", "Bo Lee", "Cy Lee"], ["/Lee"]])
def test_one_word_names_and_too_many_passengers_are_refused(given: list[str]) -> None:
    with pytest.raises(typer.BadParameter):
        traveller._passengers(["1A", "1B"], given)


def test_every_name_the_domain_refuses_is_named_at_once() -> None:
    with pytest.raises(typer.BadParameter) as refused:
        traveller._passengers(["1A", "1B"], ["Ann L33", "B0 Lee"])
    assert "seat 1A: the family name" in str(refused.value)
    assert "seat 1B: the given name" in str(refused.value)


def test_a_refused_name_at_the_prompt_is_asked_for_again(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["B0", "Bo", "Lee"])
    monkeypatch.setattr(typer, "prompt", lambda text: next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)  # a person at a terminal
    named = traveller._passengers(["1A"], [])
    assert named == [{"seat": "1A", "given_name": "Bo", "family_name": "Lee"}]
