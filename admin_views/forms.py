"""The form base and field conversion every admin view shares."""

from __future__ import annotations

import re
from typing import Any

from flask_admin.contrib.sqla.filters import FilterConverter
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import BaseForm
from flask_admin.model.filters import BaseIntFilter, BaseIntListFilter
from flask_admin.model.form import converts
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import fields, validators
from wtforms.widgets import DateInput

from admin_views.compat import string_field_arguments

# C0 controls other than tab, newline and carriage return; DEL; lone surrogates.
_FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class KimForm(BaseForm):
    """Rejects control characters in every text field (PostgreSQL refuses NUL outright).

    A field holding one is refused before its own validators run: a validator that asks
    the database (uniqueness) must never see such a value.
    """

    def validate(self, extra_validators: Any = None) -> bool:
        tainted = {
            field.name
            for field in self
            if isinstance(field.data, str) and _FORBIDDEN_CHARACTERS.search(field.data)
        }
        if not tainted:
            return bool(super().validate(extra_validators))
        for field in self:
            if field.name in tainted:
                field.errors = [_("Bitte keine Steuerzeichen eingeben.")]
            else:
                field.validate(self, (extra_validators or {}).get(field.name, ()))
        return False


# What an INTEGER column holds on PostgreSQL; a number outside is a field error, not a 500.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# Longer than this, a text column is free text (notes, goals) and gets a text area.
LONG_TEXT = 500


class KimModelConverter(AdminModelConverter):
    """Dates as the browser's own date input (shown as TT.MM.JJJJ); long text as text areas."""

    @converts("String")
    def conv_String(self, column: Any, field_args: dict[str, Any], **extra: Any) -> Any:
        length = getattr(column.type, "length", None)
        if length and length > LONG_TEXT:
            string_field_arguments(self, column, field_args, **extra)
            field_args.setdefault("render_kw", {}).setdefault("rows", 5)
            return fields.TextAreaField(**field_args)
        return super().conv_String(column=column, field_args=field_args, **extra)

    @converts("Integer")
    def handle_integer_types(self, column: Any, field_args: dict[str, Any], **extra: Any) -> Any:
        """Numbers the database column can hold: a field error instead of a database error."""
        if not any(isinstance(v, validators.NumberRange) for v in field_args["validators"]):
            field_args["validators"].append(validators.NumberRange(min=INT_MIN, max=INT_MAX))
        return super().handle_integer_types(column=column, field_args=field_args, **extra)

    @converts("Date")
    def convert_date(self, field_args: dict[str, Any], **extra: Any) -> fields.DateField:
        field_args.setdefault("widget", DateInput())
        return fields.DateField(**field_args)


# Deliberately loose: one @, no spaces, a dot in the domain. Delivery proves the rest.
EMAIL = validators.Regexp(
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Bitte eine gültige E-Mail-Adresse angeben.")
)


def _bounded(filter_class: type[Any]) -> type[Any]:
    """An integer filter that refuses numbers the column cannot hold.

    Flask-Admin flashes its "invalid filter value" message for a value whose ``clean``
    fails, instead of passing it to the database, which would answer with an error.
    """

    class Bounded(filter_class):
        def clean(self, value: str) -> Any:
            cleaned = super().clean(value)
            numbers = cleaned if isinstance(cleaned, list) else [cleaned]
            if any(not INT_MIN <= number <= INT_MAX for number in numbers):
                raise ValueError(value)
            return cleaned

    Bounded.__name__ = filter_class.__name__
    return Bounded


class KimFilterConverter(FilterConverter):
    int_filters = tuple(
        _bounded(filter_class)
        if issubclass(filter_class, BaseIntFilter | BaseIntListFilter)
        else filter_class
        for filter_class in FilterConverter.int_filters
    )
