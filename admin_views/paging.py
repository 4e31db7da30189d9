"""Deep list pages without an OFFSET scan over joins: the page's ids first, then its rows.

Flask-Admin pages with ``LIMIT n OFFSET m`` on the whole list query, eager joins and all
columns included, so the database builds and drops ``m`` joined rows for a deep page.
``rows_of_page`` asks the same query (scoping, search, filters, sort, LIMIT and OFFSET)
for the ids alone, which an index can serve, and then loads just those rows with their
eager joins, in the order of the ids: the same rows in the same order, a page deep in
the list about as fast as the first ("deferred join"). The rows are looked up by their
ids without the ORDER BY, which would let the database walk the list's order again.

The list's count (``ListCountQuery``) is kept while nothing it reads is written: the
statistics' generation tokens (``models.statistics.generation``) say so in the reader's
own transaction, so a count is never one the user could not get from the database now.
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import FunctionType, MethodType
from typing import Any

from flask import current_app
from flask_admin.model import template
from flask_admin.model.base import BaseModelView
from flask_admin.tools import rec_getattr
from jinja2 import pass_context
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup, escape
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Query, QueryableAttribute, Session, aliased

from models.memo import kept
from models.statistics.generation import FiguresMemo, Reads, statement_name


def rows_of_page(
    query: Query[Any], model: type[Any], load: Callable[[list[Any]], list[Any]] | None = None
) -> list[Any]:
    """The records of a paged list query, its ids read first without eager joins; then
    the rows of those ids by ``load`` (given the ids), or by the query itself."""
    ids = [row_id for (row_id,) in query.enable_eagerloads(False).with_entities(model.id).all()]
    if not ids:
        return []
    if load is not None:
        records = load(ids)
    else:
        # Without ORDER BY: SQLite would otherwise walk the list's order index, not the ids.
        records = query.limit(None).offset(None).order_by(None).filter(model.id.in_(ids)).all()
    by_id = {record.id: record for record in records}
    return [by_id[row_id] for row_id in ids if row_id in by_id]


# --- a list page's rows as plain values, read with Core ---------------------------------


class ListRow:
    """A listed record's shown values, read with Core rather than as an ORM entity (a
    tenth of the time): the cells' formatters, the model's ``__str__``, properties and
    methods read them as they read the entity's attributes.

    An attribute the list does not read raises ``AttributeError``: a column the list
    comes to show must be named in the view's ``list_row_columns``.
    """

    def __init__(self, model: type[Any], values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)
        self.__dict__["_kim_model"] = model

    def __getattr__(self, name: str) -> Any:
        model = self.__dict__["_kim_model"]
        if name.startswith("__"):  # markupsafe asks every value for ``__html__``
            raise AttributeError(name)
        found = _class_attribute(model, name)
        if isinstance(found, property) and found.fget is not None:
            return found.fget(self)
        if isinstance(found, FunctionType):
            return MethodType(found, self)
        if isinstance(found, staticmethod | classmethod):
            return getattr(model, name)
        if found is None or isinstance(found, QueryableAttribute):
            raise AttributeError(f"{model.__name__}.{name} is not read for its list")
        return found  # a constant of the class

    def __str__(self) -> str:
        return str(self.__dict__["_kim_model"].__str__(self))


_CLASS_ATTRIBUTES: dict[tuple[type[Any], str], Any] = {}


def _class_attribute(model: type[Any], name: str) -> Any:
    key = (model, name)
    if key not in _CLASS_ATTRIBUTES:
        _CLASS_ATTRIBUTES[key] = inspect.getattr_static(model, name, None)
    return _CLASS_ATTRIBUTES[key]


@dataclass(frozen=True)
class _RowsStatement:
    """A list's Core statement of its rows without WHERE, built once per list."""

    statement: Select[Any]
    paths: tuple[str, ...]
    classes: dict[str, type[Any]]


_ROWS_STATEMENTS: dict[tuple[Any, ...], _RowsStatement] = {}


def _rows_statement(model: type[Any], columns: Mapping[str, Sequence[str]]) -> _RowsStatement:
    key = (model, tuple((path, tuple(names)) for path, names in columns.items()))
    built = _ROWS_STATEMENTS.get(key)
    if built is not None:
        return built
    paths = tuple(sorted(columns, key=lambda path: path.count(".") if path else -1))
    if not paths or paths[0] != "" or "id" not in columns[""]:
        raise ValueError(f"{model.__name__}: the list's row columns need the record's id")
    entities: dict[str, Any] = {"": model}
    classes: dict[str, type[Any]] = {"": model}
    statement = select(model.id).select_from(model)
    for path in paths[1:]:
        parent_path, _dot, name = path.rpartition(".")
        relation = getattr(entities[parent_path], name)
        classes[path] = relation.property.mapper.class_
        entities[path] = aliased(classes[path])
        statement = statement.outerjoin(relation.of_type(entities[path]))
    statement = statement.with_only_columns(
        *(getattr(entities[path], name) for path in paths for name in columns[path])
    )
    built = _ROWS_STATEMENTS[key] = _RowsStatement(statement, paths, classes)
    return built


def list_rows(  # noqa: PLR0917 - the parts of one statement
    session: Session,
    model: type[Any],
    columns: Mapping[str, Sequence[str]],
    collections: Mapping[str, Sequence[str]],
    ids: list[Any],
    criteria: Sequence[ColumnElement[bool]],
) -> list[ListRow]:
    """The rows of ``ids`` that ``criteria`` (the visibility rule's) let through, as
    ``ListRow``s: ``columns`` per many-to-one path (``""`` the record, ``"case.client"``
    its case's client, outer joined), ``collections`` per one-to-many relationship of the
    record (one more statement each, in the relationship's order). Run on the session's
    connection: plain rows, none of the ORM's work per statement."""
    built = _rows_statement(model, columns)
    statement = built.statement.where(model.id.in_(ids), *criteria)
    rows: list[ListRow] = []
    for values in session.connection().execute(statement):
        position = 0
        made: dict[str, ListRow | None] = {}
        for path in built.paths:
            names = columns[path]
            chunk = values[position : position + len(names)]
            position += len(names)
            parent_path, _dot, name = path.rpartition(".")
            parent = made.get(parent_path)
            if path and (parent is None or all(value is None for value in chunk)):
                made[path] = None  # no related record (or none of its parent)
            else:
                made[path] = ListRow(built.classes[path], dict(zip(names, chunk, strict=True)))
            if path and parent is not None:
                parent.__dict__[name] = made[path]
        rows.append(made[""])  # type: ignore[arg-type]
    _attach_collections(session, model, collections, rows)
    return rows


def _attach_collections(
    session: Session,
    model: type[Any],
    collections: Mapping[str, Sequence[str]],
    rows: list[ListRow],
) -> None:
    by_id = {row.id: row for row in rows}
    for name, names in collections.items():
        relation = getattr(model, name).property
        target = relation.mapper.class_
        ((_key, foreign_key),) = relation.local_remote_pairs
        statement = (
            select(foreign_key, *(getattr(target, column) for column in names))
            .where(foreign_key.in_(list(by_id)))
            .order_by(*(relation.order_by or ()), target.id)
        )
        for row in rows:
            row.__dict__[name] = []
        for owner, *values in session.connection().execute(statement):
            by_id[owner].__dict__[name].append(
                ListRow(target, dict(zip(names, values, strict=True)))
            )


# --- the list's count, kept while nothing it reads is written ---------------------------

# Apart from the statistics' figures, so that many searched counts drop none of those.
LIST_COUNTS = FiguresMemo(size=4096)


class ListCountQuery(Query[Any]):
    """A list's count query (``SELECT count(*) …``) whose ``scalar()`` is kept.

    ``organisation_id``: the one organisation whose rows the count is restricted to (the
    visibility rule's), or None for a count over every organisation's rows.
    """

    organisation_id: int | None = None

    def scalar(self) -> Any:
        return kept_count(self, self.organisation_id)


def kept_count(query: Query[Any], organisation_id: int | None) -> Any:
    """``query.scalar()``, served again while no write has touched the tables and columns
    it reads (of ``organisation_id``, and of every organisation): a write commits its new
    token with its rows, so the count is the database's, right after any write."""
    shape, values, (tables, columns) = statement_name(query.session, query.statement)
    question = ("list count", shape, values)
    found = LIST_COUNTS.get_many(
        query.session,
        {"count": (question, Reads(tables, organisation_id, columns))},
        lambda missing: {"count": Query.scalar(query)},
    )
    return found["count"]


# --- the row links of a list page ------------------------------------------------------

ROW_ID = "0000000000"  # digits, so that url_for writes it as it writes any record id


class RowUrls:
    """``url_for`` once per link of a list page, not once per row: the URL of the first
    row with the id set in, for every other row of the same request.

    A link with a record id (``id=42``) is built once with ``ROW_ID`` and the id is put in
    its place, and so is a link to a page of the list (``page=7``, the pager); any other
    link (the delete form's action) is built once. Within one request ``url_for`` gives
    the same URL for the same arguments, so the page is the same.
    """

    # The arguments put in place, the first one a call has as a number.
    stamped = ("id", "page")

    def __init__(self) -> None:
        self.patterns: dict[tuple[Any, ...], str] = {}

    def url(self, build: Any, endpoint: str, values: dict[str, Any]) -> str:
        name = next((name for name in self.stamped if _is_number(values.get(name))), None)
        key = (
            endpoint,
            name,
            tuple((key, repr(value)) for key, value in values.items() if key != name),
        )
        pattern = self.patterns.get(key)
        if pattern is None:
            pattern = build(endpoint, **({**values, name: ROW_ID} if name else values))
            self.patterns[key] = pattern
        if name is None:
            return pattern
        marker = f"{name}={ROW_ID}"
        if pattern.count(marker) != 1:
            return str(build(endpoint, **values))
        return pattern.replace(marker, f"{name}={int(values[name])}", 1)


class StaticUrls:
    """The URLs of Flask-Admin's static files, built once per process: a page links 19 of
    them (scripts and styles), the same on every page, and ``url_for`` built each anew.

    Keyed by the request's script root too, so an app served under a path prefix gets
    its own (at most ``limit`` kept, whatever prefixes requests bring); an absolute URL
    (``_external``) is built each time, as it names the host."""

    def __init__(self, limit: int = 256) -> None:
        self.urls: dict[tuple[Any, ...], str] = {}
        self.limit = limit

    def url(self, build: Any, endpoint: str, values: dict[str, Any], script_root: str) -> str:
        if values.get("_external"):
            return str(build(endpoint, **values))
        key = (script_root, endpoint, tuple(sorted((k, repr(v)) for k, v in values.items())))
        return kept(self.urls, key, lambda: str(build(endpoint, **values)), self.limit)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and (
        isinstance(value, int) or (isinstance(value, str) and value.isdigit())
    )


# --- the rows of a list page, rendered in Python ---------------------------------------

# The id the row actions are rendered with once per page; digits, like any record id.
STAMP_ID = "7777777777"


class RowActionsStamp:
    """The row actions' HTML once per page, each row's id put in: not 50 × 3 macro calls.

    Only actions whose HTML depends on nothing but the row's id (``id_only``: view, edit,
    delete, archive, restore, an endpoint link) are stamped, and only if the stamp gives
    the first row exactly what rendering it gives; otherwise every row is rendered.
    """

    def __init__(self, context: Any, actions: list[Any], first_id: Any) -> None:
        self.context = context
        self.actions = actions
        self.parts: list[str] | None = None
        if first_id is None or not all(is_id_only(action) for action in actions):
            return
        pattern = self.render_row(STAMP_ID, None)
        real = self.render_row(first_id, None)
        parts = str(pattern).split(STAMP_ID)
        if str(escape(first_id)).join(parts) == real:
            self.parts = parts

    def render_row(self, row_id: Any, row: Any) -> Markup:
        # Like ``{{ action.render_ctx(…) }}`` in the template: plain text is escaped.
        rendered = (action.render_ctx(self.context, row_id, row) for action in self.actions)
        return Markup("").join(rendered)

    def __call__(self, row_id: Any, row: Any) -> Markup:
        if self.parts is None or not str(row_id).isdigit():
            # Only a number goes into a URL as it is; anything else is rendered.
            return self.render_row(row_id, row)
        # The parts are the rendered (escaped) HTML; the id is escaped.
        return Markup(str(escape(row_id)).join(self.parts))  # noqa: S704


def is_id_only(action: Any) -> bool:
    """Whether a row action's HTML is a function of the row's id alone."""
    return type(action) in ID_ONLY_ACTIONS or getattr(type(action), "id_only", False) is True


ID_ONLY_ACTIONS = (
    template.ViewRowAction,
    template.ViewPopupRowAction,
    template.EditRowAction,
    template.EditPopupRowAction,
    template.DeleteRowAction,
    template.EndpointLinkRowAction,
)


@pass_context
def row_actions_stamp(context: Any, actions: list[Any], rows: list[Any]) -> RowActionsStamp:
    view = context.resolve("admin_view")
    first_id = view.get_pk_value(rows[0]) if rows else None
    return RowActionsStamp(context, actions, first_id)


class CellRenderer:
    """A list row's cells as HTML, one Python call per row instead of a template loop.

    The same markup as the template gave (``<td class="col-name">value</td>``, the first
    cell labelling the row's checkbox), each value from ``get_list_value``'s formatters and
    escaped like Jinja escapes it. A column shown by the label of its stored code converts
    each code once per page.
    """

    def __init__(self, context: Any, view: Any, columns: list[tuple[str, Any]]) -> None:
        self.context = context
        self.view = view
        self.names = [name for name, _label in columns]
        self.openings = [f'<td class="col-{escape(name)}"' for name in self.names]
        self.formatters = view.column_formatters
        self.type_formatters = view.column_type_formatters
        self.type_formatter_of: dict[type[Any], Any] = {}
        # A view that changes how Flask-Admin gets a value is asked for every cell.
        self.own_steps = (
            type(view)._get_list_value is not BaseModelView._get_list_value
            or type(view)._get_field_value is not BaseModelView._get_field_value
        )
        # Columns whose cell is a function of the stored code alone: label per code.
        self.by_code: dict[str, dict[Any, str]] = {
            name: {}
            for name in self.names
            if "." not in name
            and view._column_choices_map.get(name)
            and self.formatters.get(name) in (None, *CODE_FORMATTERS)
        }

    def value(self, row: Any, name: str) -> str:
        labels = self.by_code.get(name)
        if labels is None:
            return self.html(row, name)
        code = getattr(row, name)
        if not isinstance(code, str | int | None):
            return self.html(row, name)
        label = labels.get(code)
        if label is None:
            label = labels[code] = self.html(row, name)
        return label

    def html(self, row: Any, name: str) -> str:
        if not self.own_steps:
            return str(escape(self.list_value(row, name)))
        value = self.view._get_list_value(
            self.context, row, name, self.formatters, self.type_formatters
        )
        return str(escape(value))

    def list_value(self, row: Any, name: str) -> Any:
        """Flask-Admin's ``_get_list_value``, its type formatter found once per type of
        value (not by ``isinstance`` against each formatter for every cell)."""
        formatter = self.formatters.get(name)
        if formatter is not None:
            value = formatter(self.view, self.context, row, name)
        else:
            value = rec_getattr(row, name)
        choices = self.view._column_choices_map.get(name, {})
        if choices:
            return choices.get(value) or value
        kind = type(value)
        if kind not in self.type_formatter_of:
            self.type_formatter_of[kind] = next(
                (
                    found
                    for typeobj, found in self.type_formatters.items()
                    if isinstance(value, typeobj)
                ),
                None,
            )
        type_formatter = self.type_formatter_of[kind]
        return value if type_formatter is None else type_formatter(self.view, value, name)

    def __call__(self, row: Any, label_id: str) -> Markup:
        cells = [f'{self.openings[0]} id="{escape(label_id)}">'] if self.names else []
        for index, name in enumerate(self.names):
            if index:
                cells.append(f"{self.openings[index]}>")
            cells.append(f"{self.value(row, name)}</td>")
        return Markup("".join(cells))  # noqa: S704 - the name, id and value are escaped above


# Column formatters that show the stored value itself (set by ``register_code_formatter``).
CODE_FORMATTERS: list[Any] = []


def register_code_formatter(formatter: Any) -> Any:
    """Marks a column formatter whose cell depends on the column's stored value alone."""
    CODE_FORMATTERS.append(formatter)
    return formatter


@pass_context
def row_cells(context: Any, columns: list[tuple[str, Any]]) -> CellRenderer:
    return CellRenderer(context, context.resolve("admin_view"), columns)


# --- the filters' options, once per process and language ------------------------------


def is_static(group: Any) -> bool:
    """Options fixed at start-up (a list or none); an iterable like the colleagues is read
    per request, scoped to the user, and never kept."""
    return all(
        item["options"] is None or isinstance(item["options"], list | tuple) for item in group
    )


class FilterGroups(OrderedDict[str, Any]):
    """Flask-Admin's filter groups as the page embeds them; ``json`` set if all are static."""

    json: Markup | None = None


class FilterGroupCache:
    """Flask-Admin converts every filter option from a lazy string on every page (250
    countries, several operations each); the static groups are converted once per language.
    """

    def __init__(self) -> None:
        # Per language: each group converted, or None where it is read per request.
        self.entries: dict[str, list[tuple[str, Any] | None]] = {}
        self.whole: dict[str, FilterGroups] = {}

    def groups(self, filter_groups: Mapping[str, Any], locale: str) -> FilterGroups:
        whole = self.whole.get(locale)
        if whole is not None:
            return whole
        entries = self.entries.get(locale)
        if entries is None:
            entries = self.entries[locale] = [
                group.non_lazy() if is_static(group) else None for group in filter_groups.values()
            ]
        result = FilterGroups()
        for entry, group in zip(entries, filter_groups.values(), strict=True):
            # Not kept: read again on every page (the options depend on the user).
            key, items = entry if entry is not None else group.non_lazy()
            result[key] = items
        if all(entry is not None for entry in entries):
            result.json = filter_json(result)
            self.whole[locale] = result
        return result


def filter_json(value: Any) -> Markup:
    """``value|tojson`` as the template's filter writes it (Flask's JSON, HTML-safe)."""
    environment = current_app.jinja_env
    return htmlsafe_json_dumps(
        value,
        dumps=environment.policies["json.dumps_function"],
        **environment.policies["json.dumps_kwargs"],
    )


def filter_groups_json(groups: Any) -> Markup:
    cached = getattr(groups, "json", None)
    return cached if cached is not None else filter_json(groups)
