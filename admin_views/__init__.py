"""The admin panel: every screen and the permission each needs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from admin_views.archive import ArchivedCaseView, ArchivedClientView
from admin_views.audit import AuditEventView
from admin_views.casework import BarrierView, CaseView, ClientView, ContactView, ReferralView
from admin_views.catalogue import BarrierCategoryView, OrganisationView, PartnerView, TopicView
from admin_views.consents import ConsentTemplateView, ConsentView
from admin_views.plans import GoalView, PlanView, StepView
from admin_views.referral_tracking import ReferralTrackingView
from admin_views.start import StartView
from admin_views.statistics import StatisticsView
from admin_views.status_periods import StatusPeriodView
from admin_views.system_level import (
    SYSTEM_LEVEL,
    MeasureView,
    MeetingView,
    StructuralIssueView,
    WorkingGroupView,
)
from admin_views.tasks import TaskView, TeamView
from admin_views.users import UserView
from app.extensions import db
from models import (
    AuditEvent,
    Barrier,
    BarrierCategory,
    Case,
    Client,
    Consent,
    ConsentTemplate,
    Contact,
    IntegrationPlan,
    Measure,
    Meeting,
    Organisation,
    Partner,
    PlanGoal,
    PlanStep,
    Referral,
    StatusPeriod,
    StructuralIssue,
    Task,
    Topic,
    User,
    WorkingGroup,
)

TRANSLATIONS = Path(__file__).parent / "translations"
CASEWORK = _l("Fallarbeit")
SETTINGS = _l("Einstellungen")


def register_admin(app: Flask, *, csp_nonce_generator: Callable[[], str]) -> Admin:
    admin = Admin(
        app,
        name="KIM Admin",
        theme=Bootstrap4Theme(swatch="default", base_template="admin/kim_base.html"),
        index_view=StartView(name=_l("Start"), url="/admin", template="admin/start.html"),
        csp_nonce_generator=csp_nonce_generator,
        # German for the few messages Flask-Admin's own catalogue leaves in English.
        translations_path=str(TRANSLATIONS),
    )
    session = db  # Flask-Admin resolves db.session per request
    admin.add_view(
        ClientView(
            Client,
            session,
            name=_l("Klient*innen"),
            endpoint="clients",
            url="clients",
            category=CASEWORK,
        )
    )
    admin.add_view(
        CaseView(Case, session, name=_l("Fälle"), endpoint="cases", url="cases", category=CASEWORK)
    )
    admin.add_view(
        ContactView(
            Contact,
            session,
            name=_l("Kontakte"),
            endpoint="contacts",
            url="contacts",
            category=CASEWORK,
        )
    )
    admin.add_view(
        BarrierView(
            Barrier,
            session,
            name=_l("Barrieren"),
            endpoint="barriers",
            url="barriers",
            category=CASEWORK,
        )
    )
    admin.add_view(
        ReferralView(
            Referral,
            session,
            name=_l("Vermittlungen"),
            endpoint="referrals",
            url="referrals",
            category=CASEWORK,
        )
    )
    admin.add_view(
        ReferralTrackingView(
            name=_l("Vermittlungen verfolgen"),
            endpoint="referral_tracking",
            url="referral-tracking",
            category=CASEWORK,
        )
    )
    admin.add_view(
        PartnerView(
            Partner,
            session,
            name=_l("Partner"),
            endpoint="partners",
            url="partners",
            category=SETTINGS,
        )
    )
    admin.add_view(
        BarrierCategoryView(
            BarrierCategory,
            session,
            name=_l("Barriere-Kategorien"),
            endpoint="barrier_categories",
            url="barrier-categories",
            category=SETTINGS,
        )
    )
    admin.add_view(
        TopicView(
            Topic,
            session,
            name=_l("Handlungsfelder"),
            endpoint="topics",
            url="topics",
            category=SETTINGS,
        )
    )
    admin.add_view(
        OrganisationView(
            Organisation,
            session,
            name=_l("Organisationen"),
            endpoint="organisations",
            url="organisations",
            category=SETTINGS,
        )
    )
    admin.add_view(
        UserView(
            User,
            session,
            name=_l("Benutzer*innen"),
            endpoint="users",
            url="users",
            category=SETTINGS,
        )
    )
    register_status_and_consents(admin)
    admin.add_view(
        StatisticsView(
            name=_l("Statistik"), endpoint="statistics", url="statistics", category=_l("Berichte")
        )
    )
    register_archive_and_audit(admin)
    register_system_level(admin)
    register_plans_and_tasks(admin)
    return admin


def register_system_level(admin: Admin) -> None:
    """The system level: structural issues, measures, meetings; working groups (settings)."""
    admin.add_view(
        StructuralIssueView(
            StructuralIssue,
            db,
            name=_l("Strukturthemen"),
            endpoint="structural_issues",
            url="structural-issues",
            category=SYSTEM_LEVEL,
        )
    )
    admin.add_view(
        MeasureView(
            Measure,
            db,
            name=_l("Maßnahmen"),
            endpoint="measures",
            url="measures",
            category=SYSTEM_LEVEL,
        )
    )
    admin.add_view(
        MeetingView(
            Meeting,
            db,
            name=_l("Sitzungen"),
            endpoint="meetings",
            url="meetings",
            category=SYSTEM_LEVEL,
        )
    )
    admin.add_view(
        WorkingGroupView(
            WorkingGroup,
            db,
            name=_l("Arbeitsgruppen"),
            endpoint="working_groups",
            url="working-groups",
            category=SETTINGS,
        )
    )


def register_status_and_consents(admin: Admin) -> None:
    """Issue 16: status periods per client, consents as records, the form templates."""
    admin.add_view(
        StatusPeriodView(
            StatusPeriod,
            db,
            name=_l("Statusverlauf"),
            endpoint="status_periods",
            url="status-periods",
            category=CASEWORK,
        )
    )
    admin.add_view(
        ConsentView(
            Consent,
            db,
            name=_l("Einwilligungen"),
            endpoint="consents",
            url="consents",
            category=CASEWORK,
        )
    )
    admin.add_view(
        ConsentTemplateView(
            ConsentTemplate,
            db,
            name=_l("Einwilligungsvorlagen"),
            endpoint="consent_templates",
            url="consent-templates",
            category=SETTINGS,
        )
    )


def register_archive_and_audit(admin: Admin) -> None:
    archive = _l("Archiv")
    admin.add_view(
        ArchivedClientView(
            Client,
            db,
            name=_l("Archivierte Klient*innen"),
            endpoint="archive_clients",
            url="archive-clients",
            category=archive,
        )
    )
    admin.add_view(
        ArchivedCaseView(
            Case,
            db,
            name=_l("Archivierte Fälle"),
            endpoint="archive_cases",
            url="archive-cases",
            category=archive,
        )
    )
    admin.add_view(
        AuditEventView(
            AuditEvent, db, name=_l("Protokoll"), endpoint="audit", url="audit", category=archive
        )
    )


def register_plans_and_tasks(admin: Admin) -> None:
    """Integrationsplan, Ziele, Schritte, Aufgaben and the team view (issue 15)."""
    admin.add_view(
        PlanView(
            IntegrationPlan,
            db,
            name=_l("Integrationspläne"),
            endpoint="plans",
            url="plans",
            category=CASEWORK,
        )
    )
    admin.add_view(
        GoalView(
            PlanGoal,
            db,
            name=_l("Ziele"),
            endpoint="plan_goals",
            url="plan-goals",
            category=CASEWORK,
        )
    )
    admin.add_view(
        StepView(
            PlanStep,
            db,
            name=_l("Schritte"),
            endpoint="plan_steps",
            url="plan-steps",
            category=CASEWORK,
        )
    )
    admin.add_view(
        TaskView(Task, db, name=_l("Aufgaben"), endpoint="tasks", url="tasks", category=CASEWORK)
    )
    admin.add_view(TeamView(name=_l("Team"), endpoint="team", url="team", category=CASEWORK))
