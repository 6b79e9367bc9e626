"""The audit log as the API changes things and reads it back.

Every change made through the API is recorded with the token that made it, in
the same transaction; GET /audit filters the log and nothing can change it.
"""

import pytest
from django.db import transaction

from scorecards.audit.log import record
from scorecards.audit.models import AuditEntry, ReadOnlyEntry
from scorecards.imports.runs import run_queued_import
from scorecards.scoring.models import ScorecardVersion
from scorecards.scoring.overrides import end_expired

pytestmark = pytest.mark.django_db

RULE = {"condition": {"kind": "threshold", "trigger": 40, "clear": 55}}


def default_renamed(name: str) -> str:
    """The ``default`` scorecard as published, under another name."""
    source = ScorecardVersion.objects.get(scorecard__key="default", number=1).source
    return source.replace("name: Everyone", f"name: {name}")


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_a_published_scorecard_is_recorded_with_the_token_and_both_versions(
    integrator, cast, now
):
    response = integrator.put("/scorecards/default", default_renamed("All"))

    assert response.status_code == 200, response.content
    (entry,) = [e for e in entries("scorecard.published") if e.actor_kind == "token"]
    assert (entry.actor, entry.target) == ("crm-sync", "scorecard:default")
    assert entry.before == {"version": 1}
    assert entry.after["version"] == 2
    assert entry.after["name"] == "All"
    assert entry.at == now


def test_a_refused_scorecard_leaves_no_entry(integrator, cast):
    before = AuditEntry.objects.count()

    response = integrator.put("/scorecards/default", "key: default\ncriteria: []\n")

    assert response.status_code == 422
    assert AuditEntry.objects.count() == before


def test_an_override_set_ended_and_expired_is_recorded(integrator, cast, signal, now):
    integrator.post("/signals", {"signals": [signal("globex", "nps", 9)]})
    made = integrator.post(
        "/accounts/globex/overrides", {"score": 20, "reason": "Churn notice"}
    ).json()
    integrator.client.delete(
        f"/api/v1/accounts/globex/overrides/{made['id']}",
        headers=integrator._headers(),
    )
    integrator.post(
        "/accounts/globex/overrides",
        {"score": 30, "reason": "Exec escalation", "expires_at": "2026-06-16T00:00Z"},
    )
    end_expired(now=now.replace(day=17))

    set_, _ = entries("override.set")
    assert (set_.actor_kind, set_.actor, set_.target) == (
        "token", "crm-sync", "account:globex"
    )  # fmt: skip
    assert set_.before == {"target": "*", "score": pytest.approx(set_.before["score"])}
    assert set_.after["score"] == 20
    assert set_.after["reason"] == "Churn notice"
    (ended,) = entries("override.ended")
    assert (ended.actor, ended.before["score"]) == ("crm-sync", 20)
    (expired,) = entries("override.expired")
    assert (expired.actor_kind, expired.actor) == ("system", "")
    assert expired.before["reason"] == "Exec escalation"


def test_rules_and_playbooks_are_recorded_before_and_after(integrator, cast):
    put = integrator.client.put
    headers = integrator._headers()
    put("/api/v1/alert-rules/low", RULE, content_type="application/json",
        headers=headers)  # fmt: skip
    put("/api/v1/alert-rules/low", {**RULE, "enabled": False},
        content_type="application/json", headers=headers)  # fmt: skip
    integrator.client.delete("/api/v1/alert-rules/low", headers=headers)
    put("/api/v1/playbooks/save", {"steps": [{"title": "Call", "due_days": 2}]},
        content_type="application/json", headers=headers)  # fmt: skip

    (created,) = entries("rule.created")
    assert created.before is None
    assert created.after["enabled"] is True
    (changed,) = entries("rule.changed")
    assert (changed.before["enabled"], changed.after["enabled"]) == (True, False)
    (deleted,) = entries("rule.deleted")
    assert (deleted.target, deleted.before["enabled"]) == ("rule:low", False)
    (playbook,) = entries("playbook.created")
    assert playbook.after["steps"][0]["title"] == "Call"


def test_an_import_is_recorded_when_asked_and_when_finished(integrator, cast):
    response = integrator.client.post(
        "/api/v1/signals/import",
        b"account,metric,value,observed_at\nglobex,nps,10,2026-06-14T09:00:00Z\n",
        content_type="text/csv",
        headers={**integrator._headers(), "X-File-Name": "nps.csv"},
    )
    run_queued_import.call(response.json()["id"])

    (asked,) = entries("import.requested")
    assert (asked.actor, asked.after["file_name"]) == ("crm-sync", "nps.csv")
    (finished,) = entries("import.finished")
    assert finished.actor_kind == "system"
    assert finished.after == {"status": "done", "error": ""}
    assert finished.detail["counts"]["created"] == 1
    assert finished.detail["requested_by"] == "token crm-sync"


def test_an_entry_cannot_be_changed_or_deleted_and_rolls_back_with_its_change(db):
    entry = record("test.thing", target="thing:1")
    entry.action = "test.other"
    with pytest.raises(ReadOnlyEntry):
        entry.save()
    with pytest.raises(ReadOnlyEntry):
        entry.delete()

    def failing_change() -> None:
        with transaction.atomic():
            record("test.rolled_back")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert not AuditEntry.objects.filter(action="test.rolled_back").exists()


def test_the_log_is_read_filtered_and_paged(integrator, cast, signal):
    integrator.put("/scorecards/default", default_renamed("All"))
    integrator.post("/signals", {"signals": [signal("globex", "nps", 9)]})
    integrator.post("/accounts/globex/overrides", {"score": 20, "reason": "Notice"})

    by_action = integrator.get("/audit", action="override").json()
    assert [e["action"] for e in by_action["entries"]] == ["override.set"]
    assert by_action["entries"][0]["actor"] == "crm-sync"
    by_target = integrator.get("/audit", target="scorecard:def", actor="crm").json()
    assert [e["after"]["version"] for e in by_target["entries"]] == [2]
    paged = integrator.get("/audit", limit=1, offset=1).json()
    assert (paged["total"], len(paged["entries"])) == (
        AuditEntry.objects.count(), 1
    )  # fmt: skip
    later = integrator.get("/audit", since="2026-06-16").json()
    assert later["total"] == 0


def test_bad_filters_are_named_and_the_log_cannot_be_written(integrator, cast):
    bad = integrator.get("/audit", since="yesterday")
    assert bad.status_code == 422
    assert "since" in bad.content.decode()

    headers = integrator._headers()
    assert integrator.client.delete("/api/v1/audit", headers=headers).status_code == 405
    assert integrator.client.post("/api/v1/audit", {}, headers=headers).status_code == (
        405
    )


def test_the_log_needs_a_live_token(outsider, anonymous, db):
    assert outsider.get("/audit").status_code == 401
    assert anonymous.get("/audit").status_code == 401
