"""Bulk writes on PostgreSQL: one INSERT of whole columns, sent as binary arrays.

A batch goes to the server as one array per column and is unpacked there
with ``unnest``, so a thousand rows cost one statement and one round trip,
and ON CONFLICT and RETURNING work as in any INSERT. The arrays travel in
PostgreSQL's binary format, which is cheaper to make than COPY's text rows
and than a long INSERT with a placeholder per value (measured in
``bench/ingest.py``).

Django binds parameters on the client, which would spell every array out as
SQL text, so this sends its one statement through a server-binding cursor on
Django's own connection: the same transaction, and errors turned into
Django's as every other query's are.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import psycopg
from django.db import connection, models


def bulk_insert(
    model: type[models.Model],
    *,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    on_conflict: str = "",
    returning: str = "",
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (values in the order of ``columns``, the fields' column
    names) into ``model``'s table in the order given; the RETURNING rows, if
    asked for, in that order too."""
    rows = list(rows)
    if not rows:
        return []
    kinds = _columns(model, tuple(columns))
    arrays = [
        [convert(value) for value in values] if convert else list(values)
        for (_, convert), values in zip(kinds, zip(*rows, strict=True), strict=True)
    ]

    names = ", ".join(columns)
    unpacked = ", ".join(f"%b::{kind}[]" for kind, _ in kinds)
    # WITH ORDINALITY and ORDER BY keep the given order, which for signals is
    # receipt order: the primary key breaks ties of observed_at by it.
    sql = (
        f"INSERT INTO {model._meta.db_table} ({names})"
        f" SELECT {names} FROM unnest({unpacked}) WITH ORDINALITY"
        f" AS given ({names}, seq) ORDER BY seq"
    )
    if on_conflict:
        sql += f" {on_conflict}"
    if returning:
        sql += f" RETURNING {returning}"

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cur:
        cur.execute(sql.encode(), arrays)
        return cur.fetchall() if returning else []


Convert = Callable[[Any], object] | None
_described: dict[tuple[str, tuple[str, ...]], list[tuple[str, Convert]]] = {}


def _columns(
    model: type[models.Model], columns: tuple[str, ...]
) -> list[tuple[str, Convert]]:
    """Each column's array type and what its values need first, worked out
    once per table and columns."""
    key = (model._meta.label, columns)
    if key not in _described:
        fields = {field.column: field for field in model._meta.concrete_fields}
        _described[key] = [_column(fields[name]) for name in columns]
    return _described[key]


def _column(field: models.Field[Any, Any]) -> tuple[str, Convert]:
    """The type the column's array is sent as, and how its values are made
    fit for it. Text goes as ``text``, not as the column's ``varchar(n)``: a
    cast to that would cut a long value short, where storing it in the column
    refuses it, as an INSERT should. JSON goes as its text, and floats as
    floats even where a value is an int (an array holds one type)."""
    kind: str | None = field.db_type(connection)
    if kind is None:
        raise ValueError(f"{field.name} has no column type")
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return (
            kind,
            lambda value: None if value is None else json.dumps(value, cls=encoder),
        )
    if isinstance(field, models.FloatField):
        return kind, lambda value: None if value is None else float(value)
    return ("text" if kind.startswith("varchar") else kind), None
