"""The demo register of the system level (seeds/system_level.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Barrier, Measure, Meeting, StructuralIssue
from models.choices import MeasureStatus
from models.proposals import personal_data_findings
from models.system_level import effect_check, evidence_counts
from seeds.demo import seed_demo
from tests.factories import TODAY


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def seeded(session: Session) -> Session:
    summary = seed_demo(session, clients_per_org=12, today=TODAY)
    assert summary.structural_issues == 8
    return session


def test_the_register_has_meetings_measures_in_every_state_and_a_merge(seeded):
    assert seeded.scalar(select(func.count(Meeting.id))) == 2
    statuses = set(seeded.scalars(select(Measure.status)))
    assert statuses == {status.value for status in MeasureStatus}
    merged = seeded.scalars(select(StructuralIssue).where(StructuralIssue.status == "merged"))
    assert [issue.merged_into.title for issue in merged] == [
        "Wartezeiten auf Termine bei der Ausländerbehörde"
    ]


def test_barriers_of_several_organisations_are_linked(seeded):
    organisations = seeded.execute(
        select(Barrier.structural_issue_id, func.count(func.distinct(Barrier.organisation_id)))
        .where(Barrier.structural_issue_id.is_not(None))
        .group_by(Barrier.structural_issue_id)
    ).all()
    assert max(count for _issue, count in organisations) >= 2
    for issue in seeded.scalars(select(StructuralIssue)):
        barriers, cases = evidence_counts(seeded, issue.id)
        assert cases <= barriers


def test_one_effect_check_has_quarters_before_and_after(seeded):
    checks = [effect_check(seeded, measure, TODAY) for measure in seeded.scalars(select(Measure))]
    done = [check for check in checks if check is not None and check.checkable]
    assert len(done) == 1
    assert sum(q.open_cases for q in done[0].before) > 0
    assert sum(q.open_cases for q in done[0].after) > 0


def test_no_seeded_text_names_a_person(seeded):
    texts = [
        text
        for issue in seeded.scalars(select(StructuralIssue))
        for text in (issue.title, issue.description)
    ]
    texts += [measure.title for measure in seeded.scalars(select(Measure))]
    assert personal_data_findings(seeded, texts, None) == []
