"""The reliability suite: a real server, real faults, a small book of accounts.

The book: one scorecard, ``default``, and ACCOUNTS accounts (acc-00 ...), each
scored on the mean of its usage and the latest of its QBR ratings. Most tests
talk to a real `scorecards serve` in its own process, on the database of the
run, through the ``service`` fixture; they use ``transactional_db`` so that
what the server writes is what the test reads. The others run in a
transaction rolled back at the end, which is much quicker.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_helpers import ACCOUNTS, SCORECARD, SETUP_AT

from scorecards.accounts.service import upsert_accounts
from scorecards.api.tokens import create_token
from scorecards.scoring.publish import publish
from scorecards.testing.database import database_url
from scorecards.testing.heavy import heavy_tests
from scorecards.testing.liveserver import LiveServer, start_server


@pytest.fixture(scope="session")
def served(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server for the run's tests: starting one takes a couple of seconds."""
    folder = tmp_path_factory.mktemp("served")
    server = start_server(database_url=database_url(), data_dir=folder, workers=4)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def service(served: LiveServer, transactional_db: None) -> LiveServer:
    """The module's server, with a fresh token for this test."""
    _, secret = create_token(name="reliability", now=SETUP_AT)
    served.token = secret
    return served


@pytest.fixture
def book(db: None) -> list[str]:
    publish(source=SCORECARD, format="yaml", author="setup", now=SETUP_AT)
    upsert_accounts([{"key": key} for key in ACCOUNTS], now=SETUP_AT)
    return ACCOUNTS


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    return folder


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "postgres_only: a fault only PostgreSQL has (a dropped connection); "
        "deselected, not skipped, on the SQLite pass",
    )
    config.addinivalue_line(
        "markers",
        "heavy: slow; deselected unless SCORECARDS_HEAVY_TESTS=1 (CI sets it)",
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    unwanted = set() if heavy_tests() else {"heavy"}
    if config.getoption("database") == "sqlite":
        unwanted.add("postgres_only")
    deselected = [
        item
        for item in items
        if any(item.get_closest_marker(name) for name in unwanted)
    ]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]
