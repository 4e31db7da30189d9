"""Deep list pages without an OFFSET scan over joins: the page's ids first, then its rows.

Flask-Admin pages with ``LIMIT n OFFSET m`` on the whole list query, eager joins and all
columns included, so the database builds and drops ``m`` joined rows for a deep page.
``rows_of_page`` asks the same query (scoping, search, filters, sort, LIMIT and OFFSET)
for the ids alone, which an index can serve, and then loads just those rows with their
eager joins, in the order of the ids: the same rows in the same order, a page deep in
the list about as fast as the first ("deferred join").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Query


def rows_of_page(query: Query[Any], model: type[Any]) -> list[Any]:
    """The records of a paged list query, its ids read first without eager joins."""
    ids = [row_id for (row_id,) in query.enable_eagerloads(False).with_entities(model.id).all()]
    if not ids:
        return []
    records = query.limit(None).offset(None).filter(model.id.in_(ids)).all()
    by_id = {record.id: record for record in records}
    return [by_id[row_id] for row_id in ids if row_id in by_id]


# --- the row links of a list page ------------------------------------------------------

ROW_ID = "0000000000"  # digits, so that url_for writes it as it writes any record id


class RowUrls:
    """``url_for`` once per link of a list page, not once per row: the URL of the first
    row with the id set in, for every other row of the same request.

    A link with a record id (``id=42``) is built once with ``ROW_ID`` and the id is put in
    its place; any other link (the delete form's action) is built once. Within one request
    ``url_for`` gives the same URL for the same arguments, so the page is the same.
    """

    def __init__(self) -> None:
        self.patterns: dict[tuple[Any, ...], str] = {}

    def url(self, build: Any, endpoint: str, values: dict[str, Any]) -> str:
        row_id = values.get("id")
        if isinstance(row_id, bool) or not (
            isinstance(row_id, int) or (isinstance(row_id, str) and row_id.isdigit())
        ):
            row_id = None
        key = (
            endpoint,
            row_id is None,
            tuple(
                (name, repr(value))
                for name, value in values.items()
                if name != "id" or row_id is None
            ),
        )
        pattern = self.patterns.get(key)
        if pattern is None:
            pattern = build(
                endpoint, **({**values, "id": ROW_ID} if row_id is not None else values)
            )
            self.patterns[key] = pattern
        if row_id is None:
            return pattern
        marker = f"id={ROW_ID}"
        if pattern.count(marker) != 1:
            return str(build(endpoint, **values))
        return pattern.replace(marker, f"id={int(row_id)}", 1)
