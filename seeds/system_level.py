"""The demo register of the system level: structural issues of Düsseldorf, the barriers of
several organisations linked to them, two meetings, measures in every state and one
effect check with quarters before and after.

Built with the models' own constructors (``new_issue``, ``change_status``,
``merge_issue``); deterministic for a given ``today``. No text names a person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Barrier, BarrierCategory, Partner
from models.choices import BarrierStatus, IssueStatus, MeasureStatus, MeetingKind
from models.structural import (
    FORWARD,
    AgendaItem,
    Measure,
    Meeting,
    StructuralIssue,
    WorkingGroup,
    change_status,
    merge_issue,
    new_issue,
)
from seeds import catalogue as cat

S = IssueStatus
WORKING_GROUPS = (
    "AG Zugang zu Behörden",
    "AG Gesundheit und Sprachmittlung",
    "AG Arbeit und Anerkennung",
)


@dataclass(frozen=True)
class IssueSeed:
    title: str
    description: str
    category: str
    partner: str | None
    working_group: str | None
    status: IssueStatus
    reported_days_ago: int
    priority: str = "medium"


ISSUES = (
    IssueSeed(
        "Wartezeiten auf Termine bei der Ausländerbehörde",
        "Termine zur Verlängerung von Aufenthaltstiteln sind erst nach vielen Wochen frei; "
        "Fiktionsbescheinigungen laufen ab, Arbeitgeber und Jobcenter verlangen Nachweise.",
        cat.CAT_APPOINTMENT,
        cat.P_AUSLAENDERBEHOERDE,
        "AG Zugang zu Behörden",
        S.IN_IMPLEMENTATION,
        420,
        "high",
    ),
    IssueSeed(
        "Hotline des Jobcenters kaum erreichbar",
        "Rückfragen zu Bescheiden und fehlenden Unterlagen scheitern an der Hotline; "
        "Leistungen werden verzögert ausgezahlt.",
        cat.CAT_PROCESSING_TIME,
        cat.P_JOBCENTER,
        "AG Zugang zu Behörden",
        S.EFFECT_CHECKED,
        700,
        "high",
    ),
    IssueSeed(
        "Fehlende Sprachmittlung bei Arztterminen",
        "Praxen vergeben ohne Sprachmittlung keine Termine oder brechen Behandlungen ab; "
        "Kosten der Sprachmittlung sind ungeklärt.",
        cat.CAT_LANGUAGE,
        cat.P_GESUNDHEITSAMT,
        "AG Gesundheit und Sprachmittlung",
        S.IN_WORKING_GROUP,
        300,
    ),
    IssueSeed(
        "Anerkennung ausländischer Berufsabschlüsse dauert zu lange",
        "Verfahren dauern oft über ein Jahr; Übersetzungen und Gebühren sind eine Hürde.",
        cat.CAT_RECOGNITION,
        cat.P_IQ,
        "AG Arbeit und Anerkennung",
        S.MEASURE_DECIDED,
        380,
    ),
    IssueSeed(
        "Anträge nur noch digital",
        "Mehrere Stellen nehmen Anträge nur noch online an; ohne Gerät, Konto oder "
        "Sprachkenntnisse ist der Zugang versperrt.",
        cat.CAT_DIGITAL,
        None,
        None,
        S.VALIDATED,
        120,
    ),
    IssueSeed(
        "Keine Online-Termine für Aufenthaltsangelegenheiten",
        "Das Online-Terminportal zeigt für Aufenthaltsangelegenheiten keine freien Termine.",
        cat.CAT_APPOINTMENT,
        cat.P_BUERGERBUERO,
        None,
        S.RECEIVED,
        200,
    ),
    IssueSeed(
        "Wohnungsbesichtigungen nur mit Schufa-Auskunft",
        "Vermieter verlangen vor der Besichtigung Unterlagen, die Neuzugewanderte nicht haben.",
        cat.CAT_HOUSING,
        None,
        None,
        S.RECEIVED,
        20,
    ),
    IssueSeed(
        "Einzelne Beschwerde über Öffnungszeiten",
        "Öffnungszeiten einer Beratungsstelle passen nicht zu Schichtarbeit.",
        cat.CAT_FORMS,
        None,
        None,
        S.REJECTED,
        250,
        "low",
    ),
)


def _walk(issue: StructuralIssue, target: IssueStatus, day: dt.date) -> None:
    """Move ``issue`` along the state machine up to ``target`` (side exits directly)."""
    if target is S.REJECTED:
        change_status(issue, target, day, reason="Einzelfall, kein Strukturthema")
        return
    for status in FORWARD[1 : FORWARD.index(target) + 1]:
        change_status(
            issue,
            status,
            day,
            effect_rating="effective",
            effect_justification="Barrieren je 100 offene Fälle deutlich gesunken",
        )


def _quarter_start(day: dt.date, quarters_back: int) -> dt.date:
    index = day.year * 4 + (day.month - 1) // 3 - quarters_back
    return dt.date(index // 4, index % 4 * 3 + 1, 1)


def seed_system_level(session: Session, today: dt.date) -> int:
    """The register; returns the number of structural issues written."""
    categories = dict(session.execute(select(BarrierCategory.name, BarrierCategory.id)).all())
    partners = dict(session.execute(select(Partner.name, Partner.id)).all())
    groups = {
        name: WorkingGroup(name=name, sort_order=index) for index, name in enumerate(WORKING_GROUPS)
    }
    session.add_all(groups.values())
    session.flush()
    issues: dict[str, StructuralIssue] = {}
    for seed in ISSUES:
        reported_on = today - dt.timedelta(days=seed.reported_days_ago)
        issue = new_issue(
            session,
            title=seed.title,
            description=seed.description,
            category_id=categories[seed.category],
            today=reported_on,
            partner_id=partners.get(seed.partner or ""),
            responsible_partner_id=partners.get(seed.partner or ""),
            working_group_id=groups[seed.working_group].id if seed.working_group else None,
            priority=seed.priority,
        )
        _walk(issue, seed.status, reported_on + dt.timedelta(days=30))
        issues[seed.title] = issue
    session.flush()
    # Barriers "an Systemebene gemeldet" of every organisation feed the issue of their category.
    for seed in ISSUES:
        if seed.status is S.REJECTED:
            continue
        issue = issues[seed.title]
        session.execute(
            update(Barrier)
            .where(
                Barrier.category_id == categories[seed.category],
                Barrier.status == BarrierStatus.REPORTED,
                Barrier.structural_issue_id.is_(None),
            )
            .values(structural_issue_id=issue.id)
        )
    appointments = issues["Wartezeiten auf Termine bei der Ausländerbehörde"]
    merge_issue(
        session,
        issues["Keine Online-Termine für Aufenthaltsangelegenheiten"],
        appointments,
        today - dt.timedelta(days=150),
    )
    hotline = issues["Hotline des Jobcenters kaum erreichbar"]
    recognition = issues["Anerkennung ausländischer Berufsabschlüsse dauert zu lange"]
    language = issues["Fehlende Sprachmittlung bei Arztterminen"]

    steering = Meeting(
        kind=MeetingKind.STEERING_GROUP,
        held_on=_quarter_start(today, 4) + dt.timedelta(days=20),
        title="Lenkungsgruppe KIM Düsseldorf",
    )
    steering.items.extend(
        [
            AgendaItem(
                issue=hotline,
                position=1,
                decision="Rückrufservice für KIM-Case-Management beim Jobcenter einrichten.",
            ),
            AgendaItem(
                issue=appointments,
                position=2,
                decision="Terminkontingent für KIM-Fälle bei der Ausländerbehörde.",
            ),
            AgendaItem(
                issue=recognition,
                position=3,
                decision="Lotsenstelle Anerkennung mit dem IQ Netzwerk prüfen.",
            ),
        ]
    )
    working = Meeting(
        kind=MeetingKind.WORKING_GROUP,
        held_on=today - dt.timedelta(days=25),
        title="AG Gesundheit und Sprachmittlung",
        working_group_id=groups["AG Gesundheit und Sprachmittlung"].id,
    )
    working.items.append(
        AgendaItem(
            issue=language,
            position=1,
            decision="Bedarf an Sprachmittlung je Praxis erheben; Finanzierung klären.",
        )
    )
    session.add_all([steering, working])
    session.flush()
    decided = steering.held_on
    processing = categories[cat.CAT_PROCESSING_TIME]
    measures = [
        Measure(
            issue=hotline,
            title="Rückrufservice für KIM-Case-Management",
            responsible_partner_id=partners.get(cat.P_JOBCENTER),
            responsible_function="Bereichsleitung Leistung",
            meeting=steering,
            decided_on=decided,
            due_on=decided + dt.timedelta(days=60),
            status=MeasureStatus.IMPLEMENTED,
            implemented_on=_quarter_start(today, 3) + dt.timedelta(days=10),
            indicator_category_id=processing,
            indicator_quarters=2,
        ),
        Measure(
            issue=appointments,
            title="Terminkontingent für KIM-Fälle",
            responsible_partner_id=partners.get(cat.P_AUSLAENDERBEHOERDE),
            responsible_function="Amtsleitung",
            meeting=steering,
            decided_on=decided,
            due_on=today - dt.timedelta(days=30),
            status=MeasureStatus.IN_IMPLEMENTATION,
            indicator_category_id=categories[cat.CAT_APPOINTMENT],
            indicator_quarters=2,
        ),
        Measure(
            issue=recognition,
            title="Lotsenstelle Anerkennung",
            responsible_partner_id=partners.get(cat.P_IQ),
            responsible_function="Projektleitung",
            meeting=steering,
            decided_on=decided,
            due_on=today + dt.timedelta(days=60),
            status=MeasureStatus.PLANNED,
        ),
        Measure(
            issue=appointments,
            title="Zusätzliche Samstagstermine",
            responsible_partner_id=partners.get(cat.P_AUSLAENDERBEHOERDE),
            responsible_function="Amtsleitung",
            meeting=steering,
            decided_on=decided,
            due_on=decided + dt.timedelta(days=90),
            status=MeasureStatus.DISCARDED,
        ),
    ]
    session.add_all(measures)
    session.flush()
    return len(issues)
