"""The audit log in the web app: changes made on pages are recorded with the
person who made them; admins browse, filter and export it; nobody else sees it
and nobody can change it."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.test import Client

from scorecards.audit.log import record
from scorecards.audit.models import AuditEntry
from scorecards.people.service import add_person

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def admin() -> Client:
    client = Client()
    client.force_login(add_person("admin-01", role="admin", password=None))
    return client


def signed_in(username: str, role: str) -> Client:
    client = Client()
    client.force_login(add_person(username, role=role))
    return client


def test_a_role_change_on_the_people_page_is_recorded_with_who_made_it(admin):
    person = add_person("csm-01", role="csm", teams=["east"])

    admin.post(
        f"/settings/people/{person.pk}",
        {"role": "manager", "teams": "east", "manages": "east"},
    )

    (role,) = AuditEntry.objects.filter(action="user.role_changed")
    assert (role.actor_kind, role.actor, role.target) == (
        "user", "admin-01", "user:csm-01"
    )  # fmt: skip
    assert (role.before, role.after) == ({"role": "csm"}, {"role": "manager"})
    (teams,) = AuditEntry.objects.filter(action="user.teams_changed")
    assert teams.before == {"teams": ["east"], "manages": []}
    assert teams.after == {"teams": ["east"], "manages": ["east"]}


def test_people_and_tokens_made_on_pages_are_recorded(admin):
    admin.post(
        "/settings/people/",
        {"username": "viewer-01", "email": "", "role": "viewer", "teams": "",
         "password": ""},
    )  # fmt: skip
    admin.post("/settings/tokens/", {"name": "warehouse"})
    admin.post("/settings/tokens/", {"revoke": "warehouse"})

    created = AuditEntry.objects.get(action="user.created", target="user:viewer-01")
    assert created.actor == "admin-01"
    assert created.after == {
        "username": "viewer-01", "role": "viewer", "teams": [], "manages": []
    }  # fmt: skip
    actions = AuditEntry.objects.filter(target="token:warehouse").order_by("id")
    assert [(e.action, e.actor) for e in actions] == [
        ("token.created", "admin-01"),
        ("token.revoked", "admin-01"),
    ]


def test_the_page_lists_and_filters_entries(admin):
    record("scorecard.published", target="scorecard:b2b", after={"version": 3})
    record("override.set", target="account:acme", after={"score": 20})

    page = admin.get("/settings/audit/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "scorecard:b2b" in text
    assert "account:acme" in text

    filtered = admin.get("/settings/audit/", {"action": "override"}).content.decode()
    assert "account:acme" in filtered
    assert "scorecard:b2b" not in filtered

    bad = admin.get("/settings/audit/", {"since": "last tuesday"})
    assert bad.status_code == 400
    assert "From (UTC day)" in bad.content.decode()


def test_the_export_is_csv_safe_for_spreadsheets_and_is_itself_recorded(admin):
    record("import.requested", target="import:1", after={"file_name": "=HYPERLINK()"})

    response = admin.get("/settings/audit.csv", {"action": "import"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response).decode())))
    assert [row["action"] for row in rows] == ["import.requested"]
    assert rows[0]["after"].startswith("{")  # JSON, not a formula
    exported = AuditEntry.objects.get(action="audit.exported")
    assert (exported.actor, exported.detail) == (
        "admin-01",
        {"filters": "action=import"},
    )


def test_a_cell_that_would_be_a_formula_is_neutralized(admin):
    record("source.created", target="=cmd|' /C calc'!A0")

    rows = list(csv.reader(io.StringIO(b"".join(admin.get("/settings/audit.csv"))
                                        .decode())))  # fmt: skip

    targets = [row[4] for row in rows[1:] if row[3] == "source.created"]
    assert targets == ["'=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("role", ["manager", "csm", "viewer"])
def test_only_admins_see_or_export_the_log(role):
    client = signed_in(f"{role}-01", role)

    assert client.get("/settings/audit/").status_code == 403
    assert client.get("/settings/audit.csv").status_code == 403
    assert not AuditEntry.objects.filter(action="audit.exported").exists()


def test_no_page_changes_an_entry(admin):
    record("override.set", target="account:acme")

    assert admin.post("/settings/audit/", {"action": "x"}).status_code == 405
    assert admin.post("/settings/audit.csv").status_code == 405
    assert AuditEntry.objects.filter(action="override.set").count() == 1


def test_a_portfolio_export_is_recorded(admin):
    response = admin.get("/accounts.csv", {"segment": "smb"})
    b"".join(response)

    exported = AuditEntry.objects.get(action="accounts.exported")
    assert (exported.actor, exported.detail) == ("admin-01", {"filters": "segment=smb"})
