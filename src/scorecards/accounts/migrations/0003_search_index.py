"""On PostgreSQL, trigram indexes so that searching accounts by any part of
their name or key reads an index instead of every row.

Needs the pg_trgm extension, which a database owner may create (it is a
trusted extension since PostgreSQL 13). Where it cannot be created, search
still works, reading every row; the migration says so and goes on.
"""

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)

# Django's icontains on PostgreSQL compares UPPER(column::text): the indexes
# are on that same expression.
INDEXES = {
    "account_name_trgm": "name",
    "account_key_trgm": "key",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic():
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        logger.warning(
            "pg_trgm could not be created (%s); account search reads every row",
            str(error).strip(),
        )
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON accounts_account"
            f" USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_portfolio_sorts")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
