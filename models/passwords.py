"""The password policy (ASVS 5 §6.2): long passphrases welcome, common passwords refused."""

from __future__ import annotations

from flask_babel import gettext as _

MIN_LENGTH = 12
# Checked before hashing so that a huge input cannot tie up a worker (PBKDF2 cost).
MAX_LENGTH = 1024

# Frequent passwords and the words of this deployment (ASVS 5 6.2.11).
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890ab",
        "passwort1234",
        "password1234",
        "qwertzuiop12",
        "qwertyuiop12",
        "hallohallo12",
        "passwort12345",
        "password12345",
        "iloveyou1234",
        "sommer2026!!",
        "winter2026!!",
        "kim-demo-2026",
        "duesseldorf1",
        "duesseldorf12",
        "düsseldorf12",
        "integration1",
        "integration12",
        "kommunales-integrationsmanagement",
    }
)


def password_problem(password: str) -> str | None:
    """A German message if ``password`` may not be used, else None."""
    if len(password) > MAX_LENGTH:
        return _("Das Passwort darf höchstens %(max)d Zeichen lang sein.", max=MAX_LENGTH)
    if len(password) < MIN_LENGTH:
        return _("Das Passwort muss mindestens %(min)d Zeichen lang sein.", min=MIN_LENGTH)
    if password.strip().lower() in COMMON_PASSWORDS or len(set(password)) < 4:
        return _("Dieses Passwort ist zu verbreitet oder zu einfach. Bitte ein anderes wählen.")
    return None
