"""Alert rules and playbooks edited in the web app by an admin: YAML checked by
the API's schema, every problem named, nothing saved until all is right."""

import pytest
from django.test import Client
from django.utils import timezone

from scorecards.alerts.models import AlertRule, Playbook
from scorecards.people.service import add_person

pytestmark = pytest.mark.django_db

RULE = """\
condition: {kind: threshold, trigger: 40, clear: 55}
dwell: 2h
notify:
  - {kind: inbox, to: [csm, manager]}
playbook: win-back
"""
PLAYBOOK = """\
description: For an account sliding toward churn.
steps:
  - {title: Call the sponsor, assignee: csm, due_days: 2}
  - {title: Executive review, assignee: manager, due_days: 5}
"""


@pytest.fixture
def admin():
    client = Client()
    client.force_login(add_person("admin-01", role="admin"))
    return client


def test_an_admin_writes_a_playbook_then_a_rule_that_opens_it(admin):
    response = admin.post(
        "/settings/playbooks/new", {"name": "win-back", "definition": PLAYBOOK}
    )
    assert response.status_code == 302
    assert [s["assignee"] for s in Playbook.objects.get().steps] == ["csm", "manager"]

    response = admin.post(
        "/settings/rules/new", {"name": "low-score", "definition": RULE}
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.kind, rule.params, rule.dwell_seconds) == (
        "threshold", {"trigger": 40.0, "clear": 55.0}, 7200,
    )  # fmt: skip
    assert rule.playbook.name == "win-back"

    listing = admin.get("/settings/rules/").content.decode()
    assert 'href="/settings/rules/low-score/"' in listing
    assert "inbox (csm, manager)" in listing
    edit = admin.get("/settings/rules/low-score/").content.decode()
    assert "trigger: 40.0" in edit


@pytest.mark.parametrize(
    ("name", "text", "field", "message"),
    [
        ("low", "condition: {kind: threshold, trigger: 60, clear: 50}",
         "condition.threshold", "clear must be at or above trigger"),
        ("low", "condition: {kind: grade, grades: [at_risk]}\nplaybook: nope",
         "playbook", "no playbook named 'nope'"),
        ("low", "condition: [unclosed", "line 1", "expected ',' or ']'"),
        ("low", "- just\n- a list", "the text", "must be a mapping"),
        ("a/b", "condition: {kind: grade, grades: [at_risk]}", "name", None),
        ("low", "condition: {kind: grade, grades: [at_risk]}\nnotify: "
         "[{kind: inbox, to: [boss]}]", "notify.0.inbox.to.0", None),
    ],
)  # fmt: skip
def test_a_bad_rule_is_refused_naming_the_field(admin, name, text, field, message):
    response = admin.post("/settings/rules/new", {"name": name, "definition": text})
    page = response.content.decode()

    assert response.status_code == 422
    assert f"<strong>{field}" in page
    if message:
        assert message.replace("'", "&#x27;") in page
    assert text.split("\n")[0].replace("'", "&#x27;") in page  # kept to fix
    assert not AlertRule.objects.exists()


def test_deleting_a_rule(admin):
    now = timezone.now()
    AlertRule.objects.create(
        name="old", kind="grade", params={"grades": ["at_risk"]},
        created_at=now, updated_at=now,
    )  # fmt: skip

    admin.post("/settings/rules/old/delete")

    assert not AlertRule.objects.exists()


@pytest.mark.parametrize("role", ["manager", "csm", "viewer"])
def test_only_admins_may_change_rules(role):
    client = Client()
    client.force_login(add_person("someone", role=role))

    assert client.get("/settings/rules/").status_code == 403
    response = client.post("/settings/rules/new", {"name": "x", "definition": RULE})
    assert response.status_code == 403
    assert not AlertRule.objects.exists()
