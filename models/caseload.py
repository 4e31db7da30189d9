"""The start page's counts of a case worker's caseload."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.case import Case
from models.choices import Role
from models.referral_workflow import count_incoming, count_overdue
from models.user import User
from models.visibility import visible_criteria


@dataclass(frozen=True)
class CaseloadCounts:
    my_open_cases: int
    overdue_referrals: int
    incoming_referrals: int


def default_case_manager_filter(user: User) -> int | None:
    """Case managers see their own cases and referrals first; leads the whole team."""
    return user.id if user.role == Role.CASE_MANAGER else None


def caseload_counts(session: Session, user: User, today: dt.date) -> CaseloadCounts:
    """Three counts, each one aggregate query over what ``user`` may see."""
    my_open_cases = (
        select(func.count())
        .select_from(Case)
        .where(
            *visible_criteria(user, Case),
            Case.closed_on.is_(None),
            Case.case_manager_id == user.id,
        )
    )
    return CaseloadCounts(
        my_open_cases=session.execute(my_open_cases).scalar_one(),
        # As many as the tracking screen shows by default: own for case managers, team for leads.
        overdue_referrals=count_overdue(session, user, today, default_case_manager_filter(user)),
        incoming_referrals=count_incoming(session, user),
    )
