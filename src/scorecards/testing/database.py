"""The test database as a URL, for a program the tests start in a process of its own.

A test that starts `scorecards` as a real process (to kill it halfway, say)
needs that process on the database the test reads: the one pytest-django made,
on SQLite or PostgreSQL as the run was asked. Such a test must use the
``transactional_db`` fixture, so that what each side writes is committed and
the other side sees it.
"""

from urllib.parse import quote

from django.db import connection


def database_url() -> str:
    """The URL of the database the tests are using now."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = quote(settings["USER"] or "", safe="")
    password = quote(settings["PASSWORD"] or "", safe="")
    login = f"{user}:{password}@" if password else f"{user}@"
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgres://{login}{host}:{port}/{settings['NAME']}"
