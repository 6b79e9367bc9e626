"""A small book of accounts in the database, two scorecards, and a frozen clock.

The cast:

- acme (segment strategic), scored under `strategic`; its contacts are ceo
  (executive sponsor), cto (decision maker), ops (champion) and intern (user);
- globex (smb), scored under `default`; one contact, buyer (champion);
- initech (smb), scored under `default`, which never sends anything.

Both scorecards and the cast are in place from EPOCH. Every test starts at NOW
with time frozen, and passes the moment it acts at to the services explicitly.

The two scorecards read the same metrics with different weights, so moving an
account from one to the other moves its total by a known amount. Under
`default`, a QBR rating of 4 (75) and 40 weekly active users (40) make 57.5;
under `strategic`, with no stakeholder answer, the same data makes
(2·75 + 40) / 3 = 63.33.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from scorecards import engine
from scorecards.accounts.models import Account
from scorecards.accounts.service import upsert_accounts, upsert_contacts
from scorecards.engine.serialize import criterion_json
from scorecards.ingest.models import Signal
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.scoring import scorecards as scorecards_module
from scorecards.scoring.models import AccountScore, Scorecard, ScorecardVersion
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
min_coverage: 0.5
{GRADES}\
criteria:
  - key: qbr
    metric: qbr_score
    weight: 1
    aggregate: latest
    window: 10d
    normalize: {{linear: [1, 5]}}
  - key: usage
    metric: weekly_active_users
    weight: 1
    aggregate: latest
    stale_after: 3d
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
        role_weights: {{executive_sponsor: 3, decision_maker: 2, champion: 1}}
        max_share: 0.4
        prior: 3
    normalize: {{linear: [1, 5]}}
  - group: engagement
    weight: 1
    criteria:
      - key: usage
        metric: weekly_active_users
        weight: 1
        aggregate: latest
        normalize: {{linear: [0, 100]}}
"""

FILES = {"default": DEFAULT, "strategic": STRATEGIC}

ACCOUNTS = [
    {"key": "acme", "name": "Acme Corp", "segment": "strategic", "csm": "csm-1"},
    {"key": "globex", "name": "Globex", "segment": "smb", "csm": "csm-2"},
    {"key": "initech", "name": "Initech", "segment": "smb", "csm": "csm-2"},
]

CONTACTS = [
    {"account": "acme", "key": "ceo", "role": "executive_sponsor"},
    {"account": "acme", "key": "cto", "role": "decision_maker"},
    {"account": "acme", "key": "ops", "role": "champion"},
    {"account": "acme", "key": "intern", "role": "user"},
    {"account": "globex", "key": "buyer", "role": "champion"},
]


class Clock:
    """Frozen time that a test moves on by hand; ``now`` is what services get.

    ``start`` is when the scorecards were published and the cast set up.
    """

    start = EPOCH

    def __init__(self, machine: Any) -> None:
        self._machine = machine
        self.now = NOW

    def move_to(self, moment: datetime) -> datetime:
        self._machine.move_to(moment, tick=False)
        self.now = moment
        return moment

    def days_later(self, days: float) -> datetime:
        return self.move_to(self.now + timedelta(days=days))


@dataclass(frozen=True)
class Cast:
    acme: Account
    globex: Account
    initech: Account


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the scorecards parsed by earlier tests, as a new process would.

    The service keeps parsed versions by primary key for the life of the
    process, and a rolled-back test frees its keys for the next test on SQLite.
    """
    monkeypatch.setattr(scorecards_module, "_parsed", {}, raising=False)
    monkeypatch.setattr(scorecards_module, "_loaded", {}, raising=False)


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Clock:
    clock = Clock(time_machine)
    clock.move_to(NOW)
    return clock


@pytest.fixture
def scorecards(clock: Clock) -> dict[str, ScorecardVersion]:
    clock.move_to(clock.start)
    versions = {
        key: publish(source=text, format="yaml", author="setup", now=clock.start)
        for key, text in FILES.items()
    }
    clock.move_to(NOW)
    return versions


@pytest.fixture
def scorecard_file() -> Callable[..., str]:
    """The text of `default` or `strategic` with some top-level fields changed,
    and optionally the weight of its first criterion, qbr."""

    def make(
        key: str,
        *,
        qbr_weight: float | None = None,
        format: str = "yaml",
        **fields: Any,
    ) -> str:
        data = {**yaml.safe_load(FILES[key]), **fields}
        if qbr_weight is not None:
            data["criteria"][0]["weight"] = qbr_weight
        if format == "json":
            return json.dumps(data)
        return yaml.safe_dump(data, sort_keys=False)

    return make


@pytest.fixture
def republish(
    clock: Clock, scorecard_file: Callable[..., str]
) -> Callable[..., ScorecardVersion]:
    """Publish the next version of a scorecard, changed as ``scorecard_file`` says."""

    def publish_next(key: str, **changes: Any) -> ScorecardVersion:
        source = scorecard_file(key, **changes)
        return publish(
            source=source, format="yaml", author="an operator", now=clock.now
        )

    return publish_next


@pytest.fixture
def cast(clock: Clock, scorecards: dict[str, ScorecardVersion]) -> Cast:
    clock.move_to(clock.start)
    upsert_accounts(ACCOUNTS, now=clock.start)
    upsert_contacts(CONTACTS, now=clock.start)
    clock.move_to(NOW)

    accounts = {a.key: a for a in Account.objects.all()}
    return Cast(accounts["acme"], accounts["globex"], accounts["initech"])


@pytest.fixture
def signal(clock: Clock) -> Callable[..., IncomingSignal]:
    """A signal as a client sends it, observed ``days_ago`` before the clock."""

    def make(
        account: str,
        metric: str,
        value: float,
        *,
        days_ago: float = 0,
        at: datetime | None = None,
        contact: str | None = None,
        source: str | None = None,
        id: str | None = None,
    ) -> IncomingSignal:
        observed_at = at or clock.now - timedelta(days=days_ago)
        return IncomingSignal(account, metric, value, observed_at, contact, source, id)

    return make


@pytest.fixture
def usage(cast, signal, clock) -> Callable[..., float | None]:
    """Set globex's usage now, and so its total under `default`: with its QBR
    rating of 3 (a score of 50), a usage of u makes a total of (50 + u) / 2."""
    ingest_signals([signal("globex", "qbr_score", 3)], now=clock.now)

    def send(value: float, account: str = "globex") -> float | None:
        ingest_signals([signal(account, "weekly_active_users", value)], now=clock.now)
        return AccountScore.objects.get(account__key=account).total

    return send


def engine_score(account: Account, *, as_of: datetime) -> engine.AccountScore:
    """The pure engine's score of everything stored for ``account``.

    Built without the service's loading code: the signals in receipt order with
    contacts by key, the current version of every scorecard parsed afresh.
    """
    cards = [
        engine.build_scorecard(card.current.definition)
        for card in Scorecard.objects.select_related("current")
    ]
    card = engine.choose_scorecard(cards, account.scoring_attributes())
    assert card is not None, f"no scorecard applies to {account.key}"

    rows = Signal.objects.filter(account=account).select_related("contact")
    history = engine.History.from_signals(
        engine.Signal(
            account.key,
            row.metric,
            row.value,
            row.observed_at,
            contact=row.contact.key if row.contact else None,
        )
        for row in rows.order_by("pk")
    )
    roles = dict(account.contacts.values_list("key", "role"))
    return engine.score_account(card, history, as_of=as_of, roles=roles)


@pytest.fixture
def assert_scored_as_engine() -> Callable[[Account, datetime], None]:
    """Check an account's stored score against the pure engine, to 1e-6."""

    def check(account: Account, as_of: datetime) -> None:
        account.refresh_from_db()
        stored = AccountScore.objects.select_related("version__scorecard").get(
            account=account
        )
        expected = engine_score(account, as_of=as_of)

        assert stored.version.scorecard.key == expected.scorecard.key
        assert stored.status == str(expected.status)
        assert stored.total == pytest.approx(expected.total, abs=1e-6)
        assert stored.grade == (expected.grade.name if expected.grade else "")
        assert stored.coverage == pytest.approx(expected.coverage, abs=1e-6)
        wanted = [criterion_json(c) for c in expected.criteria]
        assert [c["path"] for c in stored.criteria] == [c["path"] for c in wanted]
        for got, want in zip(stored.criteria, wanted, strict=True):
            numbers = ("raw", "score", "share", "contribution")
            assert {k: got[k] for k in numbers} == pytest.approx(
                {k: want[k] for k in numbers}, abs=1e-6
            )
            others = ("count", "latest_at", "stale", "missing", "filled")
            assert {k: got[k] for k in others} == {k: want[k] for k in others}

    return check
