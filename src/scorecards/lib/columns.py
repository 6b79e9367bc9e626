"""Reading many rows of numbers as numpy columns.

PostgreSQL packs the rows into one binary string, each value in its binary
form (``int8send``, ``float8send``), which numpy reads as it stands: no
message and no Python object per row. Other databases give rows, which are
turned into columns after.
"""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import psycopg
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

from scorecards.lib.sql import epoch

# The kinds of column there are, and each one's binary form on PostgreSQL:
# a bigint, a float, and a time as float seconds since the epoch (sent as
# whole microseconds since 2000).
_SEND = {
    "i8": "int8send(({})::int8)",
    "f8": "float8send(({})::float8)",
    "time": "timestamptz_send({})",
}
_Y2K_MICROSECONDS = 946_684_800_000_000


def read_columns(
    columns: Sequence[tuple[str, str]],
    rest: str,
    params: Sequence[object],
    *,
    using: BaseDatabaseWrapper | None = None,
) -> list[npt.NDArray[np.generic]]:
    """One numpy array per (SQL expression, kind) of ``columns``, over the
    rows of ``SELECT <expressions> <rest>``, in no particular order (sort
    them after). A kind is "i8" for a bigint, "f8" for a float, "time" for a
    time column read as float seconds since the epoch, exactly as Python's
    ``datetime.timestamp()`` gives it (for times before the year 2255).

    No value may be null (COALESCE it in the expression): a null is refused
    with ValueError rather than a row being dropped.

    ``using`` is the connection to read on, the thread's own by default. On
    PostgreSQL a worker thread may read on another thread's connection, in
    its session and transaction, while that thread leaves it alone.
    """
    db = using or connection
    kinds = [kind for _, kind in columns]
    if db.vendor != "postgresql":
        selected = ", ".join(
            epoch(sql) if kind == "time" else sql for sql, kind in columns
        )
        rows = _rows(db, f"SELECT {selected} {rest}", params)
        try:
            return [
                np.fromiter(
                    (row[i] for row in rows),
                    dtype="f8" if kind == "time" else kind,
                    count=len(rows),
                )
                for i, kind in enumerate(kinds)
            ]
        except TypeError as error:
            raise ValueError(f"a column is null or not of its kind: {error}") from None

    packed = " || ".join(_SEND[kind].format(sql) for sql, kind in columns)
    count, data = _packed(
        db, f"SELECT COUNT(*), string_agg({packed}, '') {rest}", params
    )
    binary = [">i8" if kind == "time" else f">{kind}" for kind in kinds]
    row = np.dtype([(f"c{i}", kind) for i, kind in enumerate(binary)])
    table = np.frombuffer(data or b"", dtype=row)
    if len(table) != count:  # string_agg leaves out a row with a null
        raise ValueError("a column is null: its row cannot be read")
    return [
        # Whole microseconds to 2**53 are exact as floats, and one division
        # rounds them as Python's int / int does.
        (table[f"c{i}"] + _Y2K_MICROSECONDS).astype("f8") / 1e6
        if kind == "time"
        else table[f"c{i}"].astype(kind)
        for i, kind in enumerate(kinds)
    ]


def _rows(
    db: BaseDatabaseWrapper, sql: str, params: Sequence[object]
) -> list[tuple[object, ...]]:
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _packed(
    db: BaseDatabaseWrapper, sql: str, params: Sequence[object]
) -> tuple[int, bytes | None]:
    db.ensure_connection()
    with db.wrap_database_errors, psycopg.Cursor(db.connection) as cur:
        cur.execute(sql.encode(), params, binary=True)
        count, data = cur.fetchone() or (0, None)
        return count, data
