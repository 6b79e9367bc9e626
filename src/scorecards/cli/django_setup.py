"""Django for the sub-commands that need the database, set up only when they run.

The offline commands (``score``) never come here, so they work on a machine with
no database and no configuration at all.
"""

import os

SETTINGS_MODULE = "scorecards.config.settings"


class CommandFailed(Exception):
    """A sub-command cannot go on; the message is for the operator, as it is."""

    def __init__(self, message: str, *, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def setup_django() -> None:
    """Configure Django from the environment, once per process.

    A bad setting (a missing secret key, an unusable DATABASE_URL) becomes a
    CommandFailed with the settings' own message, which names the variable.
    """
    from django.apps import apps

    # Setting up again would apply the logging configuration a second time,
    # dropping handlers that others (a test runner) added since.
    if apps.ready:
        return

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)

    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as error:
        raise CommandFailed(str(error), status=2) from None


def require_migrated() -> None:
    """Refuse to go on while the database lacks some of this version's tables."""
    from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[DEFAULT_DB_ALIAS]
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as error:
        message = f"cannot read the {connection.vendor} database: {error}"
        raise CommandFailed(message) from None

    if plan:
        count = len(plan)
        noun = "migration" if count == 1 else "migrations"
        raise CommandFailed(
            f"the database needs {count} {noun} before this version can run on it: "
            "run `scorecards migrate` first",
            status=2,
        )
