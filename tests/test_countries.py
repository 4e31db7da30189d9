"""The stored German country names are Babel's (CLDR), in the order of a German dictionary."""

from __future__ import annotations

import unicodedata

from babel import Locale

from models.choices import country_choices, country_name
from models.countries import COUNTRY_NAMES

NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"}  # Babel's reserved, private-use codes


def dictionary_key(name: str) -> str:
    """DIN 5007-1: an umlaut sorts as its vowel, ß as ss, case aside."""
    decomposed = unicodedata.normalize("NFD", name.replace("ß", "ss"))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def test_the_names_are_babels_german_names_of_every_two_letter_country_code() -> None:
    territories = Locale("de").territories
    babels = {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
    }
    assert babels == COUNTRY_NAMES


def test_the_choices_follow_a_german_dictionary() -> None:
    names = [name for _code, name in country_choices()]
    assert names == sorted(names, key=dictionary_key)
    assert names.index("Ägypten") < names.index("Albanien")
    assert names.index("Österreich") < names.index("Pakistan")


def test_a_code_without_a_name_is_shown_as_it_is() -> None:
    assert country_name("SY") == "Syrien"
    assert country_name("XK") == "Kosovo"
    assert country_name("QQ") == "QQ"
    assert country_name(None) == ""
