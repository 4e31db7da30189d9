"""Search that finds people: case- and accent-insensitive in every script, on both databases.

Names are typed as they sound, not as they are stored: "cetin" for "Çetin", "лесик" for
"Лесик", "nguyen" for "Nguyễn", an Arabic name without its vowel marks. Each client keeps
a normalised copy of the words it is found by (``Client.search_text``), written on every
flush from the stored values, and the search box compares the normalised terms with it.
The same Python function normalises both sides, so SQLite and PostgreSQL agree.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, event
from sqlalchemy.orm import Session

# Letters that carry their difference in the letter itself, not in a combining mark.
_FOLDED_LETTERS = str.maketrans(
    {"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"}
)
_ESCAPE = "\\"
# The column every ``Searchable`` keeps its normalised words in.
SEARCH_COLUMN = "search_text"


def normalise(text: str | None) -> str:
    """Lower case without diacritics, in any script; words separated by single spaces."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    # Arabic tatweel is decoration, not a letter.
    bare = bare.translate(_FOLDED_LETTERS).replace("\u0640", "")
    return " ".join(bare.split())


def search_terms(typed: str) -> list[str]:
    return normalise(typed).split()


def is_normalised(column: Any) -> bool:
    """Whether ``column`` is a ``Searchable``'s normalised copy (compare normalised terms)."""
    owner = getattr(column, "class_", None)
    return isinstance(owner, type) and issubclass(owner, Searchable) and column.key == SEARCH_COLUMN


def contains(column: Any, term: str) -> ColumnElement[bool]:
    """``column`` contains ``term`` literally: a typed % or _ is a character, no wildcard."""
    escaped = term.replace(_ESCAPE, _ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")
    return column.like(f"%{escaped}%", escape=_ESCAPE)


class Searchable:
    """Mixin: ``search_text`` is rewritten from ``search_sources`` on every flush."""

    search_sources: tuple[str, ...] = ()
    search_text: Any

    @classmethod
    def search_text_from(cls, values: Mapping[str, object]) -> str:
        """The normalised words of a row given as a mapping (the bulk seed writes rows)."""
        words = (values.get(name) for name in cls.search_sources)
        return normalise(" ".join(str(word) for word in words if word))

    def refresh_search_text(self) -> None:
        values = {name: getattr(self, name, None) for name in self.search_sources}
        self.search_text = self.search_text_from(values)


@event.listens_for(Session, "before_flush")
def _refresh_search_texts(session: Session, flush_context: Any, instances: Any) -> None:
    for record in (*session.new, *session.dirty):
        if isinstance(record, Searchable):
            record.refresh_search_text()
