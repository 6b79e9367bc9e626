"""One criterion evaluated for many accounts at once, from its window alone.

A scorecard preview that changes a criterion's rules needs that criterion's
score for each account, and nothing else: not the account's other metrics,
not the signals before the window (they only tell staleness). So one query
reads the metric's signals inside the window for every account, from the
index that keeps them by metric and time (``signal_window``), as numpy
columns; numpy cuts them to the window's exact edges and sorts them by
account and time, and the engine scores each account's (``window_score``),
as ``score_account`` would.
"""

import json
import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise

import numpy as np
import numpy.typing as npt
from django.db import connection

from scorecards import engine
from scorecards.engine.aggregates import Nps, Stakeholder, Window
from scorecards.ingest.models import Signal
from scorecards.lib.columns import read_columns
from scorecards.lib.sql import fetch
from scorecards.scoring.rescore import CHUNK, roles_of

# Signals held at once: a long window over a dense metric is read a range of
# accounts at a time, each a pass over the window in the index.
WINDOW_ROWS = 2_000_000

# The query reads a second more than the window either side, and numpy cuts
# the rows to the exact edges: the database compares times to the
# microsecond, the engine as float seconds, and the engine's word counts.
_MARGIN = timedelta(seconds=1)

type Scores = tuple[dict[int, float | None], float | None]


def window_scores(
    criterion: engine.Criterion, accounts: npt.NDArray[np.int64], now: datetime
) -> Scores:
    """The score for ``criterion`` as of ``now`` of each of ``accounts`` with
    a signal in the window, and the score of one with none."""
    t = engine.to_timestamp(now)
    moment = connection.ops.adapt_datetimefield_value
    where = "metric = %s AND observed_at <= %s"
    params: list[object] = [criterion.metric, moment(now + _MARGIN)]
    low = -math.inf
    if criterion.window is not None:
        where += " AND observed_at > %s"
        params.append(moment(now - criterion.window - _MARGIN))
        low = t - criterion.window.total_seconds()  # as ``_window`` cuts
    table = Signal._meta.db_table

    scores: dict[int, float | None] = {}
    for extra, bounds in _ranges(f"FROM {table} WHERE {where}", params):
        account, times, values, contact, receipt = read_columns(
            [("account_id", "i8"), ("observed_at", "time"), ("value", "f8"),
             ("COALESCE(contact_id, 0)", "i8"), ("id", "i8")],
            f"FROM {table} WHERE {where}{extra}",
            [*params, *bounds],
        )  # fmt: skip
        inside = (times > low) & (times <= t) & np.isin(account, accounts)
        # Each account's signals oldest first, ties in receipt order. Distinct
        # times (to the microsecond) stay distinct as float seconds.
        order = np.lexsort((receipt[inside], times[inside], account[inside]))
        scores |= _scored(
            criterion,
            t,
            *(column[inside][order] for column in (account, times, values, contact)),
        )
    # An account with no signal in the window scores as one with none at all.
    return scores, engine.window_score(criterion, Window((), (), (), t), {})


def _ranges(rest: str, params: Sequence[object]) -> list[tuple[str, list[int]]]:
    """SQL to add to the query, and its parameters, for each range of
    accounts to read at a time: all at once unless the window is large."""
    rows = _rows_in(rest, params)
    if rows <= WINDOW_ROWS:
        return [("", [])]
    first, last = fetch(f"SELECT MIN(account_id), MAX(account_id) {rest}", params)[0]
    edges = np.linspace(first, last + 1, math.ceil(rows / WINDOW_ROWS) + 1)
    bounds = sorted({int(edge) for edge in edges})
    return [
        (" AND account_id >= %s AND account_id < %s", [low, high])
        for low, high in pairwise(bounds)
    ]


def _rows_in(rest: str, params: Sequence[object]) -> int:
    """About how many rows ``SELECT ... <rest>`` gives: enough to size the
    reads by. PostgreSQL's planner estimates it for free; SQLite counts."""
    if connection.vendor != "postgresql":
        return int(fetch(f"SELECT COUNT(*) {rest}", params)[0][0])
    (plan,) = fetch(f"EXPLAIN (FORMAT JSON) SELECT 1 {rest}", params)[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _scored(
    criterion: engine.Criterion,
    t: float,
    account: npt.NDArray[np.int64],
    times: npt.NDArray[np.float64],
    values: npt.NDArray[np.float64],
    contact: npt.NDArray[np.int64],
) -> dict[int, float | None]:
    """Each account's score from its signals inside the window, given by
    account, then oldest first (ties in receipt order)."""
    if not len(account):
        return {}
    starts = np.flatnonzero(np.diff(account, prepend=account[0] - 1))
    ends = [*starts[1:].tolist(), len(account)]
    ids = account[starts].tolist()
    time_list, value_list = times.tolist(), values.tolist()
    contacts: list[str | None] = [None] * len(account)
    if isinstance(criterion.aggregate, Nps | Stakeholder):
        contacts = [str(c) if c else None for c in contact.tolist()]
    roles: dict[int, dict[str, str]] = {}
    if isinstance(criterion.aggregate, Stakeholder):
        for start in range(0, len(ids), CHUNK):
            roles |= roles_of(ids[start : start + CHUNK])

    score = engine.window_score
    return {
        account_id: score(
            criterion,
            Window(time_list[s:e], value_list[s:e], contacts[s:e], t),
            roles.get(account_id, {}),
        )
        for account_id, s, e in zip(ids, starts.tolist(), ends, strict=True)
    }
