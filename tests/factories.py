"""Small builders for test data. Every case-level record carries an organisation."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import cache

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.clock import today
from models import (
    Barrier,
    BarrierCategory,
    Case,
    Client,
    Contact,
    Organisation,
    Partner,
    Referral,
    Topic,
    User,
)
from models.choices import (
    AgreementForm,
    ConsentKind,
    ConsentPurpose,
    GoalStatus,
    PlanStatus,
    ReferralStatus,
    Role,
    StepResponsible,
    TaskKind,
)
from models.consent import Consent, ConsentTemplate
from models.plan import IntegrationPlan, PlanGoal, PlanStep, default_review_on
from models.status_history import StatusPeriod, open_period
from models.structural import AgendaItem, Measure, Meeting, WorkingGroup, new_issue
from models.tasks import Task

PASSWORD = "richtig-langes-Test-Passwort"
# The day the suite's clock stands still on (tests/conftest.py); CI also runs other days.
TODAY = dt.date.fromisoformat(os.environ.get("KIM_TEST_TODAY") or "2026-11-25")
# The days of the fixture records, as far before TODAY as they were before 25.11.2026.
CONSENT_GIVEN_ON = TODAY - dt.timedelta(days=324)  # 05.01.2026 by default
OPENED_ON = TODAY - dt.timedelta(days=297)  # 01.02.2026
CONTACT_ON = OPENED_ON + dt.timedelta(days=2)  # 03.02.2026
OBSERVED_ON = TODAY - dt.timedelta(days=269)  # 01.03.2026
REFERRED_ON = OBSERVED_ON + dt.timedelta(days=1)  # 02.03.2026
FOLLOW_UP_ON = REFERRED_ON + dt.timedelta(days=14)  # 16.03.2026: overdue


@cache
def cheap_password_hash() -> str:
    """Tests log in hundreds of times; the production cost (600,000 rounds) is tested apart."""
    return generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")


def make_organisation(session: Session, slug: str, name: str | None = None) -> Organisation:
    organisation = Organisation(slug=slug, name=name or f"{slug.upper()} Düsseldorf")
    session.add(organisation)
    session.flush()
    return organisation


def make_user(
    session: Session,
    role: Role,
    organisation: Organisation | None = None,
    email: str | None = None,
    full_name: str | None = None,
) -> User:
    slug = organisation.slug if organisation else "kim"
    user = User(
        email=email or f"{role.value}.{slug}@example.org",
        full_name=full_name or f"{role.label} {slug.upper()}",
        role=role.value,
        organisation=organisation,
        password_hash=cheap_password_hash(),
    )
    session.add(user)
    session.flush()
    return user


def make_client(
    session: Session, organisation: Organisation, author: User, **values: object
) -> Client:
    """A client numbered from the organisation's sequence, as the app numbers them."""
    client = Client(
        organisation_id=organisation.id,
        first_name=values.pop("first_name", "Amina"),
        last_name=values.pop("last_name", f"Beispiel-{organisation.slug}"),
        consent_given_on=values.pop("consent_given_on", CONSENT_GIVEN_ON),
        created_by_id=author.id,
        updated_by_id=author.id,
        **values,
    )
    client.assign_file_number(session, organisation, today())
    session.add(client)
    session.flush()
    return client


def make_case(session: Session, client: Client, manager: User, **values: object) -> Case:
    case = Case(
        organisation_id=client.organisation_id,
        client=client,
        case_manager=manager,
        opened_on=values.pop("opened_on", OPENED_ON),
        created_by_id=manager.id,
        updated_by_id=manager.id,
        **values,
    )
    case.assign_case_number(session, client.organisation, today())
    session.add(case)
    session.flush()
    return case


def make_contact(session: Session, case: Case, **values: object) -> Contact:
    contact = Contact(
        organisation_id=case.organisation_id,
        case=case,
        contact_date=values.pop("contact_date", CONTACT_ON),
        note=values.pop("note", "Erstgespräch"),
        **values,
    )
    session.add(contact)
    session.flush()
    return contact


def make_category(
    session: Session, name: str = "Lange Bearbeitungszeiten", **values: object
) -> BarrierCategory:
    category = BarrierCategory(name=name, **values)
    session.add(category)
    session.flush()
    return category


def make_topic(session: Session, name: str = "Arbeit und Beruf", **values: object) -> Topic:
    topic = Topic(name=name, **values)
    session.add(topic)
    session.flush()
    return topic


def make_partner(session: Session, name: str = "Jobcenter Düsseldorf", **values: object) -> Partner:
    partner = Partner(name=name, kind=values.pop("kind", "jobcenter"), **values)
    session.add(partner)
    session.flush()
    return partner


def make_barrier(
    session: Session, case: Case, category: BarrierCategory, **values: object
) -> Barrier:
    barrier = Barrier(
        organisation_id=case.organisation_id,
        case=case,
        category=category,
        observed_on=values.pop("observed_on", OBSERVED_ON),
        description=values.pop("description", "Termin erst in drei Monaten"),
        **values,
    )
    session.add(barrier)
    session.flush()
    return barrier


def make_referral(session: Session, case: Case, partner: Partner, **values: object) -> Referral:
    referred_on = values.pop("referred_on", REFERRED_ON)
    status = values.pop("status", ReferralStatus.SENT)
    referral = Referral(
        organisation_id=case.organisation_id,
        case=case,
        partner=partner,
        referred_on=referred_on,
        follow_up_on=values.pop("follow_up_on", referred_on + dt.timedelta(days=14)),
        status=status,
        consent_confirmed=values.pop("consent_confirmed", status != ReferralStatus.PLANNED),
        reason=values.pop("reason", "Unterstützung bei der Arbeitssuche"),
        **values,
    )
    session.add(referral)
    session.flush()
    return referral


AGREED_ON = OPENED_ON + dt.timedelta(days=30)  # 03.03.2026


def make_plan(session: Session, case: Case, **values: object) -> IntegrationPlan:
    status = values.pop("status", PlanStatus.AGREED)
    agreed = status != PlanStatus.DRAFT
    agreed_on = values.pop("agreed_on", AGREED_ON if agreed else None)
    plan = IntegrationPlan(
        organisation_id=case.organisation_id,
        case_id=case.id,
        revision=values.pop("revision", 1),
        status=status,
        agreed_on=agreed_on,
        agreement_form=values.pop("agreement_form", AgreementForm.SIGNED if agreed else None),
        review_on=values.pop(
            "review_on", default_review_on(agreed_on) if isinstance(agreed_on, dt.date) else None
        ),
        **values,
    )
    session.add(plan)
    session.flush()
    return plan


def make_goal(session: Session, plan: IntegrationPlan, topic: Topic, **values: object) -> PlanGoal:
    goal = PlanGoal(
        organisation_id=plan.organisation_id,
        plan=plan,
        case_id=plan.case_id,
        topic=topic,
        text=values.pop("text", "Ich möchte als Pflegehelferin arbeiten."),
        status=values.pop("status", GoalStatus.IN_PROGRESS),
        **values,
    )
    session.add(goal)
    session.flush()
    return goal


def make_step(session: Session, goal: PlanGoal, **values: object) -> PlanStep:
    step = PlanStep(
        organisation_id=goal.organisation_id,
        goal=goal,
        case_id=goal.case_id,
        description=values.pop("description", "Termin bei der Pflegeschule vereinbaren"),
        responsible=values.pop("responsible", StepResponsible.CLIENT),
        due_on=values.pop("due_on", TODAY + dt.timedelta(days=7)),
        **values,
    )
    session.add(step)
    session.flush()
    return step


def make_task(session: Session, assignee: User, **values: object) -> Task:
    case = values.pop("case", None)
    task = Task(
        organisation_id=values.pop("organisation_id", assignee.organisation_id),
        case=case,
        assignee=assignee,
        kind=values.pop("kind", TaskKind.CALL_BACK),
        due_on=values.pop("due_on", TODAY),
        note=values.pop("note", "Rückruf wegen Wohnungsbesichtigung"),
        **values,
    )
    session.add(task)
    session.flush()
    return task


def make_consent(
    session: Session, client: Client, recipients: list[Partner], **values: object
) -> Consent:
    """A consent to share name and contact with ``recipients`` for their support."""
    consent = Consent(
        organisation_id=client.organisation_id,
        client=client,
        kind=values.pop("kind", ConsentKind.DISCLOSURE.value),
        purposes=values.pop("purposes", ConsentPurpose.SUPPORT.value),
        data_categories=values.pop("data_categories", "contact,identity"),
        form=values.pop("form", "written"),
        signed_on=values.pop("signed_on", CONSENT_GIVEN_ON),
        created_by_id=client.created_by_id,
        updated_by_id=client.created_by_id,
        **values,
    )
    consent.recipients.extend(recipients)
    session.add(consent)
    session.flush()
    return consent


def client_period(session: Session, client: Client, kind: str) -> StatusPeriod:
    """The client's open period of ``kind`` (the client's own value made it)."""
    period = open_period(session, client.id, kind)
    assert period is not None, kind
    return period


@dataclass(frozen=True)
class OrgRecords:
    """Ids and names of one organisation's fixture records."""

    organisation_id: int
    slug: str
    case_manager_email: str
    lead_email: str
    case_manager_id: int
    client_id: int
    client_name: str
    case_id: int
    contact_id: int
    barrier_id: int
    referral_id: int
    plan_id: int = 0
    goal_id: int = 0
    step_id: int = 0
    task_id: int = 0
    lead_id: int = 0
    # issue 16: the client's consent to share with the world's partner, its residence period
    consent_id: int = 0
    status_period_id: int = 0
    consent_template_id: int = 0


@dataclass(frozen=True)
class World:
    """Two organisations with one record of each kind, plus the shared catalogue."""

    a: OrgRecords
    b: OrgRecords
    coordinator_email: str
    admin_email: str
    category_id: int
    topic_id: int
    partner_id: int
    # The system level (models.structural): one record of each kind, no organisation.
    issue_id: int = 0
    measure_id: int = 0
    meeting_id: int = 0
    working_group_id: int = 0

    def record_id(self, org: OrgRecords, endpoint: str) -> int:
        return {
            "clients": org.client_id,
            "cases": org.case_id,
            "contacts": org.contact_id,
            "barriers": org.barrier_id,
            "referrals": org.referral_id,
            "plans": org.plan_id,
            "plan_goals": org.goal_id,
            "plan_steps": org.step_id,
            "tasks": org.task_id,
            "consents": org.consent_id,
            "status_periods": org.status_period_id,
            "consent_templates": org.consent_template_id,
        }[endpoint]


def build_world(session: Session) -> World:
    category = make_category(session)
    topic = make_topic(session)
    partner = make_partner(session)
    records = []
    for slug, first, last in (("awo", "Amina", "Haddad"), ("caritas", "Oleksandr", "Shevchenko")):
        organisation = make_organisation(session, slug)
        case_manager = make_user(session, Role.CASE_MANAGER, organisation)
        lead = make_user(session, Role.ORG_LEAD, organisation)
        client = make_client(
            session,
            organisation,
            case_manager,
            first_name=first,
            last_name=last,
            residence_status="permission_to_remain",
        )
        consent = make_consent(session, client, [partner])
        period = client_period(session, client, "residence")
        template = ConsentTemplate(
            organisation_id=organisation.id,
            language="de",
            title=f"Einwilligungserklärung {slug.upper()}",
            body="Ich willige in die Weitergabe der unten genannten Daten ein.",
        )
        session.add(template)
        session.flush()
        case = make_case(session, client, case_manager)
        case.topics.append(topic)
        contact = make_contact(session, case)
        barrier = make_barrier(session, case, category, partner=partner)
        referral = make_referral(session, case, partner, topic=topic)
        plan = make_plan(session, case)
        goal = make_goal(session, plan, topic)
        step = make_step(session, goal, responsible=StepResponsible.PARTNER, partner=partner)
        task = make_task(session, case_manager, case=case)
        records.append(
            OrgRecords(
                organisation_id=organisation.id,
                slug=slug,
                case_manager_email=case_manager.email,
                lead_email=lead.email,
                case_manager_id=case_manager.id,
                client_id=client.id,
                client_name=last,
                case_id=case.id,
                contact_id=contact.id,
                barrier_id=barrier.id,
                referral_id=referral.id,
                plan_id=plan.id,
                goal_id=goal.id,
                step_id=step.id,
                task_id=task.id,
                lead_id=lead.id,
                consent_id=consent.id,
                status_period_id=period.id,
                consent_template_id=template.id,
            )
        )
    coordinator = make_user(session, Role.COORDINATOR)
    admin = make_user(session, Role.ADMIN)
    system = make_system_records(session, category)
    session.commit()
    return World(
        a=records[0],
        b=records[1],
        coordinator_email=coordinator.email,
        admin_email=admin.email,
        category_id=category.id,
        topic_id=topic.id,
        partner_id=partner.id,
        **system,
    )


def make_system_records(session: Session, category: BarrierCategory) -> dict[str, int]:
    """A structural issue (validated), a measure, a meeting about it, a working group."""
    group = WorkingGroup(name="AG Zugang zu Behörden")
    session.add(group)
    issue = new_issue(
        session,
        title="Wartezeiten auf Termine",
        category_id=category.id,
        today=today(),
        status="validated",
        working_group=group,
    )
    meeting = Meeting(kind="steering_group", held_on=today(), title="Lenkungsgruppe")
    meeting.items.append(AgendaItem(issue=issue, position=1, decision="AG beauftragt"))
    measure = Measure(issue=issue, title="Online-Terminvergabe", meeting=meeting)
    session.add_all([meeting, measure])
    session.flush()
    return {
        "issue_id": issue.id,
        "measure_id": measure.id,
        "meeting_id": meeting.id,
        "working_group_id": group.id,
    }
