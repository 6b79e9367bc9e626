"""Closed renewal opportunities from Salesforce become outcomes: the real client
against the local HTTPS stand-in. acme renewed, globex was lost; an open
renewal and a new-business deal are not outcomes."""

from datetime import UTC, datetime

import pytest

from scorecards.outcomes.models import Outcome
from scorecards.sources import salesforce
from scorecards.sources.registry import configure_source, create_source
from scorecards.testing.fake_salesforce import FakeSalesforce

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
STAMP = "2026-11-30T10:00:00.000+0000"
ACME, GLOBEX = "001A00000000001AAA", "001A00000000002AAA"
SETTINGS = {
    "login": {
        "username": "integration@example.com",
        "password": {"env": "SF_TEST_PASSWORD"},
        "security_token": {"env": "SF_TEST_TOKEN"},
    },
    "accounts": {"key": "Account_Key__c"},
    "contacts": {"sync": False},
    "outcomes": {},
}


def opportunity(ident, account, stage, closed, kind="Renewal", is_closed=True):
    return {"Id": ident, "AccountId": account, "Type": kind, "StageName": stage,
            "CloseDate": closed, "IsClosed": is_closed}  # fmt: skip


@pytest.fixture
def org():
    with FakeSalesforce(
        username="integration@example.com",
        password="sf-password",
        security_token="sf-token",
    ) as fake:
        fake.add_records("Account", [
            {"Id": ACME, "Account_Key__c": "acme", "Name": "Acme",
             "Type": "strategic", "AnnualRevenue": 1000, "SystemModstamp": STAMP,
             "Owner": {"Id": "005A1", "Email": "csm-01@vendor.example"}},
            {"Id": GLOBEX, "Account_Key__c": "globex", "Name": "Globex",
             "Type": "smb", "AnnualRevenue": 500, "SystemModstamp": STAMP,
             "Owner": {"Id": "005A2", "Email": "csm-02@vendor.example"}},
        ])  # fmt: skip
        fake.add_records("Opportunity", [
            opportunity("006A", ACME, "Closed Won", "2026-03-31"),
            opportunity("006B", GLOBEX, "Closed Lost", "2026-06-30"),
            opportunity("006C", ACME, "Negotiation", "2027-03-31", is_closed=False),
            opportunity("006D", GLOBEX, "Closed Won", "2026-05-01", kind="New"),
            opportunity("006E", "001ZZZ", "Closed Lost", "2026-05-01"),
        ])  # fmt: skip
        yield fake


@pytest.fixture
def source(org, monkeypatch, time_machine):
    time_machine.move_to(NOW, tick=False)
    monkeypatch.setenv("SF_TEST_PASSWORD", "sf-password")
    monkeypatch.setenv("SF_TEST_TOKEN", "sf-token")
    monkeypatch.setattr(salesforce, "new_session", org.http_session)
    made, _ = create_source(kind="salesforce", name="crm", settings=SETTINGS, now=NOW)
    return made


def stored():
    return list(
        Outcome.objects.order_by("decided_at").values_list(
            "account__key", "kind", "decided_at", "source", "external_id"
        )
    )


def test_closed_renewals_become_outcomes_once(source, org):
    report = salesforce.sync(source, now=NOW)
    salesforce.sync(source, now=NOW)

    assert report.counts["outcomes"] == 2
    assert stored() == [
        ("acme", "renewal", datetime(2026, 3, 31, tzinfo=UTC), "crm", "006A"),
        ("globex", "churn", datetime(2026, 6, 30, tzinfo=UTC), "crm", "006B"),
    ]


def test_the_query_and_the_stages_are_configurable(source, org):
    settings = {
        **SETTINGS,
        "outcomes": {
            "soql": "SELECT Id, AccountId, StageName, CloseDate FROM Opportunity "
            "WHERE IsClosed = true",
            "stages": {"Closed Won": "expansion"},
        },
    }
    configure_source(name="crm", settings=settings)

    salesforce.sync(source.__class__.objects.get(), now=NOW)

    assert [(key, kind, ident) for key, kind, _, _, ident in stored()] == [
        ("acme", "expansion", "006A"),
        ("globex", "expansion", "006D"),
    ]


def test_without_outcome_settings_no_opportunity_is_read(source, org):
    configure_source(name="crm", settings={**SETTINGS, "outcomes": None})

    report = salesforce.sync(source.__class__.objects.get(), now=NOW)

    assert "outcomes" not in report.counts
    assert not any("Opportunity" in r.query.get("q", "") for r in org.requests)
    assert not Outcome.objects.exists()
