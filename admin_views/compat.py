"""The one module that touches Flask-Admin's private members (pinned: Flask-Admin 2.2).

Flask-Admin offers no public API for a few things the screens need: the hook that runs
before every exposed method, the list arguments of the current URL, the export columns,
and the converter's common string arguments. Everything else in ``admin_views`` uses
the names below, so an upgrade of Flask-Admin is checked against this file alone.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response


class ViewHooks:
    """Maps Flask-Admin's private hooks of a view to public methods of ours."""

    def before_endpoint(self, name: str) -> Any:
        """Runs before every exposed method of the screen; a return value is the answer."""
        return None

    def export_csv(self) -> Response:
        raise NotImplementedError

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        refused = super()._handle_view(name, **kwargs)  # type: ignore[misc]
        if refused is not None:
            return refused
        return self.before_endpoint(name)

    def _export_csv(self, return_url: Any) -> Response:
        return self.export_csv()

    def apply_search(self, query: Any, count_query: Any, search: str) -> tuple[Any, Any]:
        """The list and count queries narrowed to ``search``; Flask-Admin's own by default."""
        query, count_query, _joins, _count_joins = super()._apply_search(  # type: ignore[misc]
            query, count_query, {}, {}, search
        )
        return query, count_query

    def _apply_search(
        self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str
    ) -> tuple[Any, Any, Any, Any]:
        query, count_query = self.apply_search(query, count_query, search)
        return query, count_query, joins, count_joins


def action_names(view: Any) -> list[str]:
    """The names of the bulk actions the view declares."""
    return [name for name, _text in view._actions]


def is_model_form(view: Any, form: Any) -> bool:
    """Whether ``form`` is the view's create or edit form (not e.g. the delete form)."""
    return isinstance(form, (view._create_form_class, view._edit_form_class))


def form_field(form: Any, name: str) -> Any:
    """The bound field ``name`` of a WTForms form, or None."""
    return form._fields.get(name)


def form_object(form: Any) -> Any:
    """The record an edit form was built for (None on a create form)."""
    return getattr(form, "_obj", None)


def list_arguments(view: Any) -> Any:
    """Page, sort, search and filters of the current list URL."""
    return view._get_list_extra_args()


def sort_column(view: Any, index: Any) -> Any:
    return view._get_column_by_idx(index)


def export_columns(view: Any) -> list[tuple[str, Any]]:
    """``(name, label)`` of each column the export writes."""
    return list(view._export_columns)


def column_choices(view: Any, name: str) -> dict[Any, Any] | None:
    """The code → label map of a choice column, or None."""
    choices: dict[Any, Any] | None = view._column_choices_map.get(name)
    return choices


def field_value(view: Any, record: Any, name: str) -> Any:
    """A column's raw value, following dotted names like ``client.last_name``."""
    return view._get_field_value(record, name)


def string_field_arguments(
    converter: Any, column: Any, field_args: dict[str, Any], **extra: Any
) -> None:
    """The validators Flask-Admin adds to every string field (length, required, unique)."""
    converter._string_common(column=column, field_args=field_args, **extra)
