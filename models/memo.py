"""Per-process memos that stay bounded whatever keys requests bring: emptied once full.

A memo of this kind holds what is the same for every request with its key (a statement's
compiled SQL, a menu's HTML, a static file's URL); a key nobody asks for again costs
nothing but its place until the memo is emptied.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def kept(memo: dict[K, T], key: K, make: Callable[[], T], limit: int) -> T:
    """``memo[key]``, made once; ``memo`` is emptied first when it holds ``limit``."""
    found = memo.get(key)
    if found is None:
        if len(memo) >= limit:
            memo.clear()
        found = memo[key] = make()
    return found
