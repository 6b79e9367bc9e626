"""One criterion evaluated for many accounts at once, from its window alone.

A scorecard preview that changes a criterion's rules needs that criterion's
score for each account, and nothing else: not the account's other metrics,
not the signals before the window (they only tell staleness). So one query
reads the metric's signals inside the window for many accounts at once, each
account's straight out of the index that keeps them by account, metric and
time (``signal_series``, which holds the values too), as numpy columns;
numpy cuts them to the window's exact edges and sorts them by account and
time, and the engine scores each account's (``window_score``), as
``score_account`` would.
"""

import math
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from scorecards import engine
from scorecards.engine.aggregates import Nps, Stakeholder, Window
from scorecards.ingest.models import Signal
from scorecards.lib.columns import read_columns
from scorecards.scoring.rescore import CHUNK, roles_of

# Accounts read at once: at most ACCOUNTS_AT_ONCE, and fewer where their
# windows hold more than WINDOW_ROWS signals, as those read so far say.
ACCOUNTS_AT_ONCE = 10_000
WINDOW_ROWS = 2_000_000

# The query reads a second more than the window either side, and numpy cuts
# the rows to the exact edges: the database compares times to the
# microsecond, the engine as float seconds, and the engine's word counts.
_MARGIN = timedelta(seconds=1)

type Scores = tuple[dict[int, float | None], float | None]
type Columns = list[npt.NDArray[np.generic]]


def window_scores(
    criterion: engine.Criterion, accounts: npt.NDArray[np.int64], now: datetime
) -> Scores:
    """The score for ``criterion`` as of ``now`` of each of ``accounts`` with
    a signal in the window, and the score of one with none.

    On PostgreSQL the database reads the next accounts' windows while Python
    scores the last ones': a worker thread waits for the read on this
    thread's connection, in its transaction (psycopg runs one thread's query
    at a time on a connection, so a query of this thread's waits its turn).
    """
    db = connections[DEFAULT_DB_ALIAS]  # this thread's, for the reader too
    db.ensure_connection()
    t = engine.to_timestamp(now)
    moment = db.ops.adapt_datetimefield_value
    where = "s.metric = %s AND s.observed_at <= %s"
    params: list[object] = [criterion.metric, moment(now + _MARGIN)]
    low = -math.inf
    if criterion.window is not None:
        where += " AND s.observed_at > %s"
        params.append(moment(now - criterion.window - _MARGIN))
        low = t - criterion.window.total_seconds()  # as ``_window`` cuts

    def read(wanted: npt.NDArray[np.int64]) -> Columns:
        return read_columns(
            [("s.account_id", "i8"), ("s.observed_at", "time"), ("s.value", "f8"),
             ("COALESCE(s.contact_id, 0)", "i8"), ("s.id", "i8")],
            *_for_each_account(db, wanted, where, params),
            using=db,
        )  # fmt: skip

    scores: dict[int, float | None] = {}
    with ThreadPoolExecutor(max_workers=1) as reader:
        ahead = db.vendor == "postgresql"
        size = ACCOUNTS_AT_ONCE
        wanted, done = accounts[:size], size
        pending = reader.submit(read, wanted) if ahead else None
        while len(wanted):
            account, times, values, contact, receipt = (
                pending.result() if pending else read(wanted)
            )
            rows = max(len(account), 1)
            size = max(1, min(ACCOUNTS_AT_ONCE, len(wanted) * WINDOW_ROWS // rows))
            wanted, done = accounts[done : done + size], done + size
            pending = reader.submit(read, wanted) if ahead and len(wanted) else None
            inside = (times > low) & (times <= t)
            # Each account's signals oldest first, ties in receipt order.
            # Distinct times (to the microsecond) stay distinct as float seconds.
            order = np.lexsort((receipt[inside], times[inside], account[inside]))
            columns = (account, times, values, contact)
            scores |= _scored(criterion, t, *(c[inside][order] for c in columns))
    # An account with no signal in the window scores as one with none at all.
    return scores, engine.window_score(criterion, Window((), (), (), t), {})


def _for_each_account(
    db: BaseDatabaseWrapper,
    accounts: npt.NDArray[np.int64],
    where: str,
    params: list[object],
) -> tuple[str, list[object]]:
    """The FROM clause, and its parameters, of the signals ``where`` says of
    each of ``accounts``, each account's looked up in ``signal_series``."""
    table = Signal._meta.db_table
    # The ids as one text parameter (an array literal, a JSON list): quicker
    # to write out than a list adapted element by element.
    ids = ",".join(map(str, accounts.tolist()))
    if db.vendor == "postgresql":
        # OFFSET 0 keeps the planner from turning the lookups into one scan
        # of every account's signals.
        return (
            f"FROM unnest(%s::bigint[]) AS wanted (id) CROSS JOIN LATERAL"
            f" (SELECT s.account_id, s.observed_at, s.value, s.contact_id, s.id"
            f" FROM {table} s WHERE s.account_id = wanted.id"
            f" AND {where} OFFSET 0) AS s",
            ["{" + ids + "}", *params],
        )
    return (
        f"FROM json_each(%s) AS wanted JOIN {table} s"
        f" ON s.account_id = wanted.value WHERE {where}",
        ["[" + ids + "]", *params],
    )


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
