"""``/admin/statistics/``: the figures of SPEC §6 and the barrier report.

Case-level roles see their own organisation, exactly, for any period; the coordination
sees all organisations (or one), for calendar quarters and years only, every figure cut
from one protected pattern per family of tables (docs/statistics-suppression.md), in the
page, in every CSV and on the start page. Admins and anyone else are refused. Closed by
default like ``KimModelView``: an endpoint not listed in ``endpoint_permissions`` answers
403 (see ``SecureView``).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request
from flask_admin import expose
from flask_login import current_user
from werkzeug.wrappers import Response

from admin_views.base import SecureView
from admin_views.charts import bar_chart, format_cell
from admin_views.csv_excel import csv_filename, csv_response
from app.clock import today
from app.extensions import db
from models import BarrierCategory
from models.owned import parse_id
from models.permissions import Permission, has_permission
from models.statistics import (
    COORDINATION_PRESETS,
    DEFAULT_PRESET,
    PRESETS,
    SUPPRESSED,
    WITHHELD,
    PeriodError,
    Scope,
    ShownTable,
    Statistics,
    coordination_period,
    organisations_to_choose,
    preset_period,
    requested_period,
    scope_for,
)
from models.statistics.transitions import TransitionStatistics
from models.system_level import system_report

# The routes of this view; anything else is refused.
STATISTICS_PERMISSIONS = (Permission.STATISTICS_OWN_ORGANISATION, Permission.STATISTICS_ALL)


def statistics_summary() -> dict[str, Any] | None:
    """For the coordination's start page: the current year, from the same protected
    figures as the statistics page; else None.

    Renders with ``templates/admin/_statistics_summary.html`` (``statistics_summary``).
    """
    if not has_permission(current_user, Permission.STATISTICS_ALL):
        return None
    day = today()
    scope = scope_for(db.session, current_user)
    if scope is None:
        return None
    summary = Statistics(db.session, scope, preset_period(DEFAULT_PRESET, day), day).summary()
    summary["format_cell"] = format_cell
    return summary


def transition_tables(report: Statistics) -> list[ShownTable]:
    return TransitionStatistics(db.session, report.scope, report.period, report.today).tables()


class StatisticsView(SecureView):
    """Statistics for the own organisation, or across organisations for the coordination."""

    endpoint_permissions = {
        "index": STATISTICS_PERMISSIONS,
        "category_report": STATISTICS_PERMISSIONS,
        "csv": STATISTICS_PERMISSIONS,
    }

    # --- whose figures, which period ------------------------------------------------

    def scope(self) -> Scope:
        """Whose figures (``models.statistics.statistics_organisations``); 404 for an
        organisation that is not the user's to see, as for any record of another one."""
        scope = scope_for(db.session, current_user, request.args.get("organisation", ""))
        if scope is None:
            abort(404)
        return scope

    def _report(self) -> tuple[Statistics, dict[str, str]]:
        day = today()
        scope = self.scope()
        try:
            period = requested_period(
                request.args.get("from", ""),
                request.args.get("to", ""),
                request.args.get("preset", DEFAULT_PRESET),
                day,
            )
            if scope.across_organisations:
                # Refused, not moved onto the grid: the figures shown are always those
                # of the period the page names.
                coordination_period(period, day)
        except PeriodError as error:
            flash(str(error), "error")
            period = preset_period(DEFAULT_PRESET, day)
        args = {"from": period.start.isoformat(), "to": period.end.isoformat()}
        if request.args.get("organisation"):
            args["organisation"] = str(scope.organisations[0].id)
        return Statistics(db.session, scope, period, day), args

    def _render(
        self, template: str, report: Statistics, args: dict[str, str], **context: Any
    ) -> Any:
        return self.render(
            template,
            report=report,
            period=report.period,
            scope=report.scope,
            args=args,
            presets=COORDINATION_PRESETS if report.scope.across_organisations else PRESETS,
            organisations=organisations_to_choose(db.session, current_user),
            selected_organisation=args.get("organisation", ""),
            suppressed_mark=SUPPRESSED,
            withheld_mark=WITHHELD,
            format_cell=format_cell,
            chart=lambda table: bar_chart(table.title, table.chart_bars()),
            **context,
        )

    # --- routes ---------------------------------------------------------------------

    @expose("/")
    def index(self) -> Any:
        report, args = self._report()
        tables: list[ShownTable] = report.main_tables()
        # Issue 16: the transitions between legal domains, below the main tables.
        tables += transition_tables(report)
        # The system level's report (models.system_level), for the coordination.
        system_tables = None
        if has_permission(current_user, Permission.STRUCTURAL_MANAGE):
            system_tables = system_report(db.session, today()).tables
        return self._render(
            "admin/statistics.html",
            report,
            args,
            tables=tables,
            category=None,
            system_tables=system_tables,
        )

    @expose("/category/<category_id>/")
    def category_report(self, category_id: str) -> Any:
        """The drill-down of one barrier category (not ``category``: Flask-Admin's menu)."""
        category = self._category(category_id)
        report, args = self._report()
        tables = report.category_tables(category.id)
        return self._render("admin/statistics.html", report, args, tables=tables, category=category)

    @expose("/csv/<key>/")
    def csv(self, key: str) -> Response:
        report, _args = self._report()
        category_id = None
        if request.args.get("category"):
            category_id = self._category(request.args["category"]).id
        table = report.table(key, category_id)
        if table is None and category_id is None:
            table = next((t for t in transition_tables(report) if t.key == key), None)
        if table is None or table.unavailable:
            abort(404)
        filename = csv_filename("statistik", key, report.scope.slug, day=report.today)
        return csv_response(filename, table.header, table.csv_rows())

    @staticmethod
    def _category(raw: str) -> BarrierCategory:
        category_id = parse_id(raw)
        category = db.session.get(BarrierCategory, category_id) if category_id else None
        if category is None:
            abort(404)
        return category
