"""A transaction PostgreSQL aborts to break a deadlock is run again, whole.

Two batches storing some of the same signals in different orders can each wait
for the other's rows. Here two transactions lock two accounts in opposite
orders, which deadlocks every time: PostgreSQL aborts one, and
``retry_deadlocks`` runs it again once the other has committed.
"""

import threading
from collections.abc import Callable

import pytest
from django.db import OperationalError, connections, transaction

from scorecards.accounts.models import Account
from scorecards.lib.retry import retry_deadlocks

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def lock_both(first: int, second: int, meet: Callable[[], object]) -> None:
    """Lock ``first``, wait until the other transaction holds its first, then
    lock ``second`` and write."""
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=first)
        meet()
        Account.objects.select_for_update().get(pk=second)
        Account.objects.filter(pk=first).update(name=f"written by {first}")


def in_threads(*jobs: Callable[[], object]) -> list[BaseException]:
    failures: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            job()
        except BaseException as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return failures


@pytest.fixture
def two_accounts() -> tuple[int, int]:
    a = Account.objects.create(key="a", name="a")
    b = Account.objects.create(key="b", name="b")
    return a.pk, b.pk


def test_without_retrying_one_of_two_crossed_transactions_fails(two_accounts):
    a, b = two_accounts
    barrier = threading.Barrier(2, timeout=10)

    failures = in_threads(
        lambda: lock_both(a, b, barrier.wait), lambda: lock_both(b, a, barrier.wait)
    )

    [failure] = failures
    assert isinstance(failure, OperationalError)
    assert "deadlock" in str(failure)


def test_the_aborted_one_runs_again_and_both_are_written(two_accounts):
    a, b = two_accounts
    barrier = threading.Barrier(2, timeout=10)
    attempts = []

    def crossed(first: int, second: int) -> Callable[[], None]:
        def attempt() -> None:
            attempts.append(first)
            # Only first attempts meet: the retry has nobody left to wait for.
            meet = barrier.wait if attempts.count(first) == 1 else lambda: None
            lock_both(first, second, meet)

        return lambda: retry_deadlocks(attempt)

    failures = in_threads(crossed(a, b), crossed(b, a))

    assert failures == []
    assert len(attempts) == 3  # one of them twice
    names = set(Account.objects.values_list("name", flat=True))
    assert names == {f"written by {a}", f"written by {b}"}
