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
