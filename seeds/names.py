"""How the demo seed spells names: hand lists, seeded Faker pools, passport transliteration."""

# Cyrillic letters and typographic apostrophes in the tables are intended.

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class NamePool:
    first_female: tuple[str, ...]
    first_male: tuple[str, ...]
    last_female: tuple[str, ...]
    last_male: tuple[str, ...]

    def pick(self, rng: random.Random, female: bool) -> tuple[str, str]:
        if female:
            return rng.choice(self.first_female), rng.choice(self.last_female)
        return rng.choice(self.first_male), rng.choice(self.last_male)

    def transliterated(self, language: str) -> NamePool:
        def latin(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(transliterate(name, language) for name in names)

        return NamePool(
            latin(self.first_female),
            latin(self.first_male),
            latin(self.last_female),
            latin(self.last_male),
        )


def hand_pool(female: str, male: str, last: str) -> NamePool:
    """A pool from comma-separated lists; surnames are the same for women and men."""
    surnames = tuple(last.split(","))
    return NamePool(tuple(female.split(",")), tuple(male.split(",")), surnames, surnames)


def faker_pool(locale: str, seed: int, size: int = 120) -> NamePool:
    """Distinct names drawn from a seeded Faker locale."""
    # Faker (some 6 MB of modules) is loaded by the seed when it draws names, not by every
    # web worker that imports the CLI (tests/test_layers.py: DEFERRED_LIBRARIES).
    from faker import Faker  # noqa: PLC0415

    fake = Faker(locale)
    fake.seed_instance(seed)

    def draw(generate: Callable[[], str]) -> tuple[str, ...]:
        names: dict[str, None] = {}
        for _ in range(size * 3):
            name = generate().strip()
            if name and "(" not in name and not any(char.isdigit() for char in name):
                names.setdefault(name, None)
            if len(names) == size:
                break
        return tuple(names)

    return NamePool(
        draw(fake.first_name_female),
        draw(fake.first_name_male),
        draw(fake.last_name_female),
        draw(fake.last_name_male),
    )


_ASCII_EXTRA = str.maketrans(
    {"ı": "i", "ß": "ss", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "æ": "ae", "ə": "e"}
)


def ascii_fold(value: str) -> str:
    """Letters, digits and hyphens in ASCII, for the local part of an e-mail address."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_ASCII_EXTRA))
    return "".join(
        char for char in decomposed if char.isascii() and (char.isalnum() or char == "-")
    )


# Passport-style transliteration of Cyrillic names (Ukrainian KMU 2010, Russian ICAO,
# Bulgarian 2009), as the names appear on German documents.
_CYRILLIC_COMMON = {
    "а": "a",
    "б": "b",
    "в": "v",
    "д": "d",
    "е": "e",
    "з": "z",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
}
_TRANSLITERATION: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    # language: (letters anywhere, letters at the start of a word)
    "uk": (
        _CYRILLIC_COMMON
        | {"г": "h", "ґ": "g", "є": "ie", "ж": "zh", "и": "y", "і": "i", "ї": "i", "й": "i"}
        | {"х": "kh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "'": "", "’": ""},
        {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"},
    ),
    "ru": (
        _CYRILLIC_COMMON
        | {"г": "g", "ё": "e", "ж": "zh", "и": "i", "й": "i", "х": "kh", "щ": "shch"}
        | {"ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia"},
        {},
    ),
    "bg": (
        _CYRILLIC_COMMON
        | {"г": "g", "ж": "zh", "и": "i", "й": "y", "х": "h", "щ": "sht", "ъ": "a", "ь": "y"}
        | {"ю": "yu", "я": "ya"},
        {},
    ),
}


def transliterate(name: str, language: str) -> str:
    """Latin spelling of a Cyrillic name, e.g. ``Ганна Іщенко`` → ``Hanna Ishchenko``."""
    anywhere, initial = _TRANSLITERATION[language]
    out: list[str] = []
    at_start = True
    for char in name:
        lower = char.lower()
        latin = (initial.get(lower) if at_start else None) or anywhere.get(lower)
        if latin is None:
            out.append(char)
        elif char != lower and latin:
            out.append(latin[0].upper() + latin[1:])
        else:
            out.append(latin)
        at_start = not char.isalpha()
    return "".join(out)
