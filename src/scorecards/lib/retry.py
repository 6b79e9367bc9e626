"""Running a transaction again when PostgreSQL broke a deadlock by aborting it.

Two batches that store some of the same signals in different orders can each
wait for the other's rows; PostgreSQL then aborts one of them (SQLSTATE
40P01), and the whole of that transaction was rolled back, so doing it again
is safe. Anything else is raised as it came.
"""

import logging
from collections.abc import Callable

from django.db import OperationalError

logger = logging.getLogger(__name__)

DEADLOCK = "40P01"
ATTEMPTS = 3


def retry_deadlocks[T](work: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """``work()``, run again up to ``attempts`` times in all if it deadlocks.
    ``work`` must be a whole transaction, not part of the caller's."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != DEADLOCK:
                raise
            if attempt == attempts:
                raise
            logger.warning("deadlock with another transaction, attempt %d", attempt)
    raise AssertionError("unreachable")
