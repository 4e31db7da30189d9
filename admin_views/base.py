"""The two base views: every admin screen inherits its access rules and row scoping.

``KimModelView`` is closed by default: a view opens only for the permissions it names,
and every row it reads (list, count, details, edit, delete, bulk action, export, select
box, ajax look-up) is filtered by ``models.visibility``. ``OrgScopedModelView`` adds what
organisation-owned records need: organisation and audit columns set from the user, and
a version check so that a stale edit is refused.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar
from urllib.parse import urlsplit

from flask import abort, flash, g, has_request_context, redirect, request, url_for
from flask_admin import BaseView
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import and_, func, inspect, or_, select, true
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import MANYTOONE, Query, RelationshipProperty
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response
from wtforms import Form, HiddenField, ValidationError

from admin_views.compat import ViewHooks, action_names, form_field, is_model_form
from admin_views.export import stream_csv_export
from admin_views.formatting import (
    EXPORT_TYPE_FORMATTERS,
    TYPE_FORMATTERS,
    describe_changes,
    format_datetime,
)
from admin_views.forms import KimFilterConverter, KimForm, KimModelConverter
from admin_views.paging import (
    FilterGroupCache,
    FilterGroups,
    ListCountQuery,
    RowUrls,
    StaticUrls,
    filter_groups_json,
    list_rows,
    register_code_formatter,
    row_actions_stamp,
    row_cells,
    rows_of_page,
)
from app.clock import today
from app.extensions import db
from models import AuditEvent, OrgOwned
from models.audit import AuditAction, record_event, set_actor
from models.memo import kept
from models.owned import parse_id
from models.permissions import Permission, has_any_permission, has_permission
from models.related import record_history
from models.search import contains, is_normalised, search_terms
from models.visibility import (
    Shelf,
    selectable_criteria,
    visible_criteria,
    visible_organisation,
)

log = logging.getLogger(__name__)

# Which permission each Flask-Admin endpoint needs. An endpoint missing here is refused,
# so a new Flask-Admin route stays closed until someone decides who may use it.
ENDPOINT_ACCESS: dict[str, str] = {
    "index_view": "read",
    "details_view": "read",
    "create_view": "create",
    "edit_view": "edit",
    "delete_view": "delete",
    "archive_view": "delete",
    "restore_view": "delete",
    "action_view": "action",
    "export": "export",
    "ajax_lookup": "lookup",
    "ajax_update": "edit",
    "subject_access": "subject_access",
}

# Deeper than any list of a city's caseload; beyond it OFFSET would overflow the database.
MAX_PAGE = 100_000


def commit_or_say_why(session: Any) -> bool:
    """Commit a custom route's change; on a conflict roll back and say why, in German.

    A concurrent edit (the version moved), a rule of the database (a unique key taken at
    the same moment) or a failing database leave nothing half-written and no 500.
    """
    try:
        session.commit()
    except StaleDataError:
        session.rollback()
        flash(str(STALE_MESSAGE % {"name": _("einer anderen Person")}), "error")
        return False
    except IntegrityError:
        session.rollback()
        flash(_("Der Vorgang widerspricht einer Regel der Datenbank; nichts gespeichert."), "error")
        return False
    except SQLAlchemyError:
        session.rollback()
        log.exception("commit of a custom route failed")
        flash(_("Der Vorgang ist fehlgeschlagen; es wurde nichts gespeichert."), "error")
        return False
    return True


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path of this site (to redirect to), else None.

    Backslashes count as slashes (browsers read ``/\\host`` as ``//host``); no scheme, no
    host, no control characters.
    """
    cleaned = (target or "").replace("\\", "/").strip()
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned.startswith("//"):
        return None
    if any(ord(character) < 32 for character in cleaned):
        return None
    return cleaned


STALE_MESSAGE = _l(
    "Dieser Datensatz wurde inzwischen von %(name)s geändert. Ihre Eingaben wurden nicht "
    "gespeichert; bitte laden Sie den Datensatz neu und übertragen Sie Ihre Änderungen."
)


def _contains_word(column: Any, word: str) -> Any:
    if is_normalised(column):
        terms = search_terms(word)
        return and_(*(contains(column, term) for term in terms)) if terms else true()
    return contains(func.lower(column), word.lower())


@register_code_formatter
def _empty_as_blank(view: Any, context: Any, model: Any, name: str) -> Any:
    value = getattr(model, name)
    return "" if value is None else value


@dataclass(frozen=True)
class RelatedRow:
    url: str
    text: str
    note: str = ""


@dataclass(frozen=True)
class RelatedSection:
    """One list below a record's details: its cases, contacts, … with an "add" link."""

    title: str
    rows: list[RelatedRow]
    empty: str
    add_url: str | None = None
    add_label: str = ""


@dataclass(frozen=True)
class HistoryRow:
    when: str
    who: str
    action: str
    changes: Markup


def error_reference() -> str:
    """A short id shown to the user and written to the log, to find the details."""
    return uuid.uuid4().hex[:8]


def refuse_access() -> Response:
    """Anonymous users go to the login page (and come back); everyone else gets 403."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    raise Forbidden


class DenyByDefault(ViewHooks):
    """The gate every admin screen shares: closed unless ``allows_endpoint`` says otherwise.

    Flask-Admin runs ``before_endpoint`` before every exposed method with the method's name;
    a name the screen does not know is refused, so a new route stays closed until someone
    decides who may use it. Anonymous users are sent to the login page.
    """

    # The method behind the screen's menu entry.
    entry_endpoint: ClassVar[str] = "index"

    def allows_endpoint(self, name: str) -> bool:
        raise NotImplementedError

    def is_accessible(self) -> bool:
        return self.allows_entry()

    def is_visible(self) -> bool:
        return self.allows_entry()

    def allows_entry(self) -> bool:
        """``allows_endpoint(entry_endpoint)``, asked once per request and user: the menu
        asks every screen twice (is it accessible, is it visible) on every page."""
        if not has_request_context():
            return self.allows_endpoint(self.entry_endpoint)
        user = current_user
        key = (id(self), user.get_id(), getattr(user, "role", None), user.is_active)
        answers = g.setdefault("kim_entry_allowed", {})
        allowed = answers.get(key)
        if allowed is None:
            allowed = answers[key] = self.allows_endpoint(self.entry_endpoint)
        return bool(allowed)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        return refuse_access()

    def before_endpoint(self, name: str) -> Any:
        if not self.allows_endpoint(name):
            abort(403)
        # Every write of this request is audited, in the transaction that writes it.
        set_actor(db.session(), current_user.id)
        return None


class SecureView(DenyByDefault, BaseView):
    """A custom screen: ``endpoint_permissions`` maps the name of every ``@expose``d method
    to the permissions any one of which allows it. Rows are read through
    ``models.visibility`` like in the model views.
    """

    endpoint_permissions: ClassVar[Mapping[str, tuple[Permission, ...]]] = {}

    def allows_endpoint(self, name: str) -> bool:
        return has_any_permission(current_user, *self.endpoint_permissions.get(name, ()))


class ScopedAjaxLoader(QueryAjaxModelLoader):
    """An ajax look-up that offers, and accepts, only rows the user may select."""

    def __init__(self, name: str, session: Any, model: type[Any], **options: Any) -> None:
        self.joins = options.pop("joins", ())
        super().__init__(name, session, model, **options)

    def get_query(self) -> Query[Any]:
        query = super().get_query()
        for join in self.joins:
            query = query.join(join)
        return query.filter(*selectable_criteria(current_user, self.model))

    def get_one(self, pk: Any) -> Any:
        record_id = parse_id(pk)
        if record_id is None:
            return None
        return self.get_query().filter(self.model.id == record_id).one_or_none()

    def get_list(self, term: str, offset: int = 0, limit: int = 10) -> Any:
        return super().get_list(term or "", max(offset or 0, 0), min(max(limit, 1), 20))


class MenuCache:
    """The main menu's HTML per user, role, screen and language, kept across requests.

    Building it asks every screen whether the user may open it and builds its URL (about
    a fifth of a list page). What it shows depends only on who the user is (id, role,
    organisation, active) and which screen is open, all of which are in the key; every
    route still checks access itself (``before_endpoint``).
    """

    limit = 2000

    def __init__(self) -> None:
        self.html: dict[tuple[Any, ...], Markup] = {}

    def menu(self, view: Any, render: Any) -> Markup:
        user = current_user
        key = (
            view.endpoint,
            user.get_id(),
            getattr(user, "role", None),
            getattr(user, "organisation_id", None),
            user.is_active,
            str(get_locale()),
            request.script_root,
        )
        return kept(self.html, key, lambda: Markup(render()), self.limit)  # noqa: S704 - a rendered macro


MENUS = MenuCache()
STATIC_URLS = StaticUrls()


class KimModelView(DenyByDefault, ModelView):
    """Deny by default: names the permissions for each kind of access, scopes every row."""

    read_permission: ClassVar[Permission | None] = None
    create_permission: ClassVar[Permission | None] = None
    edit_permission: ClassVar[Permission | None] = None
    delete_permission: ClassVar[Permission | None] = None
    export_permission: ClassVar[Permission | None] = None
    subject_access_permission: ClassVar[Permission | None] = None

    form_base_class = KimForm
    model_form_converter = KimModelConverter
    filter_converter = KimFilterConverter()
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_export = EXPORT_TYPE_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS
    can_view_details = True
    page_size = 50
    can_set_page_size = True
    page_size_options = (20, 50, 100)
    named_filter_urls = True
    export_types = ["csv"]
    export_max_rows = 0
    # Row edits in the list bypass the edit form; they stay off everywhere.
    column_editable_list: ClassVar[list[str]] = []
    # Which records the screen lists: the working ones, or the archive (``Shelf``).
    shelf: ClassVar[Shelf] = Shelf.WORKING

    # Columns that hold a code of a closed vocabulary: chosen from and shown by label.
    choice_fields: ClassVar[dict[str, list[tuple[Any, Any]]]] = {}

    def __init__(self, model: type[Any], session: Any, **kwargs: Any) -> None:
        self._relation_models = self._selectable_relations(model)
        self.form_args = self._form_args_with_scoped_choices(model)
        # Form selects, list/details/export labels and filter options from one source.
        self.form_choices = self.column_choices = dict(self.choice_fields)
        # Flask-Admin maps the formatted value through the choices, so empty must be "".
        own_formatters: dict[str, Any] = dict(getattr(self, "column_formatters", None) or {})
        self.column_formatters = {
            **dict.fromkeys(self.choice_fields, _empty_as_blank),
            **own_formatters,
        }
        super().__init__(model, session, **kwargs)

    # --- who may do what -------------------------------------------------------------

    def permission_for(self, access: str) -> Permission | None:
        return {
            "read": self.read_permission,
            "create": self.create_permission,
            "edit": self.edit_permission,
            "delete": self.delete_permission,
            "export": self.export_permission,
            "subject_access": self.subject_access_permission,
        }.get(access)

    def allows(self, access: str) -> bool:
        if access == "action":
            return any(self.is_action_allowed(name) for name in action_names(self))
        if access == "lookup":
            return self.allows("create") or self.allows("edit")
        if access != "read" and not self.allows("read"):
            return False
        return has_permission(current_user, self.permission_for(access))

    @property
    def can_create(self) -> bool:
        return self.allows("create")

    @property
    def can_edit(self) -> bool:
        return self.allows("edit")

    @property
    def can_delete(self) -> bool:
        return self.allows("delete")

    @property
    def can_export(self) -> bool:
        return self.allows("export")

    entry_endpoint = "index_view"

    def allows_endpoint(self, name: str) -> bool:
        access = ENDPOINT_ACCESS.get(name)
        return access is not None and self.allows(access)

    # --- search ----------------------------------------------------------------------

    # Columns the search box looks in, and the many-to-one joins they need. Columns kept
    # normalised by ``models.search`` are compared with normalised terms (any case, any
    # accent); others case-insensitively. Default: ``column_searchable_list``'s own columns.
    search_columns: ClassVar[tuple[Any, ...]] = ()
    search_joins: ClassVar[tuple[Any, ...]] = ()
    # One record's kind, for "Neu: Klient*in" (the view's name is the plural of the list).
    singular_name: ClassVar[str | None] = None
    # What the search box says it finds ("Name, Aktenzeichen").
    search_hint: ClassVar[str | None] = None

    def searched_columns(self) -> tuple[Any, ...]:
        if self.search_columns:
            return self.search_columns
        names = self.column_searchable_list or ()
        return tuple(getattr(self.model, name) for name in names if isinstance(name, str))

    def apply_search(self, query: Any, count_query: Any, search: str) -> tuple[Any, Any]:
        """Every typed word must occur in one of the columns, literally (% and _ too).

        A column of a many-to-one related record (the case's client) is searched as
        ``client_id IN (SELECT id FROM client WHERE …)`` over the records the user may
        see, not through a join: the client's narrow search index answers it, and no row
        of the list is joined to look at it."""
        columns = self.searched_columns()
        words = search.split()
        if not words or not columns:
            return query, count_query
        through = self._search_links()
        if through is None and self.search_joins:
            query = query.join(*self.search_joins)
            count_query = count_query.join(*self.search_joins) if count_query else None
        for word in words:
            found = self._word_found(columns, word, through or {})
            query = query.filter(found)
            count_query = count_query.filter(found) if count_query is not None else None
        return query, count_query

    def _search_links(self) -> dict[type[Any], tuple[Any, Any]] | None:
        """Per related model searched: (the list's foreign key, the related key); None
        where a search join is not a plain many-to-one link (then the search joins)."""
        links: dict[type[Any], tuple[Any, Any]] = {}
        for join in self.search_joins:
            relation = getattr(join, "property", None)
            if (
                not isinstance(relation, RelationshipProperty)
                or relation.direction is not MANYTOONE
                or len(relation.local_remote_pairs or ()) != 1
                or join.class_ is not self.model
            ):
                return None
            foreign_key, key = (relation.local_remote_pairs or ())[0]
            links[relation.mapper.class_] = (foreign_key, key)
        return links

    def _word_found(
        self, columns: tuple[Any, ...], word: str, through: dict[type[Any], tuple[Any, Any]]
    ) -> Any:
        own: list[Any] = []
        related: dict[type[Any], list[Any]] = {}
        for column in columns:
            owner = getattr(column, "class_", None)
            if owner in through and owner is not self.model:
                related.setdefault(owner, []).append(_contains_word(column, word))
            else:
                own.append(_contains_word(column, word))
        for owner, conditions in related.items():
            foreign_key, key = through[owner]
            matching = select(key).where(
                *visible_criteria(current_user, owner, shelf=Shelf.ANY), or_(*conditions)
            )
            own.append(foreign_key.in_(matching))
        return or_(*own)

    def search_placeholder(self) -> str | None:
        if self.search_hint:
            return str(self.search_hint)
        labels = dict(self.column_labels or {})
        names = [name for name in self.column_searchable_list or () if isinstance(name, str)]
        return ", ".join(str(labels.get(name, name)) for name in names) or None

    # --- which rows ------------------------------------------------------------------

    def get_query(self) -> Query[Any]:
        criteria = visible_criteria(current_user, self.model, shelf=self.shelf)
        return super().get_query().filter(*criteria)

    def get_count_query(self) -> Query[Any]:
        """Flask-Admin's count query, scoped, its count kept until what it reads is written
        (``ListCountQuery``)."""
        criteria = visible_criteria(current_user, self.model, shelf=self.shelf)
        session = super().get_count_query().session
        query = ListCountQuery([func.count("*")], session).select_from(self.model)
        query.organisation_id = visible_organisation(current_user, self.model)
        return query.filter(*criteria)

    def get_url(self, endpoint: str, **kwargs: Any) -> str:
        """Within a request, each link of the list's rows is built once (``RowUrls``); the
        static files' links once per process (``StaticUrls``)."""
        if not has_request_context():
            return super().get_url(endpoint, **kwargs)
        if endpoint == f"{self.admin.endpoint}.static":
            return STATIC_URLS.url(super().get_url, endpoint, kwargs, request.script_root)
        urls = g.get("kim_row_urls")
        if urls is None:
            urls = g.kim_row_urls = RowUrls()
        return urls.url(super().get_url, endpoint, kwargs)

    def get_list(self, page: int | None, *args: Any, **kwargs: Any) -> Any:
        """A page number no list can have (negative, or past any real list) is a 404.

        A page reads its ids first, then its rows (``rows_of_page``)."""
        if page is not None and not 0 <= page <= MAX_PAGE:
            abort(404)
        if not kwargs.get("execute", True) or kwargs.get("page_size") == 0:
            return super().get_list(page, *args, **kwargs)
        count, query = super().get_list(page, *args, **{**kwargs, "execute": False})
        return count, rows_of_page(
            query, self.model, self.list_rows_of if self.list_row_columns else None
        )

    # What a list page reads of its rows with Core (``ListRow``, not ORM entities): per
    # many-to-one path ("" the record itself, "case.client") the attributes its cells
    # show, and per one-to-many relationship of the record those of its rows. None: the
    # page's rows are the query's ORM entities.
    list_row_columns: ClassVar[Mapping[str, tuple[str, ...]] | None] = None
    list_row_collections: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def list_rows_of(self, ids: list[Any]) -> list[Any]:
        """The rows of a page's ids, scoped again by the visibility rule."""
        criteria = visible_criteria(current_user, self.model, shelf=self.shelf)
        return list_rows(
            db.session(),
            self.model,
            self.list_row_columns or {},
            self.list_row_collections,
            ids,
            criteria,
        )

    def _refresh_filters_cache(self) -> None:
        super()._refresh_filters_cache()
        self._filter_group_cache = FilterGroupCache()

    def _get_filter_groups(self) -> FilterGroups | None:
        """The filters as the page embeds them; static options converted once per language."""
        if not self._filter_groups:
            return None
        return self._filter_group_cache.groups(self._filter_groups, str(get_locale()))

    def get_one(self, id: Any) -> Any:
        """The visible row with this id; 404 for a foreign, missing or malformed id alike."""
        record_id = parse_id(id)
        record = None
        if record_id is not None:
            record = self.get_query().filter(self.model.id == record_id).one_or_none()
        if record is None:
            abort(404)
        return record

    def relation_choices(
        self, remote_model: type[Any], keep_ids: tuple[int, ...] = ()
    ) -> Query[Any]:
        """Rows a form may link to; ``keep_ids`` keeps the record's current links selectable."""
        criteria = selectable_criteria(current_user, remote_model)
        condition = and_(*criteria) if criteria else None
        if keep_ids:
            kept = remote_model.id.in_(keep_ids)
            condition = or_(condition, kept) if condition is not None else kept
        query = db.session.query(remote_model)
        if condition is not None:
            query = query.filter(condition)
        return query.order_by(*self._choice_order(remote_model))

    @staticmethod
    def _choice_order(model: type[Any]) -> list[Any]:
        names = ("sort_order", "name", "full_name", "last_name", "first_name", "id")
        return [getattr(model, name) for name in names if hasattr(model, name)]

    def _selectable_relations(self, model: type[Any]) -> dict[str, type[Any]]:
        ajax_names = set(getattr(self, "form_ajax_refs", None) or {})
        return {
            relation.key: relation.mapper.class_
            for relation in inspect(model).relationships
            if relation.direction.name in ("MANYTOONE", "MANYTOMANY")
            and relation.key not in ajax_names
        }

    def _form_args_with_scoped_choices(self, model: type[Any]) -> dict[str, Any]:
        form_args = {name: dict(args) for name, args in (self.form_args or {}).items()}
        for name, remote_model in self._relation_models.items():
            form_args.setdefault(name, {})["query_factory"] = partial(
                self.relation_choices, remote_model
            )
        return form_args

    def _create_ajax_loader(self, name: str, options: dict[str, Any]) -> ScopedAjaxLoader:
        remote_model = getattr(self.model, name).property.mapper.class_
        return ScopedAjaxLoader(name, self.session, remote_model, **options)

    def edit_form(self, obj: Any = None) -> Form:
        form = super().edit_form(obj)
        for name, remote_model in self._relation_models.items():
            if name in form and obj is not None:
                current = getattr(obj, name)
                linked = current if isinstance(current, list) else [current] if current else []
                keep_ids = tuple(record.id for record in linked)
                form[name].query = self.relation_choices(remote_model, keep_ids)
        return form

    # --- details page: related records and the record's history -------------------------

    details_template = "admin/kim_details.html"

    def related_sections(self, model: Any) -> list[RelatedSection]:
        """Lists of the records that belong to ``model``, shown below its details."""
        return []

    def history_actor(self, event: AuditEvent) -> str:
        """Who acted, as the history on the details page names them."""
        return event.actor.full_name if event.actor else (event.actor_job or "")

    def history_rows(self, model: Any) -> list[HistoryRow]:
        return [
            HistoryRow(
                when=format_datetime(event.occurred_at),
                who=self.history_actor(event),
                action=str(AuditAction.label_of(event.action)),
                changes=describe_changes(event.record_type, event.changed_fields),
            )
            for event in record_history(db.session(), model)
        ]

    def render(self, template: str, **kwargs: Any) -> Any:
        if template == self.details_template and kwargs.get("model") is not None:
            kwargs["related"] = self.related_sections(kwargs["model"])
            kwargs["history"] = self.history_rows(kwargs["model"])
        if template == self.list_template:
            # The list's rows and filters rendered in Python (``admin_views.paging``).
            kwargs.update(
                row_actions_stamp=row_actions_stamp,
                row_cells=row_cells,
                filter_groups_json=filter_groups_json,
                kim_menu=partial(MENUS.menu, self),
            )
        return super().render(template, **kwargs)

    # --- export -----------------------------------------------------------------------

    # The file name's first part (``klienten_awo_2026-11-25.csv``); the endpoint if unset.
    export_basename: ClassVar[str | None] = None
    # Eager loads for export-only columns, so that the export runs a fixed number of queries.
    export_loader_options: ClassVar[tuple[Any, ...]] = ()

    def export_csv(self) -> Response:
        """German Excel CSV, streamed; the export is audited before the first byte."""
        response, row_count, asked = stream_csv_export(self)
        record_event(
            db.session(),
            actor=current_user,
            action="export",
            record_type=self.model.__name__,
            organisation_id=current_user.organisation_id,
            details={"list": self.endpoint, "rows": row_count, **asked},
        )
        db.session.commit()
        return response

    # --- domain rules and errors -----------------------------------------------------

    def rule_errors(self, form: Form) -> dict[str, str]:
        """Field errors from the model's own rules (``Model.field_errors``)."""
        field_errors = getattr(self.model, "field_errors", None)
        return field_errors(form.data, today()) if field_errors else {}

    def validate_form(self, form: Form) -> bool:
        valid = super().validate_form(form)
        if not is_model_form(self, form):
            return valid
        if not valid or request.method != "POST":
            return valid
        for name, message in self.rule_errors(form).items():
            field = form_field(form, name)
            if field is None:
                flash(message, "error")
            else:
                field.errors = [*field.errors, message]
            valid = False
        return valid

    @action(
        "delete",
        lazy_gettext("Delete"),
        lazy_gettext("Are you sure you want to delete selected records?"),
    )
    def action_delete(self, ids: tuple[str, ...]) -> None:
        """Flask-Admin's bulk delete, with integer ids: PostgreSQL compares no text to int."""
        record_ids = tuple(record_id for record_id in map(parse_id, ids) if record_id is not None)
        super().action_delete(record_ids)

    def handle_view_exception(self, exc: Exception) -> bool:
        """German messages without SQL or values; the details go to the log only."""
        if isinstance(exc, ValidationError):
            flash(str(exc), "error")
            return True
        if isinstance(exc, OperationalError):
            # Locked or unreachable database: roll back, then the German 503 page.
            db.session.rollback()
            raise exc
        reference = error_reference()
        if isinstance(exc, StaleDataError):
            log.info("stale update refused [%s] in %s", reference, self.endpoint)
            flash(STALE_MESSAGE % {"name": _("einer anderen Person")}, "error")
        elif isinstance(exc, IntegrityError):
            log.warning("integrity error [%s] in %s: %s", reference, self.endpoint, exc)
            flash(
                _(
                    "Der Datensatz konnte nicht gespeichert werden, weil er einer Regel der "
                    "Datenbank widerspricht (z. B. ein doppelter Wert). Referenz: %(ref)s",
                    ref=reference,
                ),
                "error",
            )
        else:
            kind = "database error" if isinstance(exc, SQLAlchemyError) else "error"
            log.exception("%s [%s] in %s", kind, reference, self.endpoint)
            flash(
                _(
                    "Der Vorgang ist fehlgeschlagen; es wurde nichts gespeichert. "
                    "Referenz: %(ref)s",
                    ref=reference,
                ),
                "error",
            )
        return True


class VersionedModelView(KimModelView):
    """For records with a ``version`` column: a stale edit is refused with a clear message.

    The form carries the version the editor loaded (hidden ``row_version``); saving compares
    it with the current one before anything is written, and the UPDATE's ``WHERE version``
    catches the race that remains.
    """

    def __init__(self, model: type[Any], session: Any, **kwargs: Any) -> None:
        extra_fields: dict[str, Any] = dict(getattr(self, "form_extra_fields", None) or {})
        self.form_extra_fields = {**extra_fields, "row_version": HiddenField()}
        form_columns: list[Any] = list(getattr(self, "form_columns", None) or [])
        if form_columns:
            self.form_columns = [*form_columns, "row_version"]
        super().__init__(model, session, **kwargs)

    def edit_form(self, obj: Any = None) -> Form:
        form = super().edit_form(obj)
        if obj is not None and request.method != "POST":
            form.row_version.data = obj.version
        return form

    def on_model_change(self, form: Form, model: Any, is_created: bool) -> None:
        if not is_created:
            self.refuse_stale_edit(form, model)

    @staticmethod
    def refuse_stale_edit(form: Form, model: Any) -> None:
        if model.is_stale(form.row_version.data):
            updated_by = getattr(model, "updated_by", None)
            editor = updated_by.full_name if updated_by else _("einer anderen Person")
            raise ValidationError(str(STALE_MESSAGE % {"name": editor}))


class OrgScopedModelView(VersionedModelView):
    """For organisation-owned records: stamped from the user, versioned, never foreign."""

    form_excluded_columns: ClassVar[list[str]] = [
        "organisation",
        "organisation_id",
        "created_at",
        "updated_at",
        "created_by_id",
        "updated_by_id",
        "updated_by",
        "version",
    ]
    # Relationships edited inline whose new rows must be stamped like the parent.
    inline_relationship_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, model: type[Any], session: Any, **kwargs: Any) -> None:
        if not issubclass(model, OrgOwned):
            raise TypeError(f"{model.__name__} is not organisation-owned")
        super().__init__(model, session, **kwargs)

    def on_model_change(self, form: Form, model: Any, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        model.stamp(current_user)
        for name in self.inline_relationship_names:
            for child in getattr(model, name):
                child.organisation_id = model.organisation_id
                child.stamp(current_user)
