"""The Salesforce connector, end to end: the real simple-salesforce client against
a local HTTPS stand-in that answers as Salesforce's REST API does.

The org: three accounts (two strategic, one smb) owned by csm-1 and csm-2, their
contacts with roles in AccountContactRole, open and escalated cases, meetings,
and renewal opportunities at a stage.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest

from scorecards.accounts.models import Account, Contact
from scorecards.cli.main import main
from scorecards.ingest.models import Signal
from scorecards.scoring.models import AccountScore
from scorecards.scoring.publish import publish
from scorecards.sources import salesforce
from scorecards.sources.models import Source, SyncRun
from scorecards.sources.registry import configure_source, create_source
from scorecards.testing.fake_salesforce import FakeSalesforce

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
STAMP = "2026-11-30T10:00:00.000+0000"
LATER = "2026-12-01T09:00:00.000+0000"

CARD = """\
key: default
criteria:
  - {key: cases, metric: open_cases, weight: 1, aggregate: latest,
     normalize: {linear: [10, 0]}}
  - {key: meetings, metric: days_since_meeting, weight: 1, aggregate: latest,
     normalize: {linear: [90, 0]}}
"""

SETTINGS = {
    "login": {
        "username": "integration@example.com",
        "password": {"env": "SF_TEST_PASSWORD"},
        "security_token": {"env": "SF_TEST_TOKEN"},
    },
    "every_minutes": 30,
    "accounts": {
        "key": "Account_Key__c",
        "renewal_date": "Renewal_Date__c",
        "attributes": {"industry": "Industry"},
    },
    "contacts": {"roles": {"Economic Buyer": "decision_maker"}},
    "metrics": [
        {"metric": "open_cases", "aggregate": "count",
         "soql": "SELECT AccountId FROM Case WHERE IsClosed = false"},
        {"metric": "escalated_cases", "aggregate": "count",
         "soql": "SELECT AccountId FROM Case WHERE IsEscalated = true"},
        {"metric": "days_since_meeting", "aggregate": "days_since",
         "field": "ActivityDate", "soql": "SELECT AccountId, ActivityDate FROM Event"},
        {"metric": "renewal_stage", "aggregate": "latest", "field": "StageName",
         "values": {"Prospecting": 1, "Negotiation": 3, "Closed Won": 5},
         "soql": "SELECT AccountId, StageName FROM Opportunity "
                 "WHERE Type = 'Renewal' ORDER BY CloseDate"},
    ],
}  # fmt: skip


def account(number, key, kind, owner, revenue, stamp=STAMP):
    return {
        "Id": f"001A0000000000{number}AAA",
        "Account_Key__c": key,
        "Name": f"{key.title()} Inc",
        "Type": kind,
        "Industry": "Software",
        "AnnualRevenue": revenue,
        "Renewal_Date__c": "2027-03-31",
        "Owner": {"Id": f"005A{number}", "Email": owner},
        "SystemModstamp": stamp,
    }


@pytest.fixture
def org():
    with FakeSalesforce(
        username="integration@example.com",
        password="sf-password",
        security_token="sf-token",
    ) as fake:
        fake.add_records("Account", [
            account(1, "acme", "strategic", "csm-1@vendor.example", 250000),
            account(2, "globex", "strategic", "csm-2@vendor.example", 120000.5),
            account(3, "initech", "smb", "csm-2@vendor.example", None),
        ])  # fmt: skip
        acme, globex = "001A00000000001AAA", "001A00000000002AAA"
        fake.add_records("Contact", [
            {"Id": "003A1", "AccountId": acme, "Name": "Sponsor One",
             "Email": "sponsor@acme.example", "SystemModstamp": STAMP},
            {"Id": "003A2", "AccountId": acme, "Name": "Buyer Two",
             "Email": "buyer@acme.example", "SystemModstamp": STAMP},
            {"Id": "003B1", "AccountId": "001ZZZ", "Name": "Elsewhere",
             "Email": "x@elsewhere.example", "SystemModstamp": STAMP},
        ])  # fmt: skip
        fake.add_records("AccountContactRole", [
            {"Id": "02Z1", "AccountId": acme, "ContactId": "003A1",
             "Role": "Executive Sponsor", "SystemModstamp": STAMP},
            {"Id": "02Z2", "AccountId": acme, "ContactId": "003A2",
             "Role": "Economic Buyer", "SystemModstamp": STAMP},
        ])  # fmt: skip
        fake.add_records("Case", [
            {"Id": f"500{n}", "AccountId": acme, "IsClosed": n > 3,
             "IsEscalated": n == 1} for n in range(1, 6)
        ] + [{"Id": "5009", "AccountId": globex, "IsClosed": False,
              "IsEscalated": False}])  # fmt: skip
        fake.add_records("Event", [
            {"Id": "00U1", "AccountId": acme, "ActivityDate": "2026-11-21"},
            {"Id": "00U2", "AccountId": acme, "ActivityDate": "2026-10-01"},
        ])  # fmt: skip
        fake.add_records("Opportunity", [
            {"Id": "006A", "AccountId": globex, "Type": "Renewal",
             "StageName": "Prospecting", "CloseDate": "2026-03-31"},
            {"Id": "006B", "AccountId": globex, "Type": "Renewal",
             "StageName": "Negotiation", "CloseDate": "2027-03-31"},
        ])  # fmt: skip
        yield fake


@pytest.fixture
def source(org, monkeypatch, time_machine):
    time_machine.move_to(NOW, tick=False)
    monkeypatch.setenv("SF_TEST_PASSWORD", "sf-password")
    monkeypatch.setenv("SF_TEST_TOKEN", "sf-token")
    monkeypatch.setattr(salesforce, "new_session", org.http_session)
    publish(source=CARD, format="yaml", author="cs-ops", now=NOW)
    made, _ = create_source(kind="salesforce", name="crm", settings=SETTINGS, now=NOW)
    return made


def signal_values(metric):
    return dict(
        Signal.objects.filter(metric=metric).values_list("account__key", "value")
    )


def test_a_first_sync_brings_accounts_contacts_and_metrics(source, org):
    report = salesforce.sync(source, now=NOW)

    assert report.counts == {"accounts": 3, "contacts": 2, "roles": 2, "signals": 8}
    acme = Account.objects.get(key="acme")
    assert (acme.name, acme.segment, acme.csm, int(acme.arr)) == (
        "Acme Inc", "strategic", "csm-1@vendor.example", 250000,
    )  # fmt: skip
    assert acme.renewal_date.isoformat() == "2027-03-31"
    assert acme.attributes == {"salesforce_id": "001A00000000001AAA",
                               "industry": "Software"}  # fmt: skip
    assert Account.objects.get(key="initech").arr is None
    roles = dict(Contact.objects.values_list("key", "role"))
    assert roles == {"003A1": "executive_sponsor", "003A2": "decision_maker"}
    assert Contact.objects.get(key="003A1").email == "sponsor@acme.example"

    assert signal_values("open_cases") == {"acme": 3, "globex": 1, "initech": 0}
    assert signal_values("escalated_cases") == {"acme": 1, "globex": 0, "initech": 0}
    assert signal_values("days_since_meeting") == {"acme": pytest.approx(10.5)}
    assert signal_values("renewal_stage") == {"globex": 3}
    assert Signal.objects.filter(source="crm").count() == 8
    assert AccountScore.objects.get(account__key="acme").total == pytest.approx(
        (70 + (90 - 10.5) / 90 * 100) / 2
    )
    run = SyncRun.objects.get()
    assert (run.status, run.counts["accounts"], run.error) == ("done", 3, "")


def test_the_next_sync_reads_only_what_changed_and_replaces_todays_values(source, org):
    salesforce.sync(source, now=NOW)
    org.add_records("Account", [account(4, "umbrella", "smb", "csm-1@vendor.example",
                                        5000, stamp=LATER)])  # fmt: skip
    org.requests.clear()

    later = NOW + timedelta(hours=2)
    report = salesforce.sync(Source.objects.get(), now=later)

    queries = [r.query["q"] for r in org.requests if "q" in r.query]
    account_queries = [
        q for q in queries if q.split(" FROM ")[1].split()[0] == "Account"
    ]
    assert account_queries == [
        account_queries[0].split(" WHERE ")[0]
        + " WHERE SystemModstamp > 2026-11-30T10:00:00.000Z"
    ]
    assert report.counts["accounts"] == 1
    assert Account.objects.count() == 4
    # One open_cases signal per account per day, replaced by the later sync.
    assert Signal.objects.filter(metric="open_cases").count() == 4
    assert signal_values("open_cases")["umbrella"] == 0


def test_pages_are_followed_to_the_last_record(source, org):
    org.page_size = 2

    salesforce.sync(source, now=NOW)

    assert Account.objects.count() == 3
    next_pages = [
        r.path
        for r in org.requests
        if re.fullmatch(r"/services/data/v[\d.]+/query/.+", r.path)
    ]
    assert len(next_pages) >= 2  # accounts (3) and acme's cases (5) span pages
    assert signal_values("open_cases")["acme"] == 3


def test_an_error_from_salesforce_changes_nothing(source, org):
    salesforce.sync(source, now=NOW)
    before = list(Signal.objects.order_by("pk").values_list("pk", "value"))
    state = Source.objects.get().state
    org.add_records("Account", [account(4, "umbrella", "smb", "csm-1@vendor.example",
                                        5000, stamp=LATER)])  # fmt: skip
    org.fail_next(status=503, body=[{"message": "Try again later",
                                     "errorCode": "SERVER_UNAVAILABLE"}])  # fmt: skip

    with pytest.raises(salesforce.SyncFailed, match="SERVER_UNAVAILABLE"):
        salesforce.sync(Source.objects.get(), now=NOW + timedelta(hours=1))

    assert not Account.objects.filter(key="umbrella").exists()
    assert list(Signal.objects.order_by("pk").values_list("pk", "value")) == before
    assert Source.objects.get().state == state
    failed = SyncRun.objects.first()
    assert failed.status == "failed"
    assert "SERVER_UNAVAILABLE: Try again later" in failed.error


def test_a_failing_metric_query_after_the_accounts_changes_nothing(source, org):
    nothing = {"metric": "x", "aggregate": "count", "soql": "SELECT Id FROM Nothing"}
    bad = {**SETTINGS, "metrics": [nothing]}
    source = configure_source(name="crm", settings=bad)

    with pytest.raises(salesforce.SyncFailed, match="INVALID_TYPE"):
        salesforce.sync(source, now=NOW)

    assert not Account.objects.exists()
    assert SyncRun.objects.get().status == "failed"


def test_a_refused_login_is_said_plainly(source, org, monkeypatch):
    monkeypatch.setenv("SF_TEST_PASSWORD", "not-the-password")

    with pytest.raises(salesforce.SyncFailed, match="login failed"):
        salesforce.sync(source, now=NOW)

    assert not Account.objects.exists()
    assert "not-the-password" not in SyncRun.objects.get().error


def test_a_missing_secret_names_its_variable(source, monkeypatch):
    monkeypatch.delenv("SF_TEST_TOKEN")

    with pytest.raises(salesforce.SyncFailed) as failed:
        salesforce.sync(source, now=NOW)

    assert str(failed.value) == (
        "login.security_token: the environment variable SF_TEST_TOKEN is empty"
    )


def test_a_secret_can_come_from_a_file(source, org, tmp_path):
    secret = tmp_path / "sf-password"
    secret.write_text("sf-password\n")
    login = {**SETTINGS["login"], "password": {"file": str(secret)}}
    source = configure_source(name="crm", settings={**SETTINGS, "login": login})

    assert salesforce.sync(source, now=NOW).counts["accounts"] == 3


def test_the_command_syncs_and_says_what_it_did(source, org, capsys):
    status = main(["sync", "salesforce"])

    out, err = capsys.readouterr()
    assert status == 0, err
    assert "Synced crm in" in out
    assert "3 accounts, 2 contacts, 2 roles, 8 signals." in out


def test_the_command_fails_plainly_when_salesforce_does(source, org, capsys):
    org.fail_next(
        status=500, body=[{"message": "boom", "errorCode": "UNKNOWN_EXCEPTION"}]
    )

    status = main(["sync", "salesforce", "crm"])

    assert status == 1
    assert "scorecards sync: crm: nothing changed: UNKNOWN_EXCEPTION: boom" in (
        capsys.readouterr().err
    )


def test_the_schedule_queues_each_due_sync_once(source):
    assert salesforce.enqueue_due_syncs(now=NOW) == ["crm"]
    assert salesforce.enqueue_due_syncs(now=NOW + timedelta(minutes=29)) == []
    assert salesforce.enqueue_due_syncs(now=NOW + timedelta(minutes=30)) == ["crm"]


def test_the_queued_task_runs_the_sync(source, org):
    counts = salesforce.run_sync.call(source.pk)

    assert counts["accounts"] == 3


def test_a_connected_apps_client_credentials_sign_in(source, org, monkeypatch):
    monkeypatch.setenv("SF_TEST_CONSUMER_SECRET", org.client_secret)
    login = {
        "method": "client_credentials",
        "domain": "example-org.my",
        "consumer_key": org.client_id,
        "consumer_secret": {"env": "SF_TEST_CONSUMER_SECRET"},
    }
    source = configure_source(name="crm", settings={**SETTINGS, "login": login})

    assert salesforce.sync(source, now=NOW).counts["accounts"] == 3
    assert any(r.path == "/services/oauth2/token" for r in org.requests)
    assert not any("/services/Soap/" in r.path for r in org.requests)
