"""SPEC §3 as one table: every route of the application, every role, the expected answer.

The table ``ROUTES`` is written from the specification, not read from the views. A route the
table does not classify fails ``test_every_route_is_classified``, so a new screen stays red
until someone decides who may use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from flask_admin import BaseView
from flask_admin.model import BaseModelView
from sqlalchemy import Connection, select

from admin_views.base import KimModelView, OrgScopedModelView, ScopedAjaxLoader, SecureView
from admin_views.start import StartView
from models import Base, Client, OrgOwned
from tests.factories import (
    CONSENT_GIVEN_ON,
    CONTACT_ON,
    FOLLOW_UP_ON,
    OBSERVED_ON,
    OPENED_ON,
    REFERRED_ON,
    TODAY,
    World,
)

# Each test is rolled back to one world built for the module (tests/conftest.py).
pytestmark = pytest.mark.shared_world

# --- who asks ----------------------------------------------------------------------------
#
# Every role asks for the records of organisation a ("awo"). The two users of organisation b
# ("caritas") hold the same roles as a's users, so any difference in their answers comes from
# the records belonging to another organisation.

ANONYMOUS = "anonymous"
CASE_MANAGER = "case_manager"
ORG_LEAD = "org_lead"
COORDINATOR = "coordinator"
ADMIN = "admin"
OTHER_CASE_MANAGER = "other_org_case_manager"
OTHER_LEAD = "other_org_lead"
ROLES = (ANONYMOUS, CASE_MANAGER, ORG_LEAD, COORDINATOR, ADMIN, OTHER_CASE_MANAGER, OTHER_LEAD)

ROLE_EMAIL: dict[str, Callable[[World], str | None]] = {
    ANONYMOUS: lambda world: None,
    CASE_MANAGER: lambda world: world.a.case_manager_email,
    ORG_LEAD: lambda world: world.a.lead_email,
    COORDINATOR: lambda world: world.coordinator_email,
    ADMIN: lambda world: world.admin_email,
    OTHER_CASE_MANAGER: lambda world: world.b.case_manager_email,
    OTHER_LEAD: lambda world: world.b.lead_email,
}

# --- what they get -----------------------------------------------------------------------

OK = "200 ok"
LOGIN = "302 to the login page"
SIGNED_OUT = "302 to the login page, the session ended"
DONE = "302 elsewhere (saved, deleted, or passed on)"
INVALID = "200 form shown again, nothing saved"  # a link to a record the user may not see
FORBIDDEN = "403"
NOT_FOUND = "404"  # a foreign record answers exactly like a missing one

# --- the routes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """How to call one (endpoint, method) and what each role gets back."""

    method: str
    endpoint: str
    answers: dict[str, str]
    url_args: Callable[[World], dict[str, Any]] = lambda world: {}
    form: Callable[[World], dict[str, Any]] | None = None

    @property
    def key(self) -> str:
        return f"{self.method} {self.endpoint}"


def answers(*row: str) -> dict[str, str]:
    """One row of the matrix, in the order of ``ROLES``."""
    assert len(row) == len(ROLES), row
    return dict(zip(ROLES, row, strict=True))


A, L, D, I, F, N = OK, LOGIN, DONE, INVALID, FORBIDDEN, NOT_FOUND  # noqa: E741 - matrix cells

# Operations of a generated model view, each answered per role (columns in the order of ROLES):
#            anonymous  case_manager  org_lead  coordinator  admin  other_cm  other_lead
#
# Clients, cases, contacts, barriers, referrals: own organisation only (SPEC §3); case managers
# read, create, edit and export, leads also delete; coordination and admins see no casework.
# The other organisation's users get 404 for a's records, and 403 where their role alone
# already forbids the operation. New records of theirs that link to a's records are refused.
CASEWORK = {
    "list": answers(L, A, A, F, F, A, A),
    "details": answers(L, A, A, F, F, N, N),
    "edit_get": answers(L, A, A, F, F, N, N),
    "edit_post": answers(L, D, D, F, F, N, N),
    "new_get": answers(L, A, A, F, F, A, A),
    "new_post": answers(L, D, D, F, F, I, I),
    "delete": answers(L, F, D, F, F, F, N),
    # A bulk action only ever touches visible rows; b's lead deleting a's id deletes nothing
    # (asserted in test_scoping) and is redirected like for a missing id.
    "action": answers(L, F, D, F, F, F, D),
    "export": answers(L, A, A, F, F, A, A),
    "lookup": answers(L, A, A, F, F, A, A),
    # Editing inside the list is not offered anywhere: the route does not exist for editors.
    "ajax_update": answers(L, N, N, F, F, N, N),
}
# Clients link to nothing, so b's users simply create a client of their own; and the client
# form has no look-up field.
CLIENTS = {
    **CASEWORK,
    "new_post": answers(L, D, D, F, F, D, D),
    "lookup": answers(L, N, N, F, F, N, N),
}
# Partners: case managers read; leads read, create, edit; coordination and admins: full.
# Export of the shared catalogue counts as reading it (it holds no personal data).
# A partner in use is not deleted (it is deactivated), but the request is still answered with
# the list and a message: DONE.
PARTNERS = {
    "list": answers(L, A, A, A, A, A, A),
    "details": answers(L, A, A, A, A, A, A),
    "edit_get": answers(L, F, A, A, A, F, A),
    "edit_post": answers(L, F, D, D, D, F, D),
    "new_get": answers(L, F, A, A, A, F, A),
    "new_post": answers(L, F, D, D, D, F, D),
    "delete": answers(L, F, F, D, D, F, F),
    "action": answers(L, F, F, D, D, F, F),
    "export": answers(L, A, A, A, A, A, A),
    # The partner form has no look-up field: 404 for those who may open the form.
    "lookup": answers(L, F, N, N, N, F, N),
    "ajax_update": answers(L, F, N, N, N, F, N),
}
# Barrier categories and topics: every role reads; coordination and admins keep them.
CONFIGURATION = {
    "list": answers(L, A, A, A, A, A, A),
    "details": answers(L, A, A, A, A, A, A),
    "edit_get": answers(L, F, F, A, A, F, F),
    "edit_post": answers(L, F, F, D, D, F, F),
    "new_get": answers(L, F, F, A, A, F, F),
    "new_post": answers(L, F, F, D, D, F, F),
    "delete": answers(L, F, F, D, D, F, F),
    "action": answers(L, F, F, D, D, F, F),
    "export": answers(L, A, A, A, A, A, A),
    "lookup": answers(L, F, F, N, N, F, F),
    "ajax_update": answers(L, F, F, N, N, F, F),
}
# Organisations: the coordination reads, admins keep them. Every record refers to its
# organisation, so organisations are deactivated, never deleted (STYLE §7), and the list of
# eight is not exported.
ORGANISATIONS = {
    "list": answers(L, F, F, A, A, F, F),
    "details": answers(L, F, F, A, A, F, F),
    "edit_get": answers(L, F, F, F, A, F, F),
    "edit_post": answers(L, F, F, F, D, F, F),
    "new_get": answers(L, F, F, F, A, F, F),
    "new_post": answers(L, F, F, F, D, F, F),
    "delete": answers(L, F, F, F, F, F, F),
    "action": answers(L, F, F, F, F, F, F),
    "export": answers(L, F, F, F, F, F, F),
    "lookup": answers(L, F, F, F, N, F, F),
    "ajax_update": answers(L, F, F, F, N, F, F),
}
# Users (the record asked for is a's case manager): case managers their own profile, leads
# their organisation's team, admins everyone; the coordination none. Accounts are named in
# audit columns, so they are deactivated, never deleted; user lists are not exported; the user
# form has no look-up field.
USERS = {
    "list": answers(L, A, A, F, A, A, A),
    "details": answers(L, A, A, F, A, N, N),
    "edit_get": answers(L, A, A, F, A, N, N),
    "edit_post": answers(L, D, D, F, D, N, N),
    "new_get": answers(L, F, A, F, A, F, A),
    "new_post": answers(L, F, D, F, D, F, D),
    "delete": answers(L, F, F, F, F, F, F),
    "action": answers(L, F, F, F, F, F, F),
    "export": answers(L, F, F, F, F, F, F),
    "lookup": answers(L, F, F, F, F, F, F),
    "ajax_update": answers(L, N, N, F, N, N, N),
}

# Archive of clients and cases: team leads restore or erase their organisation's archived
# records (issue "Nothing lost"); the record asked for is a's *active* record, which the
# archive must not reach (404), and a bulk erase of it does nothing. Nothing is created,
# edited or exported there.
ARCHIVE = {
    "list": answers(L, F, A, F, F, F, A),
    "details": answers(L, F, N, F, F, F, N),
    "edit_get": answers(L, F, F, F, F, F, F),
    "edit_post": answers(L, F, F, F, F, F, F),
    "new_get": answers(L, F, F, F, F, F, F),
    "new_post": answers(L, F, F, F, F, F, F),
    "delete": answers(L, F, N, F, F, F, N),
    "action": answers(L, F, D, F, F, F, D),
    "export": answers(L, F, F, F, F, F, F),
    "lookup": answers(L, F, F, F, F, F, F),
    "ajax_update": answers(L, F, F, F, F, F, F),
}
# Audit trail: leads read their organisation's events, admins the events of configuration
# and sign-ins; nobody changes or deletes an event. The id asked for does not exist.
AUDIT = {
    "list": answers(L, F, A, F, A, F, A),
    "details": answers(L, F, N, F, N, F, N),
    "edit_get": answers(L, F, F, F, F, F, F),
    "edit_post": answers(L, F, F, F, F, F, F),
    "new_get": answers(L, F, F, F, F, F, F),
    "new_post": answers(L, F, F, F, F, F, F),
    "delete": answers(L, F, F, F, F, F, F),
    "action": answers(L, F, F, F, F, F, F),
    "export": answers(L, F, F, F, F, F, F),
    "lookup": answers(L, F, F, F, F, F, F),
    "ajax_update": answers(L, F, F, F, F, F, F),
}

# The system level (issue 14): the register of structural issues, measures and meetings has
# no persons and no organisation, so both organisations' case-level users read the same
# register; they propose issues, the coordination keeps the register, admins see none of
# it (they keep the working groups). Nothing is deleted (issues are closed, measures
# discarded); only the register of issues is exported (the CSV for Excel).
STRUCTURAL_ISSUES = {
    "list": answers(L, A, A, A, F, A, A),
    "details": answers(L, A, A, A, F, A, A),
    "edit_get": answers(L, F, F, A, F, F, F),
    "edit_post": answers(L, F, F, D, F, F, F),
    "new_get": answers(L, A, A, A, F, A, A),
    "new_post": answers(L, D, D, D, F, D, D),
    "delete": answers(L, F, F, F, F, F, F),
    "action": answers(L, F, F, F, F, F, F),
    "export": answers(L, A, A, A, F, A, A),
    "lookup": answers(L, N, N, N, F, N, N),
    "ajax_update": answers(L, F, F, N, F, F, F),
}
SYSTEM_RECORDS = {
    **STRUCTURAL_ISSUES,
    "new_get": answers(L, F, F, A, F, F, F),
    "new_post": answers(L, F, F, D, F, F, F),
    "export": answers(L, F, F, F, F, F, F),
    "lookup": answers(L, F, F, N, F, F, F),
}
# Working groups: every role reads them (like the catalogue); the admins keep them.
WORKING_GROUPS = {
    "list": answers(L, A, A, A, A, A, A),
    "details": answers(L, A, A, A, A, A, A),
    "edit_get": answers(L, F, F, F, A, F, F),
    "edit_post": answers(L, F, F, F, D, F, F),
    "new_get": answers(L, F, F, F, A, F, F),
    "new_post": answers(L, F, F, F, D, F, F),
    "delete": answers(L, F, F, F, D, F, F),
    "action": answers(L, F, F, F, D, F, F),
    "export": answers(L, A, A, A, A, A, A),
    "lookup": answers(L, F, F, F, N, F, F),
    "ajax_update": answers(L, F, F, F, N, F, F),
}
# Issue 16: the organisation's consent form templates: case managers read, leads write.
CONSENT_TEMPLATES = {
    "list": answers(L, A, A, F, F, A, A),
    "details": answers(L, A, A, F, F, N, N),
    "edit_get": answers(L, F, A, F, F, F, N),
    "edit_post": answers(L, F, D, F, F, F, N),
    "new_get": answers(L, F, A, F, F, F, A),
    "new_post": answers(L, F, D, F, F, F, D),
    "delete": answers(L, F, D, F, F, F, N),
    "action": answers(L, F, D, F, F, F, D),
    "export": answers(L, A, A, F, F, A, A),
    "lookup": answers(L, F, N, F, F, F, N),
    "ajax_update": answers(L, F, N, F, F, F, N),
}

MISSING_ID = 999999


# What an edit or create form of each view submits. Links point to a's records, so that the
# same form is valid for a's users and a forgery for b's users.
FORMS: dict[str, Callable[[World], dict[str, Any]]] = {
    "clients": lambda world: {
        "first_name": "Amina",
        "last_name": "Haddad",
        "gender": "female",
        "consent_given_on": CONSENT_GIVEN_ON.isoformat(),
    },
    "cases": lambda world: {
        "client": world.a.client_id,
        "case_manager": world.a.case_manager_id,
        "opened_on": OPENED_ON.isoformat(),
        "phase": "assessment",
    },
    "contacts": lambda world: {
        "case": world.a.case_id,
        "contact_date": CONTACT_ON.isoformat(),
        "kind": "phone",
        "minutes": "30",
    },
    "barriers": lambda world: {
        "case": world.a.case_id,
        "category": world.category_id,
        "observed_on": OBSERVED_ON.isoformat(),
        "status": "open",
    },
    "referrals": lambda world: {
        "case": world.a.case_id,
        "partner": world.partner_id,
        "topic": world.topic_id,
        "referred_on": REFERRED_ON.isoformat(),
        "follow_up_on": FOLLOW_UP_ON.isoformat(),
        "status": "planned",
    },
    "partners": lambda world: {"name": "Beratungsstelle Nord", "kind": "counselling"},
    "barrier_categories": lambda world: {"name": "Sprache", "sort_order": "10"},
    "topics": lambda world: {"name": "Wohnen", "sort_order": "10"},
    "organisations": lambda world: {"slug": "jg", "name": "Jüdische Gemeinde", "active": "y"},
    "status_periods": lambda world: {
        "client": world.a.client_id,
        "kind": "benefits",
        "value": "asylblg",
        "valid_from": TODAY.isoformat(),
        "source": "document",
    },
    "consents": lambda world: {
        "client": world.a.client_id,
        "kind": "disclosure",
        "recipients": world.partner_id,
        "purpose_list": "support",
        "category_list": ["identity", "contact"],
        "form": "written",
        "signed_on": CONSENT_GIVEN_ON.isoformat(),
    },
    "consent_templates": lambda world: {
        "language": "ar",
        "title": "Einwilligung (arabisch)",
        "body": "Text der Einwilligung",
    },
    "users": lambda world: {
        "full_name": "Neue Kollegin",
        "email": "neu@example.org",
        "role": "case_manager",
        "organisation": world.a.organisation_id,
        "active": "y",
        "new_password": "ein ganz anderes Passwort",
    },
}
FORMS["structural_issues"] = lambda world: {
    "title": "Hotline nicht erreichbar",
    "category": world.category_id,
    "priority": "medium",
}
FORMS["measures"] = lambda world: {
    "issue": world.issue_id,
    "title": "Rückrufservice",
    "status": "planned",
    "indicator_quarters": "2",
}
FORMS["meetings"] = lambda world: {
    "kind": "steering_group",
    "held_on": TODAY.isoformat(),
    "title": "Lenkungsgruppe",
}
FORMS["working_groups"] = lambda world: {"name": "AG Gesundheit", "sort_order": "10"}
# Integrationsplan and tasks (issue 15): a new plan is a draft; a task is a manual one.
FORMS["plans"] = lambda world: {"case": world.a.case_id, "status": "draft"}
FORMS["plan_goals"] = lambda world: {
    "plan": world.a.plan_id,
    "topic": world.topic_id,
    "text": "Ich möchte eine eigene Wohnung finden.",
    "status": "open",
}
FORMS["plan_steps"] = lambda world: {
    "goal": world.a.goal_id,
    "description": "Wohnberechtigungsschein beantragen",
    "responsible": "client",
    "due_on": (TODAY + dt.timedelta(days=10)).isoformat(),
}
FORMS["tasks"] = lambda world: {
    "case": world.a.case_id,
    "assignee": world.a.case_manager_id,
    "kind": "call_back",
    "due_on": TODAY.isoformat(),
}
# The archive and the audit trail have no forms: every write there is refused before one is
# read, so a probe sends the forms of the records they hold.
FORMS["archive_clients"] = FORMS["clients"]
FORMS["archive_cases"] = FORMS["cases"]
FORMS["audit"] = lambda world: {"action": "login"}
# Edits keep the record what it is (a referral stays "sent", the user keeps the e-mail) and
# name the version the editor loaded.
EDIT_CHANGES: dict[str, Callable[[World], dict[str, Any]]] = {
    "referrals": lambda world: {"status": "sent", "consent_confirmed": "y"},
    "status_periods": lambda world: {"kind": "residence", "value": "toleration"},
    "consent_templates": lambda world: {"language": "de"},
    "partners": lambda world: {"name": "Jobcenter Düsseldorf Mitte"},
    "organisations": lambda world: {"slug": "awo", "name": "AWO Düsseldorf"},
    "users": lambda world: {"email": world.a.case_manager_email, "new_password": ""},
}

# The record of organisation a (or of the shared catalogue) that every role asks for.
RECORD_ID: dict[str, Callable[[World], int]] = {
    "clients": lambda world: world.a.client_id,
    "cases": lambda world: world.a.case_id,
    "contacts": lambda world: world.a.contact_id,
    "barriers": lambda world: world.a.barrier_id,
    "referrals": lambda world: world.a.referral_id,
    "partners": lambda world: world.partner_id,
    "barrier_categories": lambda world: world.category_id,
    "topics": lambda world: world.topic_id,
    "organisations": lambda world: world.a.organisation_id,
    "users": lambda world: world.a.case_manager_id,
    "archive_clients": lambda world: world.a.client_id,
    "archive_cases": lambda world: world.a.case_id,
    "audit": lambda world: MISSING_ID,
    "structural_issues": lambda world: world.issue_id,
    "measures": lambda world: world.measure_id,
    "meetings": lambda world: world.meeting_id,
    "working_groups": lambda world: world.working_group_id,
    "plans": lambda world: world.a.plan_id,
    "plan_goals": lambda world: world.a.goal_id,
    "plan_steps": lambda world: world.a.step_id,
    "tasks": lambda world: world.a.task_id,
    "status_periods": lambda world: world.a.status_period_id,
    "consents": lambda world: world.a.consent_id,
    "consent_templates": lambda world: world.a.consent_template_id,
}
# The agreed plan stays agreed when edited.
EDIT_CHANGES["plans"] = lambda world: {
    "status": "agreed",
    "agreed_on": (OPENED_ON + dt.timedelta(days=30)).isoformat(),
    "agreement_form": "signed",
}
EDIT_CHANGES["plan_steps"] = lambda world: {"responsible": "partner", "partner": world.partner_id}
# The ajax look-up each view's form uses; views without one are asked for "case".
LOOKUP_FIELD = {
    "cases": "client",
    "contacts": "case",
    "barriers": "case",
    "referrals": "case",
    "status_periods": "client",
    "consents": "client",
}
LOOKUP_FIELD |= {"plans": "case", "plan_goals": "plan", "plan_steps": "goal", "tasks": "case"}


def model_view_routes(view: str, matrix: dict[str, dict[str, str]]) -> dict[str, Route]:
    """The eleven routes Flask-Admin generates for one model view."""
    record = RECORD_ID[view]

    def with_id(world: World) -> dict[str, Any]:
        return {"id": record(world)}

    def edit_form(world: World) -> dict[str, Any]:
        changes = EDIT_CHANGES.get(view, lambda world: {})(world)
        return {**FORMS[view](world), **changes, "row_version": "1"}

    routes = [
        Route("GET", f"{view}.index_view", matrix["list"]),
        Route("GET", f"{view}.details_view", matrix["details"], with_id),
        Route("GET", f"{view}.edit_view", matrix["edit_get"], with_id),
        Route("POST", f"{view}.edit_view", matrix["edit_post"], with_id, edit_form),
        Route("GET", f"{view}.create_view", matrix["new_get"]),
        Route("POST", f"{view}.create_view", matrix["new_post"], form=FORMS[view]),
        Route("POST", f"{view}.delete_view", matrix["delete"], form=lambda w: {"id": record(w)}),
        Route(
            "POST",
            f"{view}.action_view",
            matrix["action"],
            form=lambda world: {"action": "delete", "rowid": [record(world)]},
        ),
        Route("GET", f"{view}.export", matrix["export"], lambda world: {"export_type": "csv"}),
        Route(
            "GET",
            f"{view}.ajax_lookup",
            matrix["lookup"],
            lambda world: {"name": LOOKUP_FIELD.get(view, "case"), "query": "a"},
        ),
        Route(
            "POST",
            f"{view}.ajax_update",
            matrix["ajax_update"],
            form=lambda world: {"list_form_pk": record(world), "name": "x"},
        ),
    ]
    return {route.key: route for route in routes}


# THE TABLE. Adding a route to the application means adding one entry here, for example
#   **{r.key: r for r in [Route("GET", "referral_tracking.index", answers(L, A, A, F, F, A, A))]}
# or a model view with `**model_view_routes("<endpoint>", <matrix>)`. Only the endpoints
# "static" and "admin.static" (files) are left out.
ROUTES: dict[str, Route] = {
    route.key: route
    for route in [
        Route("GET", "root", answers(D, D, D, D, D, D, D)),
        Route("GET", "healthz", answers(A, A, A, A, A, A, A)),
        Route("GET", "auth.login", answers(A, D, D, D, D, D, D)),
        Route(
            "POST",
            "auth.login",
            answers(A, D, D, D, D, D, D),  # a wrong password: the form again, with a message
            form=lambda world: {"email": world.a.case_manager_email, "password": "falsch"},
        ),
        Route("POST", "auth.logout", answers(L, *[SIGNED_OUT] * 6)),
        Route("GET", "admin.index", answers(L, A, A, A, A, A, A)),
        # Referral tracking: the own organisation's referrals (SPEC §3, §5). The probes ask
        # for a's referral, which is outgoing at a and incoming nowhere.
        Route("GET", "referral_tracking.index", answers(L, A, A, F, F, A, A)),
        Route(
            "POST",
            "referral_tracking.change_status",
            answers(L, D, D, F, F, N, N),
            lambda world: {"referral_id": world.a.referral_id},
            lambda world: {"status": "cancelled", "version": "1"},
        ),
        Route(
            "POST",
            "referral_tracking.reschedule",
            answers(L, D, D, F, F, N, N),
            lambda world: {"referral_id": world.a.referral_id},
            lambda world: {
                "follow_up_on": (TODAY + dt.timedelta(days=36)).isoformat(),
                "version": "1",
            },
        ),
        Route(
            "POST",
            "referral_tracking.accept",
            answers(L, N, N, F, F, N, N),
            lambda world: {"referral_id": world.a.referral_id},
            lambda world: {"version": "1"},
        ),
        Route(
            "POST",
            "referral_tracking.decline",
            answers(L, N, N, F, F, N, N),
            lambda world: {"referral_id": world.a.referral_id},
            lambda world: {"version": "1", "decline_reason": "keine Kapazität"},
        ),
        # Statistics: own organisation for case-level roles, all for the coordination, none
        # for admins (SPEC §3).
        Route("GET", "statistics.index", answers(L, A, A, A, F, A, A)),
        Route(
            "GET",
            "statistics.category_report",
            answers(L, A, A, A, F, A, A),
            lambda world: {"category_id": world.category_id},
        ),
        Route(
            "GET",
            "statistics.csv",
            answers(L, A, A, A, F, A, A),
            lambda world: {"key": "kennzahlen"},
        ),
        # The system level: status changes, merges and the meeting packet are the
        # coordination's. The probed issue is validated: it may go "in Arbeitsgruppe" and
        # be merged into another open issue (the one a coordinator creates is not there, so
        # the merge names the same issue and is refused with a message: DONE as well).
        Route(
            "POST",
            "structural_issues.transition",
            answers(L, F, F, D, F, F, F),
            form=lambda world: {
                "id": world.issue_id,
                "status": "in_working_group",
                "version": "1",
            },
        ),
        Route(
            "POST",
            "structural_issues.merge",
            answers(L, F, F, D, F, F, F),
            form=lambda world: {"id": world.issue_id, "into": world.issue_id, "version": "1"},
        ),
        Route(
            "GET",
            "meetings.packet",
            answers(L, F, F, A, F, F, F),
            lambda world: {"id": world.meeting_id},
        ),
        Route(
            "GET",
            "meetings.packet_pdf",
            answers(L, F, F, A, F, F, F),
            lambda world: {"id": world.meeting_id},
        ),
        # Auskunft nach Art. 15 DSGVO: only the lead of the client's own organisation.
        Route(
            "GET",
            "clients.subject_access",
            answers(L, F, A, F, F, F, N),
            lambda world: {"id": world.a.client_id},
        ),
        # Archiving asks first, on a page that lists what goes along: leads of the own
        # organisation only, like archiving itself.
        Route(
            "GET",
            "clients.archive_view",
            answers(L, F, A, F, F, F, N),
            lambda world: {"id": world.a.client_id},
        ),
        Route(
            "GET",
            "cases.archive_view",
            answers(L, F, A, F, F, F, N),
            lambda world: {"id": world.a.case_id},
        ),
        # Restoring by row button: the probed records are not archived, so even their lead
        # gets 404, exactly like for a missing or foreign id.
        Route(
            "POST",
            "archive_clients.restore_view",
            answers(L, F, N, F, F, F, N),
            form=lambda world: {"id": world.a.client_id},
        ),
        Route(
            "POST",
            "archive_cases.restore_view",
            answers(L, F, N, F, F, F, N),
            form=lambda world: {"id": world.a.case_id},
        ),
        # The printed consent form (PDF) is read like the consent itself.
        Route(
            "GET",
            "consents.consent_form",
            answers(L, A, A, F, F, N, N),
            lambda world: {"id": world.a.consent_id},
        ),
    ]
} | {
    **model_view_routes("clients", CLIENTS),
    **model_view_routes("cases", CASEWORK),
    **model_view_routes("contacts", CASEWORK),
    **model_view_routes("barriers", CASEWORK),
    **model_view_routes("referrals", CASEWORK),
    **model_view_routes("partners", PARTNERS),
    **model_view_routes("barrier_categories", CONFIGURATION),
    **model_view_routes("topics", CONFIGURATION),
    **model_view_routes("organisations", ORGANISATIONS),
    **model_view_routes("users", USERS),
    **model_view_routes("archive_clients", ARCHIVE),
    **model_view_routes("archive_cases", ARCHIVE),
    **model_view_routes("audit", AUDIT),
    **model_view_routes("structural_issues", STRUCTURAL_ISSUES),
    **model_view_routes("measures", SYSTEM_RECORDS),
    **model_view_routes("meetings", SYSTEM_RECORDS),
    **model_view_routes("working_groups", WORKING_GROUPS),
    # Integrationsplan, goals, steps and tasks (issue 15): casework of the own organisation.
    **model_view_routes("plans", CASEWORK),
    **model_view_routes("plan_goals", CASEWORK),
    **model_view_routes("plan_steps", CASEWORK),
    **model_view_routes("tasks", CASEWORK),
    **{
        route.key: route
        for route in [
            Route(
                "GET",
                "plans.print_view",
                answers(L, A, A, F, F, N, N),
                lambda world: {"id": world.a.plan_id},
            ),
            Route(
                "POST",
                "plans.new_version_view",
                answers(L, D, D, F, F, N, N),
                form=lambda world: {"id": world.a.plan_id},
            ),
            Route(
                "POST",
                "plan_steps.referral_view",
                answers(L, D, D, F, F, N, N),
                form=lambda world: {"id": world.a.step_id},
            ),
            Route(
                "POST",
                "tasks.finish_view",
                answers(L, D, D, F, F, N, N),
                form=lambda world: {"id": world.a.task_id},
            ),
            # The team view and the hand-over of a colleague's work: leads of the own team.
            Route("GET", "team.index", answers(L, F, A, F, F, F, A)),
            Route(
                "GET",
                "team.reassign",
                answers(L, F, A, F, F, F, N),
                lambda world: {"user_id": world.a.case_manager_id},
            ),
            Route(
                "POST",
                "team.reassign",
                answers(L, F, D, F, F, F, N),
                lambda world: {"user_id": world.a.case_manager_id},
                lambda world: {"successor": world.a.lead_id},
            ),
        ]
    },
    **model_view_routes("status_periods", CASEWORK),
    **model_view_routes("consents", CASEWORK),
    **model_view_routes("consent_templates", CONSENT_TEMPLATES),
}
NOT_CLASSIFIED = {"static", "admin.static"}

# --- helpers -----------------------------------------------------------------------------


# The audit trail records exports and failed sign-ins, and the login throttle counts failed
# attempts, on purpose; a statistics page stores the counts it counted for every worker:
# none is "a change" of the records.
NOT_COMPARED = {"audit_event", "login_attempt", "statistics_rows"}


def database_contents(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order: to prove a request changed nothing."""
    return {
        table.name: [
            tuple(row)
            for row in connection.execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in Base.metadata.sorted_tables
        if table.name not in NOT_COMPARED
    }


def send(client: FlaskClient, app: Flask, route: Route, world: World, **url_args: Any) -> Any:
    with app.test_request_context():
        url = url_for(route.endpoint, **{**route.url_args(world), **url_args})
    if route.method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data=route.form(world) if route.form else {})
    response.get_data()  # a streamed answer (CSV export) runs to its end
    return response


def assert_answer(response: Any, expected: str) -> None:
    status = response.status_code
    location = urlsplit(response.headers.get("Location", "")).path
    if expected in (OK, INVALID):
        assert status == 200, (status, location)
    elif expected in (LOGIN, SIGNED_OUT):
        assert (status, location) == (302, "/login")
    elif expected == DONE:
        assert status == 302, status
        assert location != "/login"
    else:
        assert status == int(expected), (status, location)


# --- the matrix --------------------------------------------------------------------------


def test_every_route_is_classified(app):
    served = {
        f"{method} {rule.endpoint}"
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in NOT_CLASSIFIED
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert sorted(served - set(ROUTES)) == [], "new routes: classify them in ROUTES"
    assert sorted(set(ROUTES) - served) == [], "ROUTES names routes the application lacks"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route_key", sorted(ROUTES))
def test_route_answers_each_role_as_specified(  # noqa: PLR0917 - pytest passes fixtures so
    app, client, auth, connection, world, route_key, role
):
    route = ROUTES[route_key]
    email = ROLE_EMAIL[role](world)
    if email is not None:
        auth.login(email)
    expected = route.answers[role]
    before = database_contents(connection)

    response = send(client, app, route, world)

    assert_answer(response, expected)
    if expected not in (DONE, SIGNED_OUT):
        assert database_contents(connection) == before


# --- a foreign record is a missing record ------------------------------------------------

CASEWORK_VIEWS = (
    "clients",
    "cases",
    "contacts",
    "barriers",
    "referrals",
    "status_periods",
    "consents",
    "consent_templates",
)
RECORD_ROUTES = (
    ("GET", "details_view"),
    ("GET", "edit_view"),
    ("POST", "edit_view"),
    ("POST", "delete_view"),
)


@pytest.mark.parametrize(("method", "name"), RECORD_ROUTES)
@pytest.mark.parametrize("view", CASEWORK_VIEWS)
def test_other_org_record_answers_exactly_like_a_missing_one(  # noqa: PLR0917 - fixtures
    app, client, auth, connection, world, view, method, name
):
    route = ROUTES[f"{method} {view}.{name}"]
    auth.login(world.b.lead_email)
    before = database_contents(connection)

    if name == "delete_view":
        foreign = client.post(f"/admin/{view}/delete/", data={"id": RECORD_ID[view](world)})
        missing = client.post(f"/admin/{view}/delete/", data={"id": MISSING_ID})
    else:
        foreign = send(client, app, route, world)
        missing = send(client, app, route, world, id=MISSING_ID)

    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_data() == missing.get_data()
    assert database_contents(connection) == before


def client_row(connection: Connection, client_id: int) -> tuple[Any, ...] | None:
    row = connection.execute(select(Client.__table__).where(Client.id == client_id)).first()
    return tuple(row) if row else None


@pytest.mark.parametrize(
    ("email_of", "path", "form"),
    [
        pytest.param(
            lambda w: w.b.case_manager_email,
            "/admin/clients/edit/?id={id}",
            {
                "first_name": "X",
                "last_name": "Y",
                "gender": "male",
                "consent_given_on": CONSENT_GIVEN_ON.isoformat(),
                "row_version": "1",
            },
            id="other_org_case_manager_edit",
        ),
        pytest.param(
            lambda w: w.b.lead_email,
            "/admin/clients/delete/",
            {"id": "{id}"},
            id="other_org_lead_delete",
        ),
        pytest.param(
            lambda w: w.b.lead_email,
            "/admin/clients/action/",
            {"action": "delete", "rowid": "{id}"},
            id="other_org_lead_bulk_delete",
        ),
        pytest.param(
            lambda w: w.a.case_manager_email,
            "/admin/clients/delete/",
            {"id": "{id}"},
            id="own_case_manager_delete",
        ),
        pytest.param(
            lambda w: w.coordinator_email,
            "/admin/clients/edit/?id={id}",
            {"first_name": "X", "last_name": "Y", "row_version": "1"},
            id="coordinator_edit",
        ),
    ],
)
def test_refused_post_leaves_client_and_its_version_unchanged(  # noqa: PLR0917 - fixtures
    client, auth, connection, world, email_of, path, form
):
    client_id = world.a.client_id
    row_before = client_row(connection, client_id)
    auth.login(email_of(world))

    response = client.post(
        path.format(id=client_id),
        data={key: value.format(id=client_id) for key, value in form.items()},
    )

    assert response.status_code in (302, 403, 404)
    assert client_row(connection, client_id) == row_before
    version = connection.execute(select(Client.version).where(Client.id == client_id))
    assert version.scalar_one() == 1


# --- every view closes every path the same way -------------------------------------------


def registered_views(app: Flask) -> list[BaseView]:
    (admin,) = app.extensions["admin"]
    return list(admin._views)


def test_every_view_closes_itself_through_one_of_the_secure_bases(app):
    """Model screens are KimModelViews, custom screens SecureViews; both deny by default."""
    for view in registered_views(app):
        assert isinstance(view, (KimModelView, SecureView, StartView)), view.endpoint
        if isinstance(view, SecureView):
            assert any(key.split()[1].startswith(f"{view.endpoint}.") for key in ROUTES)


def test_every_view_of_an_org_owned_model_is_org_scoped(app):
    model_views = [v for v in registered_views(app) if isinstance(v, BaseModelView)]
    org_owned = [v for v in model_views if issubclass(v.model, OrgOwned)]
    assert {view.endpoint for view in org_owned} >= set(CASEWORK_VIEWS)
    for view in org_owned:
        assert isinstance(view, OrgScopedModelView), view.endpoint


def test_every_ajax_loader_is_scoped(app):
    loaders = [
        (view.endpoint, name, loader)
        for view in registered_views(app)
        if isinstance(view, BaseModelView)
        for name, loader in (view._form_ajax_refs or {}).items()
    ]
    assert {(endpoint, name) for endpoint, name, _loader in loaders} >= {
        ("cases", "client"),
        ("contacts", "case"),
    }
    for endpoint, name, loader in loaders:
        assert isinstance(loader, ScopedAjaxLoader), (endpoint, name)
