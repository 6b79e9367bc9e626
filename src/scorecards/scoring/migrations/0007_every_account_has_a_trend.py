"""Every account gets a trend row, as every account has a score row; and, on
PostgreSQL, indexes for the portfolio's descending sorts.

A descending sort puts missing values last and breaks ties by the key in
ascending order, which a backward walk of an ascending index cannot give on
PostgreSQL. SQLite puts missing values last in descending order by itself.
"""

from django.db import migrations
from django.utils import timezone

DESCENDING_INDEXES = [
    (
        "score_portfolio_order_desc",
        "scoring_accountscore (total DESC NULLS LAST, status, account_id)",
    ),
    ("trend_delta_30_desc", "scoring_accounttrend (delta_30 DESC NULLS LAST)"),
    ("account_arr_desc", "accounts_account (arr DESC NULLS LAST, key)"),
    ("account_renewal_desc", "accounts_account (renewal_date DESC NULLS LAST, key)"),
    ("account_name_desc", "accounts_account (name DESC NULLS LAST, key)"),
    ("account_segment_desc", "accounts_account (segment DESC NULLS LAST, key)"),
    ("account_csm_desc", "accounts_account (csm DESC NULLS LAST, key)"),
]


def add_missing_trends(apps, schema_editor):
    account = apps.get_model("accounts", "Account")
    trend = apps.get_model("scoring", "AccountTrend")
    now = timezone.now()
    missing = account.objects.filter(trend__isnull=True).values_list("pk", flat=True)
    trend.objects.bulk_create(
        (trend(account_id=pk, computed_at=now) for pk in missing.iterator()),
        batch_size=1000,
        ignore_conflicts=True,
    )


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, target in DESCENDING_INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in DESCENDING_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_portfolio_filters"),
        ("scoring", "0006_trend_sparkline"),
    ]

    operations = [
        migrations.RunPython(add_missing_trends, migrations.RunPython.noop),
        migrations.RunPython(add_indexes, drop_indexes),
    ]
