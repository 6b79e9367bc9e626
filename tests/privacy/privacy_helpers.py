"""The privacy tests' book, and a search of the whole database and data folder.

The cast, all scored under ``strategic`` (every criterion has a window, the
longest 180 days):

- acme, with Robin Vale (key ``ceo``, executive sponsor), Sam Ode (``ops``,
  champion) and Kim Lowe, whose CRM keys her by her address
  (``kim@acme.example``, user);
- globex, with Pat Moss (``buyer``, champion), who must never be touched by
  what happens to acme.

Robin answered the pulse survey (2, with a comment naming her), unsubscribed,
attended a QBR whose notes name her, sent an NPS through the API under an id
holding her address, used the product, and is mentioned by address in an
override's reason (and so in the audit log), in a failed task's traceback,
in an import's rejected rows and in a contacts file still waiting to be
imported.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import connection

from scorecards.accounts.models import Account, Contact

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
ASKED = NOW - timedelta(days=10)

ROBIN = "robin.vale@acme.example"
KIM = "kim@acme.example"
PAT = "pat.moss@globex.example"

STRATEGIC = """\
key: strategic
name: Strategic accounts
grades:
  - {name: healthy, min: 70}
  - {name: watch, min: 40}
  - {name: at_risk, min: 0}
criteria:
  - key: stakeholders
    metric: stakeholder_rating
    weight: 2
    window: 180d
    aggregate:
      stakeholder:
        role_weights: {executive_sponsor: 3, champion: 1}
        max_share: 0.6
        prior: 3
    normalize: {linear: [1, 5]}
  - key: nps
    metric: nps
    weight: 1
    window: 90d
    aggregate: nps
    normalize: {linear: [-100, 100]}
  - key: usage
    metric: weekly_active_users
    weight: 1
    window: 30d
    aggregate: latest
    normalize: {linear: [0, 100]}
"""

CONTACTS = [
    {"account": "acme", "key": "ceo", "role": "executive_sponsor",
     "name": "Robin Vale", "email": ROBIN},
    {"account": "acme", "key": "ops", "role": "champion",
     "name": "Sam Ode", "email": "sam.ode@acme.example"},
    {"account": "acme", "key": KIM, "role": "user", "name": "Kim Lowe",
     "email": KIM},
    {"account": "globex", "key": "buyer", "role": "champion",
     "name": "Pat Moss", "email": PAT},
]  # fmt: skip


@dataclass(frozen=True)
class Book:
    acme: Account
    globex: Account
    robin: Contact
    kim: Contact
    pat: Contact


def search_database(text: str) -> list[str]:
    """Every table and column of the database whose row holds ``text``, in any
    case, as ``table``: all of them, Django's and the task queue's included."""
    needle = text.lower()
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            names = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for name, value in zip(names, row, strict=True):
                    if needle in _text(value).lower():
                        found.append(f"{table}.{name}")
    return sorted(set(found))


def _text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def search_files(folder: Path, text: str) -> list[str]:
    needle = text.lower().encode()
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and needle in path.read_bytes().lower()
    )
