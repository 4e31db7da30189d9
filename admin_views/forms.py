"""The form base and field conversion every admin view shares."""

from __future__ import annotations

import re
from typing import Any

from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import BaseForm
from flask_admin.model.form import converts
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import fields, validators
from wtforms.widgets import DateInput

# C0 controls other than tab, newline and carriage return; DEL; lone surrogates.
_FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class KimForm(BaseForm):
    """Rejects control characters in every text field (PostgreSQL refuses NUL outright)."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and _FORBIDDEN_CHARACTERS.search(field.data):
                field.errors = [*field.errors, _("Bitte keine Steuerzeichen eingeben.")]
                valid = False
        return valid


class KimModelConverter(AdminModelConverter):
    """Dates as the browser's own date input, shown in the user's locale (TT.MM.JJJJ)."""

    @converts("Date")
    def convert_date(self, field_args: dict[str, Any], **extra: Any) -> fields.DateField:
        field_args.setdefault("widget", DateInput())
        return fields.DateField(**field_args)


# Deliberately loose: one @, no spaces, a dot in the domain. Delivery proves the rest.
EMAIL = validators.Regexp(
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Bitte eine gültige E-Mail-Adresse angeben.")
)
