"""The date as the users in Düsseldorf see it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def today() -> dt.date:
    return dt.datetime.now(BERLIN).date()
