"""Vermittlungen verfolgen: the own open referrals with their next steps, and incoming ones.

Closed by default (``SecureView``): each exposed endpoint names its permission in
``endpoint_permissions``; an endpoint missing there is refused. The view only parses the
request and calls ``models.referral_workflow``; it commits once per request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from admin_views.base import SecureView, error_reference
from app.clock import today
from app.extensions import db
from models import Partner, Topic, User
from models.caseload import default_case_manager_filter
from models.choices import ReferralStatus
from models.owned import parse_id
from models.permissions import Permission
from models.referral_workflow import (
    STATUS_ORDER,
    ReferralNotFoundError,
    ReferralWorkflowError,
    StaleReferralError,
    TrackingFilters,
    accept_incoming,
    change_status,
    decline_incoming,
    incoming_referrals,
    outgoing_referrals,
    reschedule_follow_up,
)
from models.visibility import selectable_criteria

log = logging.getLogger(__name__)

FILTER_ARGS = ("partner", "topic", "manager")
# Each status group and the incoming list show a page of rows: a caseload of thousands
# made one page of every open referral with its forms (9.5 MB, a second to render). The
# rows are still read in full (the totals and the overdue count are of all of them).
GROUP_ROWS = 50
INCOMING_PAGE = "page_incoming"
PAGE_ARGS = (*(f"page_{status}" for status in STATUS_ORDER), INCOMING_PAGE)


@dataclass(frozen=True)
class RowsPage:
    """One page of a group's rows, with the links to the pages before and after."""

    rows: Sequence[Any]
    total: int
    first: int  # the number of the first row shown, from 1
    previous_url: str | None
    next_url: str | None

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


def rows_page(rows: Sequence[Any], arg: str, link_args: dict[str, str], anchor: str) -> RowsPage:
    """The page of ``rows`` the request's ``arg`` names: the first for no number, the last
    for one past the end. Its links keep the filters and the other groups' pages."""
    pages = max(1, -(-len(rows) // GROUP_ROWS))
    number = min(parse_id(request.args.get(arg)) or 1, pages)
    start = (number - 1) * GROUP_ROWS

    def link(to: int) -> str | None:
        if not 1 <= to <= pages:
            return None
        values: dict[str, Any] = {**link_args, arg: str(to)}
        return url_for(".index", _anchor=anchor, **values)

    return RowsPage(
        rows[start : start + GROUP_ROWS], len(rows), start + 1, link(number - 1), link(number + 1)
    )


def parse_date(raw: str | None) -> dt.date | None:
    """An ISO date from a form field; raises a workflow error for anything else but empty."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ReferralWorkflowError(_("Bitte ein gültiges Datum angeben.")) from None


class ReferralTrackingView(SecureView):
    endpoint_permissions = {
        "index": (Permission.CASEWORK_READ,),
        "change_status": (Permission.CASEWORK_WRITE,),
        "reschedule": (Permission.CASEWORK_WRITE,),
        "accept": (Permission.CASEWORK_WRITE,),
        "decline": (Permission.CASEWORK_WRITE,),
    }

    # --- reading ---------------------------------------------------------------------

    def _filters(self) -> tuple[TrackingFilters, dict[str, str]]:
        """The filters of the request, and the arguments that reproduce them in links."""
        args = {name: request.args.get(name, "") for name in FILTER_ARGS}
        manager = args["manager"]
        if manager == "all":
            case_manager_id = None
        elif manager == "mine":
            case_manager_id = current_user.id
        else:
            case_manager_id = parse_id(manager) if manager else None
            if case_manager_id is None:
                case_manager_id = default_case_manager_filter(current_user)
                args["manager"] = "mine" if case_manager_id is not None else "all"
        filters = TrackingFilters(
            partner_id=parse_id(args["partner"]),
            topic_id=parse_id(args["topic"]),
            case_manager_id=case_manager_id,
        )
        return filters, {name: value for name, value in args.items() if value}

    @staticmethod
    def _pages() -> dict[str, str]:
        """The pages of the groups the request names (valid numbers only)."""
        return {name: request.args[name] for name in PAGE_ARGS if parse_id(request.args.get(name))}

    def _filter_options(self) -> dict[str, Sequence[Any]]:
        session = db.session
        return {
            "partners": session.execute(
                select(Partner.id, Partner.name).order_by(Partner.name)
            ).all(),
            "topics": session.execute(
                select(Topic.id, Topic.name).order_by(Topic.sort_order, Topic.name)
            ).all(),
            "managers": session.execute(
                select(User.id, User.full_name)
                .where(*selectable_criteria(current_user, User))
                .order_by(User.full_name)
            ).all(),
        }

    @expose("/")
    def index(self) -> Any:
        filters, filter_args = self._filters()
        link_args = {**filter_args, **self._pages()}
        current_day = today()
        outgoing = outgoing_referrals(db.session(), current_user, current_day, filters)
        groups = [
            (status, [row for row in outgoing if row.status == status]) for status in STATUS_ORDER
        ]
        incoming = incoming_referrals(db.session(), current_user)
        return self.render(
            "admin/referral_tracking.html",
            groups=[
                (status, rows_page(rows, f"page_{status}", link_args, f"group-{status}"))
                for status, rows in groups
                if rows
            ],
            overdue_count=sum(row.overdue for row in outgoing),
            incoming=rows_page(incoming, INCOMING_PAGE, link_args, "incoming"),
            options=self._filter_options(),
            filters=filters,
            filter_args=filter_args,
            link_args=link_args,
            can_write=self.allows_endpoint("change_status"),
            today=current_day,
            statuses=ReferralStatus,
        )

    # --- writing ---------------------------------------------------------------------

    def _back(self, anchor: str | None = None) -> Response:
        """Back to the screen with its filters, at the row that was acted on."""
        args: dict[str, Any] = {
            **{name: request.args[name] for name in FILTER_ARGS if request.args.get(name)},
            **self._pages(),
        }
        return redirect(url_for(".index", _anchor=anchor, **args))

    def _commit(self, operation: Any, success: str, **arguments: Any) -> Response:
        """Run one workflow operation and commit it, or roll back and say why."""
        try:
            operation(db.session(), current_user, today=today(), **arguments)
            db.session.commit()
        except ReferralNotFoundError:
            db.session.rollback()
            abort(404)
        except ReferralWorkflowError as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
        except StaleDataError:
            db.session.rollback()
            flash(StaleReferralError().message, "error")
        except IntegrityError as error:
            db.session.rollback()
            reference = error_reference()
            log.warning("integrity error [%s] in referral tracking: %s", reference, error)
            flash(
                _(
                    "Der Vorgang widerspricht einer Regel der Datenbank; es wurde nichts "
                    "gespeichert. Referenz: %(ref)s",
                    ref=reference,
                ),
                "error",
            )
        else:
            flash(success, "success")
        record_id = parse_id(arguments.get("referral_id"))
        return self._back(f"referral-{record_id}" if record_id else None)

    @expose("/<referral_id>/status", methods=("POST",))
    def change_status(self, referral_id: str) -> Response:
        target = request.form.get("status", "")
        try:
            responded_on = parse_date(request.form.get("responded_on"))
        except ReferralWorkflowError as refusal:
            flash(refusal.message, "error")
            return self._back()
        return self._commit(
            change_status,
            _("Der Status wurde auf „%(status)s“ gesetzt.", status=ReferralStatus.label_of(target)),
            referral_id=referral_id,
            target=target,
            expected_version=request.form.get("version"),
            responded_on=responded_on,
        )

    @expose("/<referral_id>/follow-up", methods=("POST",))
    def reschedule(self, referral_id: str) -> Response:
        try:
            follow_up_on = parse_date(request.form.get("follow_up_on"))
        except ReferralWorkflowError as refusal:
            flash(refusal.message, "error")
            return self._back()
        return self._commit(
            reschedule_follow_up,
            _("Die Wiedervorlage wurde verschoben."),
            referral_id=referral_id,
            follow_up_on=follow_up_on,
            expected_version=request.form.get("version"),
        )

    @expose("/incoming/<referral_id>/accept", methods=("POST",))
    def accept(self, referral_id: str) -> Response:
        return self._commit(
            accept_incoming,
            _("Die Vermittlung wurde angenommen; Klient*in und Fall wurden angelegt."),
            referral_id=referral_id,
            expected_version=request.form.get("version"),
        )

    @expose("/incoming/<referral_id>/decline", methods=("POST",))
    def decline(self, referral_id: str) -> Response:
        return self._commit(
            decline_incoming,
            _("Die Vermittlung wurde abgelehnt; die vermittelnde Stelle sieht den Grund."),
            referral_id=referral_id,
            expected_version=request.form.get("version"),
            reason=request.form.get("decline_reason"),
        )
