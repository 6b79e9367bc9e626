"""Alert rules through the API, and the alerts they open, read and handled.

globex is scored under `default`: NPS and usage, equally weighted.
"""

from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from scorecards.alerts.models import AlertRule
from scorecards.alerts.tasks import evaluate_rules_now

pytestmark = pytest.mark.django_db

RULE = {
    "condition": {"kind": "threshold", "trigger": 40, "clear": 55},
    "scope": {"segments": ["smb"]},
    "dwell": "2h",
    "cooldown": "1d",
    "repeat": "1w",
    "notify": [{"kind": "webhook", "url": "https://hooks.example.com/cs",
                "secret": {"env": "CS_HOOK_SECRET"}}],
}  # fmt: skip


def put(caller, name, body):
    return caller.client.put(
        f"/api/v1/alert-rules/{name}",
        body,
        content_type="application/json",
        headers=caller._headers(),
    )


def test_a_rule_is_created_read_back_and_evaluated_in_the_background(integrator, cast):
    response = put(integrator, "low-score", RULE)

    assert response.status_code == 201, response.content
    rule = response.json()
    assert (rule["name"], rule["dwell"], rule["repeat"]) == ("low-score", "2h", "1w")
    assert rule["condition"] == {"kind": "threshold", "trigger": 40.0, "clear": 55.0}
    assert DBTaskResult.objects.filter(
        task_path__endswith="evaluate_rules_now"
    ).exists()
    stored = AlertRule.objects.get()
    assert (stored.dwell_seconds, stored.cooldown_seconds) == (7200, 86400)
    assert integrator.get("/alert-rules/low-score").json() == rule
    assert [r["name"] for r in integrator.get("/alert-rules").json()] == ["low-score"]

    again = put(integrator, "low-score", {**RULE, "enabled": False})
    assert again.status_code == 200
    assert AlertRule.objects.get().enabled is False


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"condition": {"kind": "threshold", "trigger": 60, "clear": 50}},
         "condition.threshold", "clear must be at or above trigger"),
        ({"condition": {"kind": "loud"}}, "condition", None),
        ({"dwell": "soon"}, "dwell", "'soon' is not a duration like 90d, 12h or 2w"),
        ({"condition": {"kind": "criterion", "op": "<=", "value": 6}},
         "condition.criterion", "give either criterion, or metric and role"),
        ({"notify": [{"kind": "webhook", "url": "ftp://x"}]}, "notify.0.webhook.url",
         None),
        ({"notify": [{"kind": "inbox", "to": ["boss"]}]}, "notify.0.inbox.to.0",
         None),
        ({"notify": [{"kind": "email", "to": ["the lead"]}]}, "notify.0.email.to.0",
         None),
    ],
)  # fmt: skip
def test_a_bad_rule_is_refused_naming_the_field(
    integrator, cast, change, field, message
):
    response = put(integrator, "bad", {**RULE, **change})

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e["field"].startswith(field) for e in errors), errors
    if message:
        assert any(e["message"] == message for e in errors), errors
    assert not AlertRule.objects.exists()


def test_a_rule_may_tell_people_by_role_team_and_inbox(integrator, cast):
    notify = [
        {"kind": "inbox", "to": ["csm", "manager", "team:east", "user:lead-1"]},
        {"kind": "email", "to": ["manager", "ops@vendor.example"]},
    ]

    response = put(integrator, "low-score", {**RULE, "notify": notify})

    assert response.status_code == 201, response.content
    assert response.json()["notify"] == notify
    assert AlertRule.objects.get().notify == notify


def test_a_signal_that_crosses_a_rule_opens_an_alert_to_read_and_handle(
    integrator, cast, signal, now
):
    put(integrator, "at-risk", {"condition": {"kind": "grade", "grades": ["at_risk"]},
                                "repeat": "1d"})  # fmt: skip
    evaluate_rules_now.call()
    low = [signal("globex", "nps", 0, id=f"r{n}", source="survey") for n in range(3)]
    integrator.post("/signals", {"signals": [*low, signal("globex",
                    "weekly_active_users", 5)]})  # fmt: skip

    [alert] = integrator.get("/alerts", state="firing").json()
    assert (alert["rule"], alert["account"], alert["reason"]) == (
        "at-risk", "globex", "grade is at_risk",
    )  # fmt: skip

    acked = integrator.client.post(
        f"/api/v1/alerts/{alert['id']}/acknowledge", headers=integrator._headers()
    )
    assert acked.json()["acknowledged_by"] == "token crm-sync"
    until = (now + timedelta(days=2)).isoformat()
    snoozed = integrator.client.post(
        f"/api/v1/alerts/{alert['id']}/snooze", {"until": until},
        content_type="application/json", headers=integrator._headers(),
    )  # fmt: skip
    assert snoozed.status_code == 200
    detail = integrator.get(f"/alerts/{alert['id']}").json()
    assert [e["new_state"] for e in detail["events"]] == [
        "firing", "acknowledged", "snoozed",
    ]  # fmt: skip
    assert detail["events"][0]["score"] is not None


def test_a_snooze_in_the_past_is_refused(integrator, cast, now):
    put(integrator, "at-risk", {"condition": {"kind": "grade", "grades": ["smb"]}})
    response = integrator.client.post(
        "/api/v1/alerts/1/snooze", {"until": (now - timedelta(hours=1)).isoformat()},
        content_type="application/json", headers=integrator._headers(),
    )  # fmt: skip

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "until"


def test_unknown_rules_and_alerts_are_404(integrator, cast):
    assert integrator.get("/alert-rules/nope").status_code == 404
    assert integrator.get("/alerts/999").status_code == 404


def test_deleting_a_rule_takes_its_alerts(integrator, cast):
    put(integrator, "low-score", RULE)

    response = integrator.client.delete(
        "/api/v1/alert-rules/low-score", headers=integrator._headers()
    )

    assert response.status_code == 204
    assert not AlertRule.objects.exists()


def test_rules_need_a_token(anonymous, cast):
    assert put(anonymous, "low-score", RULE).status_code == 401


PLAYBOOK = {
    "description": "For an account sliding toward churn.",
    "steps": [
        {"title": "Call the sponsor", "assignee": "csm", "due_days": 2},
        {"title": "Executive review", "assignee": "user:cs-lead", "due_days": 5},
    ],
}


def test_a_playbook_is_set_and_a_plan_opened_by_hand_and_worked(integrator, cast, now):
    made = integrator.client.put(
        "/api/v1/playbooks/win-back", PLAYBOOK,
        content_type="application/json", headers=integrator._headers(),
    )  # fmt: skip
    assert made.status_code == 201, made.content

    opened = integrator.client.post(
        "/api/v1/accounts/globex/plans", {"playbook": "win-back"},
        content_type="application/json", headers=integrator._headers(),
    )  # fmt: skip
    assert opened.status_code == 201, opened.content
    plan = opened.json()
    assert [(t["title"], t["owner"]) for t in plan["tasks"]] == [
        ("Call the sponsor", "csm-2"),
        ("Executive review", "cs-lead"),
    ]
    assert plan["opened_by"] == "token crm-sync"

    done = integrator.client.post(
        f"/api/v1/plans/{plan['id']}/tasks/1/done", headers=integrator._headers()
    )
    assert done.json()["tasks"][0]["done_by"] == "token crm-sync"
    closed = integrator.client.post(
        f"/api/v1/plans/{plan['id']}/close", headers=integrator._headers()
    )
    assert closed.json()["status"] == "closed"
    [listed] = integrator.get("/playbooks").json()
    assert listed["outcomes"] == {"opened": 1, "open": 0, "recovered": 0, "closed": 1}
    assert integrator.get("/plans", status="open").json() == []


def test_a_rule_names_a_playbook_that_must_exist(integrator, cast):
    response = put(integrator, "low-score", {**RULE, "playbook": "nope"})

    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "index": None, "field": "playbook", "message": "no playbook named 'nope'",
    }  # fmt: skip


def test_a_plan_for_an_unknown_account_or_playbook_is_refused(integrator, cast):
    missing = integrator.client.post(
        "/api/v1/accounts/hooli/plans", {"playbook": "win-back"},
        content_type="application/json", headers=integrator._headers(),
    )  # fmt: skip
    assert missing.status_code == 404
    unknown = integrator.client.post(
        "/api/v1/accounts/globex/plans", {"playbook": "win-back"},
        content_type="application/json", headers=integrator._headers(),
    )  # fmt: skip
    assert unknown.status_code == 422
