"""Auskunft nach Art. 15 DSGVO: everything stored about one client, as tables.

One table per kind of record (client, cases, contacts, barriers, referrals with their
recipients, audit events about these records). Every query is bound to the client's
id and organisation, so the tables hold that person's rows and nothing else. The caller
(the admin view) has already checked that the client belongs to the user's organisation.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from models.audit import AuditAction, AuditEvent
from models.barrier import Barrier
from models.case import Case, Contact
from models.choices import (
    DISTRICTS,
    AgreementForm,
    BarrierStatus,
    BenefitsDomain,
    CasePhase,
    ClosureReason,
    ConsentForm,
    ConsentKind,
    ConsentPurpose,
    ContactKind,
    DataCategory,
    Gender,
    GoalStatus,
    PartnerKind,
    PlanStatus,
    ReferralStatus,
    ResidenceStatus,
    StatusKind,
    StatusSource,
    StatutoryBasis,
    StepResponsible,
    TaskKind,
    TaskStatus,
    country_name,
)
from models.client import Client
from models.consent import Consent
from models.labels import label, labels, record_type_label
from models.organisation import Organisation
from models.permissions import Principal
from models.plan import IntegrationPlan, PlanGoal, PlanStep
from models.referral import Referral
from models.status_history import StatusPeriod
from models.tasks import Task
from models.visibility import Shelf, visible_criteria

Cell = str | int | bool | dt.date | dt.datetime | None
DISTRICT_NAMES = dict(DISTRICTS)


@dataclass(frozen=True)
class AccessTable:
    filename: str
    title: str
    header: list[str]
    rows: list[list[Cell]]


def _client_table(client: Client, organisation: Organisation) -> AccessTable:
    fields: Sequence[tuple[str, Cell]] = (
        ("organisation", organisation.name),
        ("file_number", client.file_number),
        ("first_name", client.first_name),
        ("last_name", client.last_name),
        ("date_of_birth", client.date_of_birth),
        ("gender", Gender.label_of(client.gender)),
        ("country_of_origin", country_name(client.country_of_origin)),
        ("nationality", country_name(client.nationality)),
        ("languages", client.languages),
        ("needs_interpreter", client.needs_interpreter),
        ("arrival_date", client.arrival_date),
        ("residence_status", ResidenceStatus.label_of(client.residence_status)),
        ("benefits_domain", BenefitsDomain.label_of(client.benefits_domain)),
        ("household_size", client.household_size),
        ("phone", client.phone),
        ("email", client.email),
        ("street", client.street),
        ("postcode", client.postcode),
        ("district", DISTRICT_NAMES.get(client.district or 0)),
        ("consent_given_on", client.consent_given_on),
        ("consent_withdrawn_on", client.consent_withdrawn_on),
        ("notes", client.notes),
        ("archived_at", client.archived_at),
        ("created_at", client.created_at),
        ("updated_at", client.updated_at),
    )
    return AccessTable(
        "klient_in.csv",
        "Stammdaten",
        [label(name) for name, _value in fields],
        [[value for _name, value in fields]],
    )


def _case_table(cases: list[Case]) -> AccessTable:
    header = labels(
        "case_number",
        "case_manager",
        "opened_on",
        "phase",
        "topics",
        "goals",
        "closed_on",
        "closure_reason",
        "archived_at",
    )
    rows: list[list[Cell]] = [
        [
            case.case_number,
            case.case_manager.full_name,
            case.opened_on,
            CasePhase.label_of(case.phase),
            ", ".join(topic.name for topic in case.topics),
            case.goals,
            case.closed_on,
            ClosureReason.label_of(case.closure_reason),
            case.archived_at,
        ]
        for case in cases
    ]
    return AccessTable("faelle.csv", "Fälle", header, rows)


def subject_access_tables(session: Session, user: Principal, client: Client) -> list[AccessTable]:
    """The Art. 15 tables of ``client``, in the order of the README.

    Archived records too (``Shelf.ANY``): their data is still stored, so it is part of
    the answer.
    """
    organisation = session.get_one(Organisation, client.organisation_id)
    cases = list(
        session.scalars(
            select(Case)
            .where(Case.client_id == client.id, *visible_criteria(user, Case, shelf=Shelf.ANY))
            .options(selectinload(Case.topics), selectinload(Case.case_manager))
            .order_by(Case.opened_on, Case.id)
        )
    )
    case_ids = [case.id for case in cases]
    number_of = {case.id: case.case_number for case in cases}

    def of_cases(model: Any, *order: Any) -> list[Any]:
        return list(
            session.scalars(
                select(model)
                .where(model.case_id.in_(case_ids), *visible_criteria(user, model, shelf=Shelf.ANY))
                .order_by(*order, model.id)
            )
        )

    def of_client(model: Any, *order: Any) -> list[Any]:
        return list(
            session.scalars(
                select(model)
                .where(
                    model.client_id == client.id,
                    *visible_criteria(user, model, shelf=Shelf.ANY),
                )
                .order_by(*order, model.id)
            )
        )

    periods: list[StatusPeriod] = of_client(
        StatusPeriod, StatusPeriod.kind, StatusPeriod.valid_from
    )
    consents: list[Consent] = of_client(Consent, Consent.signed_on)
    contacts: list[Contact] = of_cases(Contact, Contact.contact_date)
    barriers: list[Barrier] = of_cases(Barrier, Barrier.observed_on)
    referrals: list[Referral] = of_cases(Referral, Referral.referred_on)
    plan_tables, plan_ids = _plan_tables(of_cases, number_of)
    return [
        _client_table(client, organisation),
        _case_table(cases),
        AccessTable(
            "kontakte.csv",
            "Kontakte",
            labels("case_number", "contact_date", "kind", "minutes", "note"),
            [
                [
                    number_of[c.case_id],
                    c.contact_date,
                    ContactKind.label_of(c.kind),
                    c.minutes,
                    c.note,
                ]
                for c in contacts
            ],
        ),
        AccessTable(
            "barrieren.csv",
            "Dokumentierte Barrieren",
            labels(
                "case_number",
                "category",
                "partner",
                "observed_on",
                "description",
                "status",
                "resolved_on",
            ),
            [
                [
                    number_of[b.case_id],
                    b.category.name,
                    b.partner.name if b.partner else None,
                    b.observed_on,
                    b.description,
                    BarrierStatus.label_of(b.status),
                    b.resolved_on,
                ]
                for b in barriers
            ],
        ),
        AccessTable(
            "vermittlungen.csv",
            "Vermittlungen und Empfänger (Art. 15 Abs. 1 lit. c DSGVO)",
            [
                label("case_number"),
                "Empfänger",
                "Art des Empfängers",
                *labels(
                    "topic",
                    "purpose",
                    "reason",
                    "consent_confirmed",
                    "statutory_basis",
                    "consent_withdrawn_on",
                    "referred_on",
                    "follow_up_on",
                    "status",
                    "responded_on",
                    "outcome",
                    "decline_reason",
                ),
            ],
            [
                [
                    number_of[r.case_id],
                    r.partner.name,
                    PartnerKind.label_of(r.partner.kind),
                    r.topic.name if r.topic else None,
                    ConsentPurpose.label_of(r.purpose),
                    r.reason,
                    r.consent_confirmed,
                    StatutoryBasis.label_of(r.statutory_basis),
                    r.consent_withdrawn_on,
                    r.referred_on,
                    r.follow_up_on,
                    ReferralStatus.label_of(r.status),
                    r.responded_on,
                    r.outcome,
                    r.decline_reason,
                ]
                for r in referrals
            ],
        ),
        *plan_tables,
        _period_table(periods),
        _consent_table(consents),
        _audit_table(
            session,
            user,
            {
                "Client": [client.id],
                "StatusPeriod": [p.id for p in periods],
                "Consent": [c.id for c in consents],
                "Case": case_ids,
                "Contact": [c.id for c in contacts],
                "Barrier": [b.id for b in barriers],
                "Referral": [r.id for r in referrals],
                **plan_ids,
            },
        ),
    ]


def _period_table(periods: list[StatusPeriod]) -> AccessTable:
    return AccessTable(
        "statusverlauf.csv",
        "Statusverlauf (Aufenthalt, Rechtskreis, zuständige Stelle)",
        labels("kind", "value", "valid_from", "valid_until", "source", "title_expires_on"),
        [
            [
                StatusKind.label_of(p.kind),
                p.value_label,
                p.valid_from,
                p.valid_until,
                StatusSource.label_of(p.source),
                p.title_expires_on,
            ]
            for p in periods
        ],
    )


def _consent_table(consents: list[Consent]) -> AccessTable:
    return AccessTable(
        "einwilligungen.csv",
        "Einwilligungen (Empfänger, Zwecke, Datenarten)",
        labels(
            "kind",
            "recipients",
            "purposes",
            "data_categories",
            "form",
            "language",
            "interpreter",
            "signed_on",
            "valid_until",
            "withdrawn_on",
            "note",
            "scan_reference",
        ),
        [
            [
                ConsentKind.label_of(c.kind),
                ", ".join(partner.name for partner in c.recipients),
                ", ".join(str(ConsentPurpose.label_of(code)) for code in c.purpose_codes),
                ", ".join(str(DataCategory.label_of(code)) for code in c.category_codes),
                ConsentForm.label_of(c.form),
                c.language,
                c.interpreter,
                c.signed_on,
                c.valid_until,
                c.withdrawn_on,
                c.note,
                c.scan_reference,
            ]
            for c in consents
        ],
    )


def _audit_table(
    session: Session, user: Principal, record_ids: dict[str, list[int]]
) -> AccessTable:
    """Who did what with these records, when: the trail's events about them."""
    about = [
        (AuditEvent.record_type == record_type) & AuditEvent.record_id.in_(ids)
        for record_type, ids in record_ids.items()
        if ids
    ]
    events = session.scalars(
        select(AuditEvent)
        .where(*visible_criteria(user, AuditEvent), or_(*about))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    rows: list[list[Cell]] = [
        [
            event.occurred_at,
            AuditAction.label_of(event.action),
            record_type_label(event.record_type),
            event.record_id,
            ", ".join(sorted(json.loads(event.changed_fields or "{}"))),
        ]
        for event in events
    ]
    return AccessTable(
        "protokoll.csv",
        "Protokoll der Verarbeitung",
        ["Zeitpunkt", "Vorgang", "Datensatzart", "Datensatz-Nr.", "Geänderte Felder"],
        rows,
    )


def _plan_tables(
    of_cases: Callable[..., list[Any]], number_of: dict[int, str]
) -> tuple[list[AccessTable], dict[str, list[int]]]:
    """The Integrationspläne (issue 15): plans, goals with their steps, tasks."""
    plans: list[IntegrationPlan] = of_cases(IntegrationPlan, IntegrationPlan.revision)
    goals: list[PlanGoal] = of_cases(PlanGoal, PlanGoal.plan_id)
    steps: list[PlanStep] = of_cases(PlanStep, PlanStep.goal_id)
    tasks: list[Task] = of_cases(Task, Task.due_on)
    revision_of = {plan.id: plan.revision for plan in plans}
    goal_of = {goal.id: goal for goal in goals}
    tables = [
        AccessTable(
            "integrationsplaene.csv",
            "Integrationspläne",
            labels(
                "case_number",
                "revision",
                "status",
                "agreed_on",
                "agreement_form",
                "language",
                "interpreter_used",
                "review_on",
                "notes",
            ),
            [
                [
                    number_of[p.case_id],
                    p.revision,
                    PlanStatus.label_of(p.status),
                    p.agreed_on,
                    AgreementForm.label_of(p.agreement_form),
                    p.language,
                    p.interpreter_used,
                    p.review_on,
                    p.notes,
                ]
                for p in plans
            ],
        ),
        AccessTable(
            "ziele_und_schritte.csv",
            "Ziele und Schritte der Integrationspläne",
            [
                *labels("case_number", "revision", "topic", "text", "target_on"),
                "Status des Ziels",
                "Schritt",
                *labels("responsible", "partner", "due_on", "done_on"),
            ],
            [
                [
                    number_of[g.case_id],
                    revision_of.get(g.plan_id),
                    g.topic.name,
                    g.text,
                    g.target_on,
                    GoalStatus.label_of(g.status),
                    None,
                    None,
                    None,
                    None,
                    None,
                ]
                for g in goals
            ]
            + [
                [
                    number_of[st.case_id],
                    revision_of.get(goal_of[st.goal_id].plan_id) if st.goal_id in goal_of else None,
                    None,
                    goal_of[st.goal_id].text if st.goal_id in goal_of else None,
                    None,
                    None,
                    st.description,
                    StepResponsible.label_of(st.responsible),
                    st.partner.name if st.partner else None,
                    st.due_on,
                    st.done_on,
                ]
                for st in steps
            ],
        ),
        AccessTable(
            "aufgaben.csv",
            "Aufgaben zu den Fällen",
            labels("case_number", "kind", "due_on", "done_on", "status", "note"),
            [
                [
                    number_of.get(t.case_id or 0),
                    TaskKind.label_of(t.kind),
                    t.due_on,
                    t.done_on,
                    TaskStatus.label_of(t.status),
                    t.note,
                ]
                for t in tasks
            ],
        ),
    ]
    record_ids = {
        "IntegrationPlan": [p.id for p in plans],
        "PlanGoal": [g.id for g in goals],
        "PlanStep": [st.id for st in steps],
        "Task": [t.id for t in tasks],
    }
    return tables, record_ids
