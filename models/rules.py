"""Shared helpers for the field rules that the models declare and the views apply."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

FieldErrors = dict[str, str]
FormValues = Mapping[str, Any]

EARLIEST_PLAUSIBLE_DATE = dt.date(1900, 1, 1)


def check_not_future(errors: FieldErrors, values: FormValues, field: str, today: dt.date) -> None:
    value = values.get(field)
    if value is not None and value > today:
        errors.setdefault(field, _("Das Datum darf nicht in der Zukunft liegen."))


def check_plausible(errors: FieldErrors, values: FormValues, field: str) -> None:
    value = values.get(field)
    if value is not None and value < EARLIEST_PLAUSIBLE_DATE:
        errors.setdefault(field, _("Bitte ein Datum ab dem 01.01.1900 angeben."))


def check_not_before(
    errors: FieldErrors, values: FormValues, later: str, earlier: str, message: str
) -> None:
    later_value, earlier_value = values.get(later), values.get(earlier)
    if later_value is not None and earlier_value is not None and later_value < earlier_value:
        errors.setdefault(later, message)
