"""Plain SQL for the few queries on the path of every batch of signals.

The ORM builds each query afresh on every call, which costs more than running
these small ones; here they are written once, in SQL both databases take.
"""

from collections.abc import Collection, Sequence
from typing import Any

from django.db import connection


def marks(values: Collection[object]) -> str:
    """One placeholder per value, for ``IN (...)``."""
    return ", ".join(["%s"] * len(values))


def fetch(sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def epoch(column: str) -> str:
    """SQL for a time column (or an aggregate of one) as float seconds since
    the epoch, exactly as Python's ``datetime.timestamp()`` gives it (one
    rounding from whole microseconds)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})::float8"
    # Django keeps SQLite times as 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC; '%%s'
    # is strftime's '%s' once the placeholders are filled in. strftime is
    # given whole seconds only: it rounds a fraction to the millisecond, and
    # so .9995 or later to the next second.
    return (
        f"((CAST(strftime('%%s', substr({column}, 1, 19)) AS INTEGER) * 1000000"
        f" + CAST(substr({column}, 21, 6) AS INTEGER)) / 1000000.0)"
    )
