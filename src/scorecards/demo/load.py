"""Filling a database with the demo portfolio, through the product's own services.

Data goes in the way real data would: the bundled scorecards are published,
accounts and contacts are upserted, signals are ingested in batches that are
re-scored live, and the daily points of the last days are recorded, so every
page, trend and API answer has something to show.
"""

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scorecards import engine
from scorecards.accounts.models import Account
from scorecards.accounts.service import upsert_accounts, upsert_contacts
from scorecards.alerts.machine import AlertState
from scorecards.alerts.models import Alert, AlertRule, Playbook
from scorecards.alerts.service import evaluate_all
from scorecards.demo import generate
from scorecards.demo.bundled import bundled_scorecards
from scorecards.demo.people import TEAMS, add_people
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.outcomes.service import upsert_outcomes
from scorecards.scoring.history import record_daily_points
from scorecards.scoring.models import Scorecard
from scorecards.scoring.publish import publish
from scorecards.scoring.trends import refresh_trends

logger = logging.getLogger(__name__)

AUTHOR = "scorecards demo"
ACCOUNT_BATCH = 500
# Batches end at an account's last signal; two years of one account's signals
# are far below the 10,000 an ingest batch allows, so a batch never overflows.
SIGNAL_BATCH = 5000
OUTCOME_BATCH = 5000


@dataclass(frozen=True, slots=True)
class Loaded:
    scorecards: int
    accounts: int
    contacts: int
    signals: int
    daily_points: int
    seconds: float
    outcomes: int = 0


def database_has_accounts() -> bool:
    return Account.objects.exists()


def load_portfolio(
    *,
    accounts: int,
    seed: int,
    now: datetime,
    days: int = 730,
    daily_points: int = 90,
    report: Callable[[str], None] | None = None,
) -> Loaded:
    """Load a generated portfolio of ``accounts`` with ``days`` of signals up to
    ``now``, then record the daily points of the last ``daily_points`` days.

    ``report`` hears one line per step, with its time, for a user who waits.
    """
    clock = _Stopwatch(report or _log)
    portfolio = generate.make_accounts(accounts, seed=seed, end=now)

    scorecards = publish_bundled(now=now)
    clock.lap(f"published {scorecards} scorecards")
    contacts = add_accounts(portfolio, now=now)
    clock.lap(f"stored {accounts:,} accounts and {contacts:,} contacts")
    signals = add_signals(portfolio, seed=seed, days=days, now=now)
    clock.lap(f"ingested {signals:,} signals, scored live")
    outcomes = add_outcomes(portfolio, seed=seed, days=days, now=now)
    clock.lap(f"recorded {outcomes:,} renewal outcomes")
    points = record_history(now=now, days=daily_points)
    refresh_trends(now=now)
    clock.lap(f"recorded {points:,} daily points over {daily_points} days")
    people = add_people()
    clock.lap(f"added {people} users in {len(TEAMS)} teams")
    firing = add_alert_rules(now=now)
    clock.lap(f"set {len(DEMO_RULES)} alert rules: {firing} alerts firing")

    return Loaded(
        scorecards, accounts, contacts, signals, points, clock.total(), outcomes
    )


# Rules a CS team would start with. They tell the CSM and the CSM's manager in
# the app's inbox; nothing leaves the machine until an email or webhook target
# is added.
# An account entering at_risk gets the win-back playbook as its recovery plan.
DEMO_PLAYBOOK = [
    {
        "title": "Call the executive sponsor",
        "assignee": "csm",
        "due_days": 2,
        "description": "Hear what changed, in their words.",
    },
    {"title": "Review open escalations with support", "assignee": "csm", "due_days": 5},
    {
        "title": "Agree a recovery plan with the customer",
        "assignee": "csm",
        "due_days": 14,
    },
]
DEMO_RULES = {
    "at-risk": {"kind": "grade", "params": {"grades": ["at_risk"]}},
    "falling": {"kind": "drop", "params": {"points": 10, "days": 30}},
    "sponsor-unhappy": {
        "kind": "criterion",
        "params": {"metric": "nps", "role": "executive_sponsor", "op": "<=",
                   "value": 6},
    },
}  # fmt: skip


def add_alert_rules(*, now: datetime) -> int:
    """Set the demo's alert rules and evaluate them; returns the alerts firing."""
    playbook, _ = Playbook.objects.update_or_create(
        name="win-back",
        defaults={"steps": DEMO_PLAYBOOK, "updated_at": now},
        create_defaults={"steps": DEMO_PLAYBOOK, "created_at": now, "updated_at": now},
    )
    for name, rule in DEMO_RULES.items():
        fields = {
            **rule,
            "notify": [{"kind": "inbox", "to": ["csm", "manager"]}],
            "playbook": playbook if name == "at-risk" else None,
        }
        AlertRule.objects.update_or_create(
            name=name,
            defaults={**fields, "updated_at": now},
            create_defaults={**fields, "created_at": now, "updated_at": now},
        )
    evaluate_all(now=now)
    return Alert.objects.filter(state=AlertState.FIRING).count()


def _log(line: str) -> None:
    logger.info("demo: %s", line)


class _Stopwatch:
    def __init__(self, report: Callable[[str], None]) -> None:
        self.report = report
        self.started = self.lap_started = time.perf_counter()

    def lap(self, done: str) -> None:
        now = time.perf_counter()
        self.report(f"{done} in {now - self.lap_started:.1f} s")
        self.lap_started = now

    def total(self) -> float:
        return time.perf_counter() - self.started


def publish_bundled(*, now: datetime) -> int:
    """Publish each bundled scorecard, unless its current version is the same file."""
    published = 0
    for path in bundled_scorecards():
        source = path.read_text(encoding="utf-8")
        key = engine.decode_scorecard(source, format="yaml")["key"]
        current = Scorecard.objects.filter(key=key).values_list(
            "current__source", flat=True
        )
        if source in current:
            continue
        publish(source=source, format="yaml", author=AUTHOR, now=now)
        published += 1
    return published


def add_accounts(portfolio: Sequence[generate.Account], *, now: datetime) -> int:
    """Upsert the accounts and their contacts; returns the number of contacts."""
    contacts = 0
    for start in range(0, len(portfolio), ACCOUNT_BATCH):
        batch = portfolio[start : start + ACCOUNT_BATCH]
        upsert_accounts([_account_item(account) for account in batch], now=now)
        items = [_contact_item(a, contact) for a in batch for contact in a.contacts]
        upsert_contacts(items, now=now)
        contacts += len(items)
    return contacts


def _account_item(account: generate.Account) -> dict[str, Any]:
    return {
        "key": account.key,
        "name": account.name,
        "segment": account.segment,
        "tier": account.tier,
        "csm": account.csm,
        "arr": account.arr,
        "renewal_date": account.renewal_date,
        "attributes": {"region": account.region, "seats": account.seats},
    }


def _contact_item(
    account: generate.Account, contact: generate.Contact
) -> dict[str, Any]:
    return {
        "account": account.key,
        "key": contact.key,
        "role": contact.role,
        "name": contact.name,
        "email": contact.email(account.key),
    }


def add_signals(
    portfolio: Sequence[generate.Account], *, seed: int, days: int, now: datetime
) -> int:
    """Ingest every account's signals; returns how many were new."""
    accepted = 0
    for batch in _signal_batches(portfolio, seed=seed, days=days, now=now):
        accepted += ingest_signals(batch, now=now).accepted
    return accepted


def _signal_batches(
    portfolio: Sequence[generate.Account], *, seed: int, days: int, now: datetime
) -> Iterator[list[IncomingSignal]]:
    batch: list[IncomingSignal] = []
    for account in portfolio:
        batch.extend(
            IncomingSignal(
                account=s.account,
                metric=s.metric,
                value=s.value,
                observed_at=s.observed_at,
                contact=s.contact,
                source=s.source,
                id=s.id,
            )
            for s in generate.signals(account, days=days, end=now, seed=seed)
        )
        if len(batch) >= SIGNAL_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def add_outcomes(
    portfolio: Sequence[generate.Account], *, seed: int, days: int, now: datetime
) -> int:
    """Record what became of each account at its past renewals, as a CRM would
    report it; returns how many outcomes there are."""
    items = [
        {
            "account": o.account,
            "kind": o.kind,
            "decided_at": o.decided_at,
            "source": "salesforce",
            "id": o.id,
        }
        for account in portfolio
        for o in generate.outcomes(account, days=days, end=now, seed=seed)
    ]
    for start in range(0, len(items), OUTCOME_BATCH):
        upsert_outcomes(items[start : start + OUTCOME_BATCH], now=now)
    return len(items)


def record_history(*, now: datetime, days: int) -> int:
    """Record the daily points of the ``days`` whole days before ``now``."""
    today = now.date()
    recorded = 0
    for back in range(days, 0, -1):
        recorded += record_daily_points(today - timedelta(days=back))
    return recorded
