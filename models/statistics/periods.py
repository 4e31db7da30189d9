"""The period of a statistics report: days, presets, months and quarters.

A period that cannot be counted raises ``PeriodError``, whose message is German and is
shown to the user as it is; the page then falls back to the default preset.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DASH = "\u2013"  # the German range and "no value" dash
MAX_PERIOD_DAYS = 366 * 5

PRESETS: dict[str, str] = {
    "this_year": "dieses Jahr",
    "last_year": "letztes Jahr",
    "last_quarter": "letztes Quartal",
    "last_12_months": "letzte 12 Monate",
}
DEFAULT_PRESET = "this_year"
# The coordination counts on a fixed grid of periods (docs/statistics-suppression.md).
COORDINATION_PRESETS: dict[str, str] = {
    name: PRESETS[name] for name in ("this_year", "last_year", "last_quarter")
}
YEAR = 0  # the "quarter" of a grid period that is a whole year

# Label and the age the band stays below; a client's age is counted at the period's end.
AGE_BANDS: list[tuple[str, int | None]] = [
    (f"0{DASH}17", 18),
    (f"18{DASH}26", 27),
    (f"27{DASH}49", 50),
    (f"50{DASH}64", 65),
    ("65+", None),
]
# The band limits are birth dates this many years before the period's end, and the
# calendar starts at year 1: a period before that cannot be counted.
OLDEST_BAND_LIMIT = max(below for _label, below in AGE_BANDS if below is not None)


class PeriodError(ValueError):
    """A period that cannot be counted; the message is for the user."""


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included."""

    start: dt.date
    end: dt.date
    preset: str | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PeriodError("Das Ende des Zeitraums liegt vor dem Anfang.")
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise PeriodError("Der Zeitraum darf höchstens fünf Jahre umfassen.")
        if self.start.year <= OLDEST_BAND_LIMIT:
            raise PeriodError(f"Der Zeitraum muss nach dem Jahr {OLDEST_BAND_LIMIT} beginnen.")

    @property
    def label(self) -> str:
        return f"{self.start:%d.%m.%Y} {DASH} {self.end:%d.%m.%Y}"

    def months(self) -> list[tuple[int, int]]:
        year, month = self.start.year, self.start.month
        months = []
        while (year, month) <= (self.end.year, self.end.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def quarters(self) -> list[tuple[int, int]]:
        return list(dict.fromkeys(quarter_of(year, month) for year, month in self.months()))


def grid_position(period: Period) -> tuple[int, int] | None:
    """``(year, quarter)`` of a calendar quarter, ``(year, YEAR)`` of a calendar year;
    None for any other period."""
    start, end = period.start, period.end
    if start.year != end.year:
        return None
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return start.year, YEAR
    if start == quarter_start(start) and end == quarter_end(start):
        return start.year, (start.month - 1) // 3 + 1
    return None


def coordination_period(period: Period, today: dt.date) -> tuple[int, int]:
    """The grid position of a period the coordination asks for; ``PeriodError`` for any
    period that is not a calendar quarter or year, or that lies after the current year."""
    position = grid_position(period)
    if position is None:
        raise PeriodError(
            "Die Koordination sieht Zahlen nur für ganze Kalenderquartale oder "
            "Kalenderjahre (etwa 01.04.2026 bis 30.06.2026 oder 01.01.2026 bis 31.12.2026), "
            "damit sich kleine Zahlen nicht aus überlappenden Zeiträumen errechnen lassen."
        )
    if position[0] > today.year:
        raise PeriodError("Zahlen gibt es höchstens bis zum Ende des laufenden Jahres.")
    return position


def quarter_end(day: dt.date) -> dt.date:
    start = quarter_start(day)
    following = dt.date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def quarter_of(year: int, month: int) -> tuple[int, int]:
    return year, (month - 1) // 3 + 1


def quarter_label(quarter: tuple[int, int]) -> str:
    return f"{quarter[1]}. Quartal {quarter[0]}"


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def preset_period(name: str, today: dt.date) -> Period:
    """The period a preset means on ``today``; an unknown name is the current year."""
    if name == "last_year":
        return Period(dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31), name)
    if name == "last_quarter":
        end = quarter_start(today) - dt.timedelta(days=1)
        return Period(quarter_start(end), end, name)
    if name == "last_12_months":
        return Period(years_before(today, 1) + dt.timedelta(days=1), today, name)
    return Period(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31), DEFAULT_PRESET)


def parse_day(raw: str) -> dt.date:
    """A day as typed (``31.12.2026``) or as the date field sends it (``2026-12-31``)."""
    raw = raw.strip()
    try:
        if "." in raw:
            return dt.datetime.strptime(raw, "%d.%m.%Y").date()  # noqa: DTZ007 - a plain date
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise PeriodError("Bitte gültige Daten angeben.") from None


def requested_period(start: str, end: str, preset: str, today: dt.date) -> Period:
    """The period a request asks for: its two days if either is given, else its preset."""
    if start or end:
        return Period(parse_day(start), parse_day(end))
    return preset_period(preset, today)
