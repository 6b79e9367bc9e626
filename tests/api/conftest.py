"""The API as a client sees it: a token, a small book of accounts, a frozen clock.

The cast:

- the integrator: a CRM sync holding the token ``crm-sync``, allowed everywhere;
- the outsiders, who must learn nothing: one holds the revoked token
  ``old-laptop``, a stranger a made-up token, and anonymous none at all;
- acme (segment strategic) with contacts ceo (executive sponsor) and ops
  (champion), scored under ``strategic``;
- globex (smb) with one contact, buyer (champion), and initech (smb), which
  never sends anything; both scored under ``default``.

Scorecards and accounts are in place from EPOCH; every test starts at NOW with
time frozen.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from scorecards.accounts.service import upsert_accounts, upsert_contacts
from scorecards.api.tokens import create_token, revoke_token
from scorecards.scoring.models import ScorecardVersion
from scorecards.scoring.publish import publish

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)

GRADES = """\
grades:
  - {name: healthy, min: 70}
  - {name: watch, min: 40}
  - {name: at_risk, min: 0}
"""

DEFAULT = f"""\
key: default
name: Everyone
{GRADES}\
criteria:
  - key: nps
    metric: nps
    weight: 1
    aggregate: nps
    window: 180d
    normalize: {{linear: [-100, 100]}}
  - key: usage
    metric: weekly_active_users
    weight: 1
    aggregate: latest
    window: 30d
    normalize: {{linear: [0, 100]}}
"""

STRATEGIC = f"""\
key: strategic
name: Strategic accounts
applies_to: {{segment: [strategic]}}
priority: 10
{GRADES}\
criteria:
  - key: qbr
    metric: qbr_score
    weight: 2
    aggregate: latest
    normalize: {{linear: [1, 5]}}
  - key: stakeholders
    metric: stakeholder_rating
    weight: 1
    aggregate:
      stakeholder:
        role_weights: {{executive_sponsor: 3, champion: 1}}
        max_share: 0.6
        prior: 3
    normalize: {{linear: [1, 5]}}
  - key: usage
    metric: weekly_active_users
    weight: 1
    aggregate: latest
    normalize: {{linear: [0, 100]}}
"""

ACCOUNTS = [
    {"key": "acme", "name": "Acme Corp", "segment": "strategic", "csm": "csm-1"},
    {"key": "globex", "name": "Globex", "segment": "smb", "csm": "csm-2"},
    {"key": "initech", "name": "Initech", "segment": "smb", "csm": "csm-2"},
]

CONTACTS = [
    {"account": "acme", "key": "ceo", "role": "executive_sponsor"},
    {"account": "acme", "key": "ops", "role": "champion"},
    {"account": "globex", "key": "buyer", "role": "champion"},
]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class Caller:
    """A client of the API holding one bearer token (or none)."""

    client: Client
    secret: str | None

    def _headers(self) -> dict[str, str]:
        if self.secret is None:
            return {}
        return {"Authorization": f"Bearer {self.secret}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self._headers())

    def post(self, path: str, body: Any) -> Any:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.client.post(
            f"/api/v1{path}",
            data,
            content_type="application/json",
            headers=self._headers(),
        )

    def put(self, path: str, text: str, content_type: str = "application/yaml") -> Any:
        return self.client.put(
            f"/api/v1{path}", text, content_type=content_type, headers=self._headers()
        )

    def send(self, method: str, path: str) -> Any:
        """Any call with a plausible body, for checks that come before reading it."""
        if method == "get":
            return self.get(path)
        if method == "put":
            return self.put(path, DEFAULT)
        return self.post(path, {})


@pytest.fixture(autouse=True)
def now(time_machine: Any) -> datetime:
    """The frozen present of every test."""
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def signal() -> Callable[..., dict[str, Any]]:
    """A signal as a client writes it, observed ``days_ago`` before NOW."""

    def make(
        account: str, metric: str, value: Any, *, days_ago: float = 0, **more: Any
    ) -> dict[str, Any]:
        observed_at = iso(NOW - timedelta(days=days_ago))
        return {"account": account, "metric": metric, "value": value,
                "observed_at": observed_at, **more}  # fmt: skip

    return make


@pytest.fixture
def integrator(db: None, client: Client, time_machine: Any) -> Caller:
    time_machine.move_to(EPOCH, tick=False)
    _, secret = create_token(name="crm-sync", now=EPOCH)
    time_machine.move_to(NOW, tick=False)
    return Caller(client, secret)


@pytest.fixture
def outsider(db: None, client: Client, time_machine: Any) -> Caller:
    time_machine.move_to(EPOCH, tick=False)
    _, secret = create_token(name="old-laptop", now=EPOCH)
    revoke_token(name="old-laptop", now=EPOCH)
    time_machine.move_to(NOW, tick=False)
    return Caller(client, secret)


@pytest.fixture
def stranger(client: Client) -> Caller:
    return Caller(client, "sc_" + "x" * 43)


@pytest.fixture
def anonymous(client: Client) -> Caller:
    return Caller(client, None)


@pytest.fixture
def scorecards(db: None, time_machine: Any) -> dict[str, ScorecardVersion]:
    time_machine.move_to(EPOCH, tick=False)
    versions = {
        key: publish(source=text, format="yaml", author="setup", now=EPOCH)
        for key, text in (("default", DEFAULT), ("strategic", STRATEGIC))
    }
    time_machine.move_to(NOW, tick=False)
    return versions


@pytest.fixture
def cast(scorecards: dict[str, ScorecardVersion], time_machine: Any) -> None:
    time_machine.move_to(EPOCH, tick=False)
    upsert_accounts(ACCOUNTS, now=EPOCH)
    upsert_contacts(CONTACTS, now=EPOCH)
    time_machine.move_to(NOW, tick=False)
