"""From a barrier to the system level: the check that no person travels along.

A case manager who reports a barrier "an Systemebene" links it to an open structural
issue or proposes a new one. The proposal's text goes to the coordination, which sees no
person: text that looks like a file or case number (as ``Client``/``Case`` format them),
an e-mail address, a phone number or a name of one of the own organisation's clients is
refused with a German message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.barrier import Barrier
from models.choices import BarrierStatus
from models.client import Client
from models.rules import FieldErrors, FormValues
from models.search import normalise
from models.structural import OPEN, IssueStatus, StructuralIssue, new_issue

# ``AWO-2026-0042`` (Client.format_file_number), ``AWO-F-2026-0007`` (Case.format_case_number);
# ``ST-2026-007`` is a structural issue's own number and may be named.
_FILE_OR_CASE_NUMBER = re.compile(
    r"(?<![\w-])(?!ST-\d)[A-Za-zÄÖÜäöü0-9]{2,12}-(?:F-)?\d{4}-\d{3,}(?![\w-])"
)
_REFERENCE = re.compile(r"\b(?:Aktenzeichen|Az\.|Fallnummer|Fall-Nr\.?)\s*:?\s*\S*\d", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# German numbers start with 0 or a country code; 7 digits or more, spaces, / - ( ) between.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}|0)[\d /()\-]{5,}\d")
MIN_PHONE_DIGITS = 7
MIN_NAME_LENGTH = 3
MAX_TITLE = 200


class ProposalError(ValueError):
    """A proposal refused; ``messages`` says why, in German."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = messages


def _client_names(session: Session, organisation_id: int | None) -> set[str]:
    if organisation_id is None:
        return set()
    rows = session.execute(
        select(Client.first_name, Client.last_name).where(Client.organisation_id == organisation_id)
    )
    names: set[str] = set()
    for first_name, last_name in rows:
        for name in (first_name, last_name):
            for word in normalise(name).replace("-", " ").split():
                if len(word) >= MIN_NAME_LENGTH:
                    names.add(word)
    return names


def _words(text: str) -> Iterable[str]:
    return re.findall(r"\w+", normalise(text))


def personal_data_findings(
    session: Session, texts: Iterable[str | None], organisation_id: int | None
) -> list[str]:
    """Why these texts must not reach the system level (German); empty when they may."""
    joined = "\n".join(text for text in texts if text)
    findings: list[str] = []
    if _FILE_OR_CASE_NUMBER.search(joined) or _REFERENCE.search(joined):
        findings.append(
            _("Der Text enthält etwas, das wie ein Aktenzeichen oder eine Fallnummer aussieht.")
        )
    if _EMAIL.search(joined):
        findings.append(_("Der Text enthält eine E-Mail-Adresse."))
    if any(
        sum(char.isdigit() for char in match.group()) >= MIN_PHONE_DIGITS
        for match in _PHONE.finditer(joined)
    ):
        findings.append(_("Der Text enthält etwas, das wie eine Telefonnummer aussieht."))
    names = _client_names(session, organisation_id)
    if names and any(word in names for word in _words(joined)):
        findings.append(
            _("Der Text enthält den Namen einer Klientin oder eines Klienten Ihrer Organisation.")
        )
    if findings:
        findings.append(
            _(
                "Beschreiben Sie bitte die Barriere, nicht die Person: an die Systemebene "
                "gelangen keine personenbezogenen Daten."
            )
        )
    return findings


def check_proposal(
    session: Session, title: str | None, description: str | None, organisation_id: int | None
) -> None:
    """Raise ``ProposalError`` when a proposal is empty, too long or names a person."""
    if not (title or "").strip():
        raise ProposalError([_("Bitte geben Sie einen Titel für das neue Strukturthema an.")])
    if len(title or "") > MAX_TITLE:
        raise ProposalError([_("Der Titel darf höchstens 200 Zeichen lang sein.")])
    findings = personal_data_findings(session, (title, description), organisation_id)
    if findings:
        raise ProposalError(findings)


def propose_issue(
    session: Session,
    *,
    title: str,
    description: str | None,
    category_id: int,
    organisation_id: int | None,
    today: dt.date,
    partner_id: int | None = None,
) -> StructuralIssue:
    """A new issue "eingegangen" from a checked proposal."""
    check_proposal(session, title, description, organisation_id)
    return new_issue(
        session,
        title=title,
        description=description,
        category_id=category_id,
        partner_id=partner_id,
        today=today,
    )


def report_errors(values: FormValues, previous_issue_id: int | None = None) -> FieldErrors:
    """A barrier reported to the system level names an open issue or proposes one.

    ``values``: the barrier form's ``status``, ``structural_issue`` (an issue or None) and
    ``proposal_title``; the issue it was linked to may stay even when no longer open.
    """
    errors: FieldErrors = {}
    issue = values.get("structural_issue")
    proposed = bool((values.get("proposal_title") or "").strip())
    if issue is not None and proposed:
        errors["proposal_title"] = _(
            "Bitte wählen Sie entweder ein bestehendes Strukturthema oder schlagen Sie ein "
            "neues vor, nicht beides."
        )
    elif values.get("status") == BarrierStatus.REPORTED and issue is None and not proposed:
        errors["structural_issue"] = _(
            "Eine an die Systemebene gemeldete Barriere gehört zu einem Strukturthema: bitte "
            "wählen Sie ein offenes Thema oder schlagen Sie ein neues vor."
        )
    elif (
        issue is not None
        and issue.id != previous_issue_id
        and IssueStatus(issue.status) not in OPEN
    ):
        errors["structural_issue"] = _("Bitte wählen Sie ein offenes Strukturthema.")
    return errors


def link_barrier(barrier: Barrier, issue: StructuralIssue) -> None:
    """Link ``barrier`` as evidence of ``issue`` and report it to the system level."""
    barrier.structural_issue = issue
    barrier.status = BarrierStatus.REPORTED
