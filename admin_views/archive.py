"""Archive instead of delete: clients and cases go into an archive list of their organisation.

In the working lists a lead archives records (bulk action "Archivieren", or the row's
archive button); the archive lists show only archived rows of the own organisation, with
"Wiederherstellen" and "Endgültig löschen". Every step is audited by the base view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import flash_errors, get_redirect_target
from flask_admin.model.template import BaseListRowAction, DeleteRowAction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Response

from admin_views.base import OrgScopedModelView
from app.extensions import db
from models import Client
from models.base import utcnow
from models.labels import LABELS
from models.lifecycle import (
    ArchivePreview,
    LifecycleError,
    archive,
    archive_preview,
    erase,
    restore,
)
from models.owned import parse_id
from models.permissions import Permission
from models.visibility import Shelf


def selected(query: Any, model: type[Any], raw_ids: Iterable[str]) -> list[Any]:
    """The visible rows among the ticked ids (integers: PostgreSQL compares no text to int)."""
    record_ids = [record_id for record_id in map(parse_id, raw_ids) if record_id is not None]
    return query.filter(model.id.in_(record_ids)).all() if record_ids else []


class ArchiveRowAction(BaseListRowAction):
    """The row's archive icon: a link to the confirmation page that lists what goes along."""

    id_only = True  # its HTML depends on the row's id alone (``RowActionsStamp``)

    def render(self, context: Any, row_id: str, row: Any) -> Markup:
        get_url = context.resolve("get_url")
        return_url = context.resolve("return_url")
        return Markup(
            '<a class="icon" href="{href}" title="{title}" aria-label="{title}">'
            '<span class="fa fa-archive" aria-hidden="true"></span></a>'
        ).format(href=get_url(".archive_view", id=row_id, url=return_url), title=_("Archivieren"))


class RestoreRowAction(BaseListRowAction):
    """The archive list's restore icon: a form button, no script needed."""

    id_only = True

    def render(self, context: Any, row_id: str, row: Any) -> Markup:
        get_url = context.resolve("get_url")
        return Markup(
            '<form class="icon" method="POST" action="{action}">'
            '<input type="hidden" name="id" value="{id}">'
            '<input type="hidden" name="url" value="{url}">'
            '<input type="hidden" name="csrf_token" value="{csrf}">'
            '<button type="submit" title="{title}" aria-label="{title}">'
            '<span class="fa fa-undo" aria-hidden="true"></span></button></form>'
        ).format(
            action=get_url(".restore_view"),
            id=row_id,
            url=context.resolve("return_url"),
            csrf=generate_csrf(),
            title=_("Wiederherstellen"),
        )


def archived_message(preview: ArchivePreview | None, count: int) -> str:
    """An honest count: the cases that went into the archive with a client are named."""
    if preview is not None and preview.cases:
        return ngettext(
            "Die Person wurde mit %(num)d Fall archiviert; beides kann im Archiv "
            "wiederhergestellt werden.",
            "Die Person wurde mit %(num)d Fällen archiviert; alles kann im Archiv "
            "wiederhergestellt werden.",
            len(preview.cases),
        )
    return ngettext(
        "%(num)d Datensatz archiviert; er kann im Archiv wiederhergestellt werden.",
        "%(num)d Datensätze archiviert; sie können im Archiv wiederhergestellt werden.",
        count,
    )


class ArchivingMixin:
    """For the working lists of clients and cases: "delete" archives, nothing is erased."""

    get_query: Callable[[], Any]
    get_one: Callable[[Any], Any]
    get_url: Callable[..., str]
    render: Callable[..., Any]
    model: type[Any]
    can_delete: bool
    delete_form: Callable[[], Any]
    validate_form: Callable[[Any], bool]
    handle_view_exception: Callable[[Exception], bool]

    def is_action_allowed(self, name: str) -> bool:
        if name == "delete":
            return False  # erasing is only possible from the archive list
        if name == "archive":
            return self.can_delete
        return super().is_action_allowed(name)  # type: ignore[misc]

    def get_list_row_actions(self) -> list[Any]:
        actions = super().get_list_row_actions()  # type: ignore[misc]
        return [
            ArchiveRowAction() if isinstance(row_action, DeleteRowAction) else row_action
            for row_action in actions
        ]

    @expose("/archive/", methods=("GET",))
    def archive_view(self) -> Any:
        """Asks before archiving, and lists what goes into the archive with the record."""
        record = self.get_one(request.args.get("id"))
        return self.render(
            "admin/archive_confirm.html",
            record=record,
            preview=archive_preview(db.session(), current_user, record),
            form=self.delete_form(),
            return_url=get_redirect_target() or self.get_url(".index_view"),
        )

    @expose("/delete/", methods=("POST",))
    def delete_view(self) -> Response:
        return_url = get_redirect_target() or self.get_url(".index_view")
        form = self.delete_form()
        if self.validate_form(form):
            self.archive_records([self.get_one(form.id.data)])
        else:
            flash_errors(form, message=_("Archivieren fehlgeschlagen. %(error)s"))
        return redirect(return_url)

    @action(
        "archive",
        _l("Archivieren"),
        _l(
            "Die ausgewählten Datensätze archivieren? Sie können im Archiv wiederhergestellt "
            "werden."
        ),
    )
    def action_archive(self, ids: list[str]) -> None:
        self.archive_records(selected(self.get_query(), self.model, ids))

    def archive_records(self, records: Iterable[Any]) -> None:
        chosen = list(records)
        now = utcnow()
        try:
            # What goes along is named for a single record only; a bulk action gives a count.
            preview = (
                archive_preview(db.session(), current_user, chosen[0]) if len(chosen) == 1 else None
            )
            for record in chosen:
                archive(db.session(), current_user, record, now)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - the base view decides how to report it
            db.session.rollback()
            self.handle_view_exception(exc)
            return
        flash(archived_message(preview, len(chosen)), "success")


class ArchiveView(OrgScopedModelView):
    """Only archived rows of the own organisation; leads restore or erase them."""

    shelf = Shelf.ARCHIVE
    read_permission = Permission.CASEWORK_DELETE
    delete_permission = Permission.CASEWORK_DELETE
    can_view_details = True
    column_labels = LABELS
    column_default_sort: ClassVar[Any] = [("archived_at", True), ("id", True)]
    column_details_exclude_list: ClassVar[list[str]] = []

    def is_action_allowed(self, name: str) -> bool:
        if name in ("restore", "delete"):
            return self.can_delete
        return super().is_action_allowed(name)

    def get_list_row_actions(self) -> list[Any]:
        actions: list[Any] = super().get_list_row_actions()
        return [RestoreRowAction(), *actions] if self.can_delete else actions

    @expose("/restore/", methods=("POST",))
    def restore_view(self) -> Response:
        return_url = get_redirect_target() or self.get_url(".index_view")
        form = self.delete_form()
        if self.validate_form(form):
            self.restore_records([self.get_one(form.id.data)])
        else:
            flash_errors(form, message=_("Wiederherstellen fehlgeschlagen. %(error)s"))
        return redirect(return_url)

    @action(
        "restore",
        _l("Wiederherstellen"),
        _l("Die ausgewählten Datensätze wiederherstellen?"),
    )
    def action_restore(self, ids: list[str]) -> None:
        self.restore_records(selected(self.get_query(), self.model, ids))

    def restore_records(self, records: list[Any]) -> None:
        try:
            for record in records:
                restore(db.session(), current_user, record)
            db.session.commit()
        except LifecycleError as refused:
            db.session.rollback()
            flash(str(refused), "error")
            return
        except Exception as exc:  # noqa: BLE001 - the base view decides how to report it
            db.session.rollback()
            self.handle_view_exception(exc)
            return
        flash(
            ngettext(
                "%(num)d Datensatz wiederhergestellt.",
                "%(num)d Datensätze wiederhergestellt.",
                len(records),
            ),
            "success",
        )

    @action(
        "delete",
        _l("Endgültig löschen"),
        _l(
            "Die ausgewählten Datensätze mit allen Fällen, Kontakten, Barrieren und "
            "Vermittlungen endgültig löschen? Das kann nicht rückgängig gemacht werden."
        ),
    )
    def action_delete(self, ids: tuple[str, ...]) -> None:
        records = selected(self.get_query(), self.model, ids)
        erased = sum(1 for record in records if self.delete_model(record))
        if erased:
            flash(
                ngettext(
                    "%(num)d Datensatz endgültig gelöscht.",
                    "%(num)d Datensätze endgültig gelöscht.",
                    erased,
                ),
                "success",
            )

    def delete_model(self, model: Any) -> bool:
        try:
            erase(db.session(), current_user, model)
            db.session.commit()
        except LifecycleError as refused:
            db.session.rollback()
            flash(str(refused), "error")
            return False
        except Exception as exc:  # noqa: BLE001 - the base view decides how to report it
            db.session.rollback()
            self.handle_view_exception(exc)
            return False
        return True


class ArchivedClientView(ArchiveView):
    column_list = ["file_number", "last_name", "first_name", "date_of_birth", "archived_at"]
    column_searchable_list = ["file_number", "last_name", "first_name"]
    search_columns = (Client.search_text,)
    column_sortable_list = ["file_number", "last_name", "archived_at"]
    column_details_list = [
        "file_number",
        "first_name",
        "last_name",
        "date_of_birth",
        "consent_given_on",
        "created_at",
        "updated_at",
        "updated_by",
        "archived_at",
    ]


class ArchivedCaseView(ArchiveView):
    column_list = ["case_number", "client", "opened_on", "closed_on", "archived_at"]
    column_searchable_list = ["case_number"]
    column_sortable_list = ["case_number", "opened_on", "archived_at"]
    column_details_list = [
        "case_number",
        "client",
        "opened_on",
        "closed_on",
        "phase",
        "created_at",
        "updated_at",
        "updated_by",
        "archived_at",
    ]
