"""Greek letter pairs as Greek passports spell them (ELOT 743, the table ICAO 9303 takes
for Greek): anyascii writes letter by letter, so "Παπαδοπούλου" came out "PAPADOPOYLOY"
where the passport, and the traveller typing from it, says "PAPADOPOULOU". Single
letters anyascii already writes as ELOT 743 does; only the pairs are here."""

# ruff: noqa: RUF001, RUF003  (Greek letters are this module's subject, not look-alikes)
from __future__ import annotations

import re

DIAERESIS = "\u0308"  # on the second letter it splits a pair: "αϋ" is a-i, not av
_VOWELS = "αεηιοωυ"
_VOICED = "βγδζλμνρ"
# αυ, ευ, ηυ are av/ev/iv before a vowel or a voiced consonant, af/ef/if otherwise
_U_PAIR = re.compile(rf"([αεη])υ(?!{DIAERESIS})([{_VOWELS}{_VOICED}])?")
_OU = re.compile(rf"ου(?!{DIAERESIS})")
_NASAL_G = {"γγ": "ng", "γξ": "nx", "γχ": "nch"}
_FIRST_OF_WORD = {"μπ": "b", "ντ": "d"}  # inside a word they stay mp, nt
_SOFT = {"α": "av", "ε": "ev", "η": "iv"}
_HARD = {"α": "af", "ε": "ef", "η": "if"}


def _u_pair(match: re.Match[str]) -> str:
    vowel, following = match.group(1), match.group(2)
    return (_SOFT if following else _HARD)[vowel] + (following or "")


def spelled_pairs(word: str) -> str:
    """`word` (lower case, decomposed, accents gone but a diaeresis kept) with its Greek
    letter pairs written in Latin letters; every other letter left for anyascii."""
    if not any("\u0370" <= ch <= "\u03ff" for ch in word):
        return word
    for pair, latin in _FIRST_OF_WORD.items():
        if word.startswith(pair):
            word = latin + word[2:]
    word = _OU.sub("ou", word)
    word = _U_PAIR.sub(_u_pair, word)
    for pair, latin in _NASAL_G.items():
        word = word.replace(pair, latin)
    return word
