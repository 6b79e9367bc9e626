"""Pytest plugin: run the suite on SQLite (the default) or on PostgreSQL.

`pytest --database=postgres` uses the server in SCORECARDS_TEST_DATABASE_URL, or else
starts a throwaway cluster from the local PostgreSQL binaries and removes it when the
run ends. That pass runs only the tests that touch the database; the others have
already run in the SQLite pass. Under pytest-xdist the controller starts the cluster
and the workers inherit its address through the environment.

When no PostgreSQL can be had, the database tests are skipped with the reason, except
on CI (CI set to anything but false), where the run fails instead.
"""

import os
import shutil
import tempfile
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from scorecards.testing.cluster import PostgresUnavailable, start_cluster

TEST_URL_ENV = "SCORECARDS_TEST_DATABASE_URL"
TEST_DATA_ENV = "SCORECARDS_TEST_DATA_DIR"

# How the controller tells xdist workers that PostgreSQL is missing, so each of them
# skips the database tests with the controller's reason instead of trying again.
UNAVAILABLE_ENV = "SCORECARDS_TEST_POSTGRES_UNAVAILABLE"

# pytest-django fixtures that give a test the database. Any fixture built on them
# shows up in item.fixturenames too, since that list is the full closure. The plain
# client is not one of them (it opens no database by itself), and neither is
# django_db_blocker, which pytest-django's autouse fixtures pull into every test.
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
        "admin_user",
        "admin_client",
        "async_admin_client",
    }
)

DESELECTED_OUTPUT_KEY = "scorecards_postgres_deselected"


@dataclass
class DatabaseChoice:
    header: str
    skip_reason: str | None = None


choice_key = pytest.StashKey[DatabaseChoice]()
deselected_key = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("scorecards")
    group.addoption(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="database the tests run on (default: sqlite)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None, None, None]:
    """Settle DATABASE_URL before pytest-django's implementation imports settings."""
    # Every change to the environment is undone when the run ends, so a second run
    # in the same process (an IDE, pytest.main) starts from a clean slate.
    environ = pytest.MonkeyPatch()
    early_config.add_cleanup(environ.undo)

    # Tests get the development defaults (no secret key needed); pytest-django still
    # runs each test with DEBUG off. Production settings have their own tests.
    if "SCORECARDS_DEBUG" not in os.environ:
        environ.setenv("SCORECARDS_DEBUG", "true")

    options = early_config.known_args_namespace
    if options.help or options.version:
        return (yield)

    use_private_data_dir(early_config, environ)

    if options.database == "postgres":
        choice = choose_postgres(early_config, environ)
    else:
        choice = choose_sqlite(environ)
    early_config.stash[choice_key] = choice
    return (yield)


def use_private_data_dir(config: pytest.Config, environ: pytest.MonkeyPatch) -> None:
    """Give the run a data directory of its own, shared by its xdist workers.

    The SQLite test database is a file there, so two runs in one checkout (a
    developer's and an editor's) never write to the same database.
    """
    data_dir = os.environ.get(TEST_DATA_ENV)
    if not data_dir:
        data_dir = tempfile.mkdtemp(prefix="scorecards-test-")
        environ.setenv(TEST_DATA_ENV, data_dir)
        config.add_cleanup(lambda: shutil.rmtree(data_dir, ignore_errors=True))
    environ.setenv("SCORECARDS_DATA_DIR", data_dir)


def pytest_report_header(config: pytest.Config) -> str | None:
    choice = config.stash.get(choice_key, None)
    return choice.header if choice else None


def choose_sqlite(environ: pytest.MonkeyPatch) -> DatabaseChoice:
    # A DATABASE_URL left in a developer's shell must not turn this pass into a
    # second PostgreSQL pass.
    ignored = "DATABASE_URL" in os.environ
    environ.delenv("DATABASE_URL", raising=False)

    note = ", DATABASE_URL from the environment ignored" if ignored else ""
    return DatabaseChoice(header=f"database: SQLite (--database=sqlite{note})")


def choose_postgres(
    config: pytest.Config, environ: pytest.MonkeyPatch
) -> DatabaseChoice:
    url = os.environ.get(TEST_URL_ENV, "").strip()
    if url:
        check_server_answers(url)
        environ.setenv("DATABASE_URL", url)
        header = f"database: PostgreSQL at {describe(url)} (from {TEST_URL_ENV})"
        return DatabaseChoice(header=header)

    reason = os.environ.get(UNAVAILABLE_ENV)
    if reason:
        return unavailable(reason, environ)

    started = time.monotonic()
    try:
        cluster = start_cluster()
    except PostgresUnavailable as error:
        return unavailable(str(error), environ)
    config.add_cleanup(cluster.stop)

    # Exported before xdist spawns its workers, which inherit the environment.
    environ.setenv(TEST_URL_ENV, cluster.url)
    environ.setenv("DATABASE_URL", cluster.url)
    seconds = time.monotonic() - started
    return DatabaseChoice(
        header=f"database: {cluster.describe()}, ready in {seconds:.1f}s"
    )


def unavailable(reason: str, environ: pytest.MonkeyPatch) -> DatabaseChoice:
    if running_on_ci():
        raise pytest.UsageError(
            f"PostgreSQL not available: {reason}. CI must run the PostgreSQL pass."
        )

    environ.setenv(UNAVAILABLE_ENV, reason)
    return DatabaseChoice(
        header=f"database: PostgreSQL NOT AVAILABLE, database tests skipped: {reason}",
        skip_reason=f"PostgreSQL not available: {reason}",
    )


def running_on_ci() -> bool:
    # CI services set CI to "true", "1" or their own name.
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def check_server_answers(url: str) -> None:
    # Django creates the test databases from the "postgres" maintenance database, so
    # that is the one that has to answer.
    try:
        with psycopg.connect(url, dbname="postgres", connect_timeout=5):
            pass
    except psycopg.Error as error:
        raise pytest.UsageError(
            f"{TEST_URL_ENV} ({describe(url)}) does not answer: {error}"
        ) from None


def describe(url: str) -> str:
    """Host, port and database of a URL, leaving out the credentials."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if config.getoption("database") != "postgres":
        return

    selected: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        (selected if touches_database(item) else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
    remember_deselected(config, len(deselected))

    choice = config.stash[choice_key]
    if choice.skip_reason:
        for item in items:
            item.add_marker(pytest.mark.skip(reason=choice.skip_reason))


def touches_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db"):
        return True
    if DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True

    test_class = getattr(item, "cls", None)
    if test_class is None:
        return False

    from django.test import TransactionTestCase

    return issubclass(test_class, TransactionTestCase)


def remember_deselected(config: pytest.Config, count: int) -> None:
    config.stash[deselected_key] = count

    # An xdist worker has no terminal; the controller reads this when it goes down.
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[DESELECTED_OUTPUT_KEY] = count


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object | None) -> None:
    # node is xdist's WorkerController; xdist is only imported when it is in use.
    workeroutput = getattr(node, "workeroutput", {})
    if DESELECTED_OUTPUT_KEY in workeroutput:
        node.config.stash[deselected_key] = workeroutput[DESELECTED_OUTPUT_KEY]


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    count = config.stash.get(deselected_key, None)
    if count is None:
        return

    terminalreporter.write_line(
        f"PostgreSQL pass: {count} tests that do not touch the database were "
        "deselected; they run in the SQLite pass."
    )
