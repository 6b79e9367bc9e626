"""`scorecards demo`: the demo portfolio, loaded through the product's own services.

A dozen accounts keep the tests quick. The portfolio's first accounts tell one
story each — acc-000001 declines, acc-000002 recovers, acc-000003 is the unhappy
strategic account whose champion alone still sings its praises — so a dozen
are enough to see them all.
"""

import copy
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from scorecards import engine
from scorecards.accounts.models import Account, Contact
from scorecards.accounts.service import upsert_accounts
from scorecards.alerts.models import Alert, AlertRule, RecoveryPlan
from scorecards.cli.main import main
from scorecards.demo import generate
from scorecards.ingest.models import Signal
from scorecards.scoring.history import end_of_day
from scorecards.scoring.models import PointKind, Scorecard, ScorePoint
from scorecards.scoring.rescore import load_histories

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ACCOUNTS = 12
SEED = 7
ROLES = {"executive_sponsor", "decision_maker", "champion", "user", "billing"}
METRICS = {
    "weekly_active_users",
    "open_escalations",
    "support_tickets",
    "qbr_score",
    "days_to_renewal",
    "nps",
    "stakeholder_rating",
}


@dataclass
class Run:
    status: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def frozen_clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def demo(capsys):
    """Run `scorecards demo` in-process, as a user would type it."""

    def run(*argv: str) -> Run:
        capsys.readouterr()
        status = main(["demo", *argv])
        out, err = capsys.readouterr()
        return Run(status, out, err)

    return run


def masked_account() -> generate.Account:
    portfolio = generate.make_accounts(ACCOUNTS, seed=SEED, end=NOW)
    [masked] = [a for a in portfolio if a.story is generate.Story.CHAMPION_MASKS]
    return masked


def latest_rating(contact: Contact) -> float:
    rows = Signal.objects.filter(contact=contact, metric="stakeholder_rating")
    return rows.latest("observed_at").value


def daily_totals(key: str) -> list[float | None]:
    points = ScorePoint.objects.filter(account__key=key, kind=PointKind.DAILY)
    return list(points.order_by("at").values_list("total", flat=True))


@pytest.mark.django_db
def test_it_fills_an_empty_database_through_the_services(demo):
    run = demo("--accounts", str(ACCOUNTS))

    assert run.status == 0, run.stderr
    assert "demo loaded in" in run.stdout
    assert Account.objects.count() == ACCOUNTS
    assert set(Contact.objects.values_list("role", flat=True)) == ROLES
    assert set(Scorecard.objects.values_list("key", flat=True)) == {
        "default",
        "strategic",
    }
    assert set(Signal.objects.values_list("metric", flat=True).distinct()) == METRICS
    oldest = Signal.objects.earliest("observed_at").observed_at
    assert NOW - oldest > timedelta(days=720)
    statuses = Account.objects.values_list("score__status", flat=True)
    assert set(statuses) == {"scored"}


@pytest.mark.django_db
def test_it_records_a_daily_point_for_each_of_the_last_90_days(demo):
    demo("--accounts", str(ACCOUNTS))

    daily = ScorePoint.objects.filter(kind=PointKind.DAILY)
    days = sorted(set(daily.values_list("at", flat=True)))
    assert daily.count() == 90 * ACCOUNTS
    assert days[0] == end_of_day(NOW.date() - timedelta(days=90))
    assert days[-1] == end_of_day(NOW.date() - timedelta(days=1))


@pytest.mark.django_db
def test_the_accounts_tell_their_stories_over_the_last_90_days(demo):
    demo("--accounts", str(ACCOUNTS))

    declining = daily_totals("acc-000001")
    recovering = daily_totals("acc-000002")
    assert declining[-1] < declining[0] - 5
    assert recovering[-1] > recovering[0] + 5


@pytest.mark.django_db
def test_one_enthusiastic_champion_cannot_carry_an_unhappy_account(demo):
    demo("--accounts", str(ACCOUNTS))
    account = Account.objects.get(key=masked_account().key)
    contacts = list(account.contacts.exclude(role="billing"))

    ratings = {c.role: latest_rating(c) for c in contacts if c.role != "user"}
    users = {latest_rating(c) for c in contacts if c.role == "user"}
    assert ratings == {"executive_sponsor": 2, "decision_maker": 2, "champion": 5}
    assert users == {2}

    # Only the champion rated the account in the last 180 days: with the cap of
    # 0.4 the rest of the weight goes to the neutral prior of 3, giving 3.8.
    criteria = {c["key"]: c for c in account.score.criteria}
    assert criteria["stakeholders"]["raw"] == pytest.approx(3.8)
    assert criteria["stakeholders"]["score"] == pytest.approx(70.0)
    assert account.score.grade != "healthy"


@pytest.mark.django_db
def test_without_the_cap_the_champion_would_lift_the_score(demo):
    demo("--accounts", str(ACCOUNTS))
    account = Account.objects.get(key=masked_account().key)
    version = account.score.version

    uncapped = rescored_without_cap(account, version.definition)

    stakeholders = {c.key: c for c in uncapped.criteria}["stakeholders"]
    assert stakeholders.score == pytest.approx(100.0)
    assert uncapped.total - account.score.total > 5


def rescored_without_cap(account: Account, definition: dict) -> engine.AccountScore:
    definition = copy.deepcopy(definition)
    for criterion in definition["criteria"]:
        if criterion.get("key") == "stakeholders":
            rollup = criterion["aggregate"]["stakeholder"]
            rollup.pop("max_share")
            rollup.pop("prior")
    card = engine.build_scorecard(definition)

    history = load_histories([account.pk], card.metrics(), NOW)[account.pk]
    roles = {str(pk): role for pk, role in account.contacts.values_list("pk", "role")}
    return engine.score_account(card, history, as_of=NOW, roles=roles)


@pytest.mark.django_db
def test_it_leaves_a_database_that_has_accounts_alone(demo):
    upsert_accounts([{"key": "acme", "name": "Acme"}], now=NOW)

    run = demo("--accounts", "3")

    assert run.status == 0
    assert "already has accounts" in run.stdout
    assert "--force" in run.stdout
    assert list(Account.objects.values_list("key", flat=True)) == ["acme"]
    assert not Scorecard.objects.exists()
    assert not Signal.objects.exists()


@pytest.mark.django_db
def test_force_loads_the_demo_beside_existing_accounts(demo):
    upsert_accounts([{"key": "acme", "name": "Acme"}], now=NOW)

    run = demo("--accounts", "3", "--force")

    assert run.status == 0, run.stderr
    assert Account.objects.count() == 4
    assert Signal.objects.filter(account__key="acc-000003").exists()


@pytest.mark.django_db
def test_loading_again_with_force_adds_nothing_twice(demo):
    demo("--accounts", "3")
    signals = Signal.objects.count()
    versions = list(Scorecard.objects.values_list("key", "current__number"))

    demo("--accounts", "3", "--force")

    assert Signal.objects.count() == signals
    assert list(Scorecard.objects.values_list("key", "current__number")) == versions


def test_the_same_seed_makes_the_same_portfolio():
    def portfolio(seed):
        accounts = generate.make_accounts(5, seed=seed, end=NOW)
        signals = [
            list(generate.signals(a, days=60, end=NOW, seed=seed)) for a in accounts
        ]
        return accounts, signals

    assert portfolio(3) == portfolio(3)
    assert portfolio(3) != portfolio(4)


def test_a_larger_portfolio_begins_with_the_smaller_one():
    small = generate.make_accounts(5, seed=SEED, end=NOW)
    large = generate.make_accounts(50, seed=SEED, end=NOW)

    assert large[:5] == small


def test_the_demo_invents_no_people():
    for account in generate.make_accounts(40, seed=SEED, end=NOW):
        assert account.csm.startswith("csm-")
        for contact in account.contacts:
            label = generate.ROLE_LABELS[contact.role]
            assert contact.name == f"{label} {contact.key}"


def test_offline_options_need_offline(demo):
    run = demo("--write", "somewhere")

    assert run.status == 2
    assert "--write: only with --offline" in run.stderr


@pytest.mark.django_db
def test_it_sets_alert_rules_and_shows_accounts_with_firing_alerts(demo):
    run = demo("--accounts", str(ACCOUNTS))

    firing = Alert.objects.filter(state="firing")
    assert set(AlertRule.objects.values_list("name", flat=True)) == {
        "at-risk",
        "falling",
        "sponsor-unhappy",
    }
    assert firing.exists()
    assert f"{firing.count()} alerts firing" in run.stdout
    at_risk = firing.filter(rule__name="at-risk")
    assert all(a.account.score.grade == "at_risk" for a in at_risk)
    plans = RecoveryPlan.objects.filter(status="open")
    assert plans.count() == at_risk.count() > 0
    assert {plan.playbook.name for plan in plans} == {"win-back"}
