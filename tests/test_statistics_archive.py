"""Archiving changes no figure; erasing does (SPEC §6.6).

A lead archives a client with two closed cases of 2025 (with barriers and referrals),
restores it, archives it again and erases it. The statistics of the closed year 2025 and
of one of its quarters, every table and its CSV, read the same before archiving, while
archived and after restoring: for the lead (exact figures of the own organisation) and
for the coordination (the suppressed tables across organisations). After erasing, they
change.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from models.choices import Role
from models.statistics import TABLES
from tests.factories import (
    make_barrier,
    make_case,
    make_category,
    make_client,
    make_organisation,
    make_partner,
    make_referral,
    make_user,
)

if TYPE_CHECKING:
    from tests.conftest import AuthActions

D = dt.date
YEAR_2025 = "from=2025-01-01&to=2025-12-31"
QUARTER_3_2025 = "from=2025-07-01&to=2025-09-30"
MAIN_KEYS = [key for key, spec in TABLES.items() if not spec.per_category]


@pytest.fixture
def caseloads(session: Session) -> dict[str, object]:
    """Two organisations; AWO's client "Archiv Person" has two cases closed in 2025."""
    language = make_category(session, "Sprache", sort_order=1)
    waiting = make_category(session, "Wartezeit", sort_order=2)
    jobcenter = make_partner(session, "Jobcenter Düsseldorf")
    office = make_partner(session, "Ausländerbehörde", kind="authority")
    organisations = {}
    for slug, caseload in (("awo", 9), ("caritas", 7)):
        organisation = make_organisation(session, slug)
        organisations[slug] = organisation
        manager = make_user(session, Role.CASE_MANAGER, organisation)
        make_user(session, Role.ORG_LEAD, organisation)
        for number in range(caseload):
            person = make_client(
                session,
                organisation,
                manager,
                last_name=f"Person{number}",
                gender=("female", "male")[number % 2],
                country_of_origin=("SY", "UA", "AF")[number % 3],
                date_of_birth=D(1970 + 3 * number, 5, 1),
            )
            case = make_case(
                session,
                person,
                manager,
                opened_on=D(2025, 1 + number, 3),
                **(
                    {
                        "phase": "closed",
                        "closed_on": D(2025, 2 + number, 10),
                        "closure_reason": ("goals_met", "transferred")[number % 2],
                    }
                    if number % 3
                    else {}
                ),
            )
            make_barrier(
                session,
                case,
                (language, waiting)[number % 2],
                partner=jobcenter,
                observed_on=D(2025, 1 + number, 20),
            )
            make_referral(
                session,
                case,
                (jobcenter, office)[number % 2],
                referred_on=D(2025, 1 + number, 21),
                status="sent",
            )
    awo = organisations["awo"]
    manager = make_user(session, Role.CASE_MANAGER, awo, email="noch.ein.cm@example.org")
    archived = make_client(
        session,
        awo,
        manager,
        first_name="Archiv",
        last_name="Person",
        gender="female",
        country_of_origin="SY",
    )
    for opened, closed_on, reason in (
        (D(2025, 3, 1), D(2025, 8, 15), "moved_away"),
        (D(2025, 7, 1), D(2025, 9, 30), "goals_met"),
    ):
        case = make_case(
            session,
            archived,
            manager,
            opened_on=opened,
            phase="closed",
            closed_on=closed_on,
            closure_reason=reason,
        )
        make_barrier(
            session,
            case,
            language,
            partner=office,
            observed_on=opened,
            status="solved",
            resolved_on=closed_on,
        )
        make_referral(
            session,
            case,
            jobcenter,
            referred_on=opened,
            status="accepted",
            responded_on=opened + dt.timedelta(days=5),
        )
    coordinator = make_user(session, Role.COORDINATOR)
    session.commit()
    return {
        "client_id": archived.id,
        "lead": f"org_lead.{awo.slug}@example.org",
        "coordinator": coordinator.email,
        "categories": [language.id, waiting.id],
        "organisations": [org.id for org in organisations.values()],
    }


def figures(client: FlaskClient, auth: AuthActions, email: str, caseloads) -> dict[str, bytes]:
    """Every table of the statistics (CSV) for 2025 and its third quarter, as ``email``
    sees them; the coordination also for each organisation alone."""
    auth.login(email)
    found = {}
    choices = [""]
    if email == caseloads["coordinator"]:
        choices += [f"&organisation={org}" for org in caseloads["organisations"]]
    for period in (YEAR_2025, QUARTER_3_2025):
        for choice in choices:
            urls = [f"/admin/statistics/csv/{key}/?{period}{choice}" for key in MAIN_KEYS]
            urls += [
                f"/admin/statistics/csv/{key}/?{period}{choice}&category={category}"
                for key in ("barrieren_trend", "barrieren_kategorie_partner")
                for category in caseloads["categories"]
            ]
            for url in urls:
                response = client.get(url)
                assert response.status_code in (200, 404), url
                found[url] = response.get_data()
    auth.logout()
    return found


def archive(client: FlaskClient, auth: AuthActions, caseloads, action: str, view: str) -> None:
    auth.login(caseloads["lead"])
    response = client.post(
        f"/admin/{view}/action/", data={"action": action, "rowid": [caseloads["client_id"]]}
    )
    assert response.status_code == 302
    auth.logout()


def test_archiving_and_restoring_change_no_figure_and_erasing_does(
    client: FlaskClient, auth: AuthActions, caseloads
) -> None:
    people = (caseloads["lead"], caseloads["coordinator"])
    before = {email: figures(client, auth, email, caseloads) for email in people}

    archive(client, auth, caseloads, "archive", "clients")
    archived = {email: figures(client, auth, email, caseloads) for email in people}
    archive(client, auth, caseloads, "restore", "archive-clients")
    restored = {email: figures(client, auth, email, caseloads) for email in people}

    for email in people:
        assert archived[email] == before[email], email
        assert restored[email] == before[email], email

    archive(client, auth, caseloads, "archive", "clients")
    archive(client, auth, caseloads, "delete", "archive-clients")
    erased = {email: figures(client, auth, email, caseloads) for email in people}
    overview = f"/admin/statistics/csv/uebersicht/?{YEAR_2025}"
    assert erased[caseloads["lead"]][overview] != before[caseloads["lead"]][overview]
    assert erased[caseloads["coordinator"]] != before[caseloads["coordinator"]]


def test_the_lead_counts_the_archived_clients_cases_exactly(
    client: FlaskClient, auth: AuthActions, caseloads
) -> None:
    """The archived client's two cases of 2025 stay among AWO's opened and closed ones."""
    archive(client, auth, caseloads, "archive", "clients")
    auth.login(caseloads["lead"])
    rows = client.get(f"/admin/statistics/csv/uebersicht/?{YEAR_2025}").get_data(as_text=True)
    # AWO: nine cases opened in 2025, six of them closed, plus the archived client's two.
    assert rows.splitlines()[1].split(";")[1:4] == ["3", "11", "8"]
    closure = client.get(f"/admin/statistics/csv/abschlussgruende/?{YEAR_2025}")
    assert "Wegzug;1" in closure.get_data(as_text=True)
