"""Sample feeds for the demo portfolio, to watch data arrive from elsewhere.

``write_feeds`` writes, for the same made-up accounts ``scorecards demo``
loads (same count, same seed):

- ``salesforce/Account.csv``: accounts as Salesforce's Data Loader exports
  them, with upper-cased API names for headers, to import with ``--map``;
- ``segment/rules.yaml`` and ``segment/batch.json``: activity rules for a
  Segment source, and one batch of ``group`` and ``track`` calls for the last
  week, to send to ``/v1/batch``;
- ``delighted/response.json``: a Delighted ``survey_response.created`` event.
"""

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scorecards.demo.generate import Account, make_accounts

SALESFORCE_HEADER = [
    "ID", "NAME", "TYPE", "INDUSTRY", "ANNUALREVENUE", "OWNER_ALIAS__C",
    "RENEWAL_DATE__C", "ACCOUNT_KEY__C",
]  # fmt: skip
SALESFORCE_MAP = (
    "--map account=ACCOUNT_KEY__C --map segment=TYPE --map arr=ANNUALREVENUE "
    "--map csm=OWNER_ALIAS__C --map renewal_date=RENEWAL_DATE__C"
)

RULES = """\
# Activity rules for the demo's Segment source.
rules:
  - metric: weekly_active_users
    aggregate: distinct_users
    days: 7
  - metric: reports_created
    aggregate: count
    events: [Report Created]
"""

EVENTS_PER_ACCOUNT = 12
ACCOUNTS_IN_BATCH = 20


def write_feeds(folder: Path, *, accounts: int, seed: int, now: datetime) -> list[Path]:
    """Write the sample feeds under ``folder``; returns the files written."""
    book = make_accounts(accounts, seed=seed, end=now)
    written = [
        _salesforce_accounts(folder / "salesforce" / "Account.csv", book),
        _write(folder / "segment" / "rules.yaml", RULES),
        _write(folder / "segment" / "batch.json", json.dumps(_batch(book, now))),
        _write(
            folder / "delighted" / "response.json",
            json.dumps(_delighted(book[0], now), indent=2),
        ),
    ]
    return written


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")
    return path


def _salesforce_accounts(path: Path, book: list[Account]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(SALESFORCE_HEADER)
        for number, account in enumerate(book, start=1):
            writer.writerow(
                [
                    f"001DEMO{number:011d}",
                    account.name,
                    account.segment,
                    "Software",
                    f"{account.arr}.00",
                    account.csm,
                    account.renewal_date.isoformat(),
                    account.key,
                ]
            )
    return path


def _batch(book: list[Account], now: datetime) -> dict[str, object]:
    """Group calls placing each account's users, then a week of their events."""
    calls: list[dict[str, object]] = []
    start = now.astimezone(UTC).replace(microsecond=0) - timedelta(days=7)
    for account in book[:ACCOUNTS_IN_BATCH]:
        users = [f"{account.key}-user-{n}" for n in range(1, 4)]
        calls += [
            {"type": "group", "userId": user, "groupId": account.key,
             "messageId": f"demo-group-{user}", "timestamp": start.isoformat()}
            for user in users
        ]  # fmt: skip
        for n in range(EVENTS_PER_ACCOUNT):
            moment = start + timedelta(hours=13 * n + 1)
            event = "Report Created" if n % 3 == 0 else "Dashboard Viewed"
            calls.append(
                {
                    "type": "track",
                    "userId": users[n % len(users)],
                    "event": event,
                    "messageId": f"demo-{account.key}-{n}",
                    "timestamp": moment.isoformat(),
                    "properties": {"demo": True},
                }
            )
    return {"batch": calls}


def _delighted(account: Account, now: datetime) -> dict[str, object]:
    contact, key = account.contacts[0], account.key
    moment = int(now.timestamp())
    return {
        "event_type": "survey_response.created",
        "event_id": "demo-event-1",
        "event_data": {
            "id": "demo-response-1",
            "person": {"id": "demo-person-1", "email": contact.email(key)},
            "survey_type": "nps",
            "score": 4,
            "comment": "Too slow for us this quarter.",
            "created_at": moment,
            "updated_at": moment,
            "person_properties": {"account": key},
        },
    }
