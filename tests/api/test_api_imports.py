"""POST /{kind}/import: a CSV body queued for a worker, followed to its report."""

import pytest
from django_tasks_db.models import DBTaskResult

from scorecards.imports.models import ImportRun
from scorecards.imports.runs import run_queued_import
from scorecards.ingest.models import Signal
from scorecards.scoring.models import AccountScore

pytestmark = pytest.mark.django_db

GOOD = (
    "ACCOUNT,METRIC,VALUE,OBSERVED_AT\n"
    "globex,weekly_active_users,80,2026-06-14T09:00:00Z\n"
    "globex,nps,10,2026-06-14T09:00:00Z\n"
)


def upload(caller, kind: str, text: str, query: str = "", name: str = "") -> object:
    headers = {**caller._headers(), **({"X-File-Name": name} if name else {})}
    return caller.client.post(
        f"/api/v1/{kind}/import{query}",
        text.encode(),
        content_type="text/csv",
        headers=headers,
    )


def work(response) -> dict:
    """What the worker does with the queued import, then the run as the API says."""
    body = response.json()
    queued = DBTaskResult.objects.get(task_path__endswith="run_queued_import")
    assert queued.args_kwargs["args"] == [body["id"]]
    run_queued_import.call(body["id"])
    return body


def test_an_upload_is_queued_then_imported_and_moves_the_score(integrator, cast):
    response = upload(integrator, "signals", GOOD, name="usage.csv")

    assert response.status_code == 202
    queued = response.json()
    assert (queued["status"], queued["kind"], queued["file_name"]) == (
        "queued",
        "signals",
        "usage.csv",
    )
    assert queued["requested_by"] == "token crm-sync"
    assert not Signal.objects.exists()

    work(response)

    done = integrator.get(f"/imports/{queued['id']}").json()
    assert done["status"] == "done"
    assert (done["report"]["created"], done["report"]["rescored"]) == (2, 1)
    assert AccountScore.objects.get(account__key="globex").total == pytest.approx(90)
    listed = integrator.get("/imports").json()
    assert [run["id"] for run in listed] == [queued["id"]]


def test_the_uploaded_file_is_removed_once_imported(integrator, cast):
    from pathlib import Path

    response = upload(integrator, "signals", GOOD)
    stored = Path(ImportRun.objects.get().stored_file)
    assert stored.read_text() == GOOD

    work(response)

    assert not stored.exists()


def test_bad_rows_refuse_the_import_and_the_report_names_them(integrator, cast):
    text = GOOD + "hooli,nps,3,2026-06-14T09:00:00Z\n"
    response = upload(integrator, "signals", text)
    body = work(response)

    done = integrator.get(f"/imports/{body['id']}").json()
    assert done["status"] == "refused"
    assert done["report"]["problems"] == [
        {"line": 4, "column": "ACCOUNT", "message": "unknown account 'hooli'"}
    ]
    assert not Signal.objects.exists()


def test_skipped_rows_can_be_downloaded_to_fix(integrator, cast):
    text = GOOD + "hooli,nps,3,2026-06-14T09:00:00Z\n"
    response = upload(integrator, "signals", text, "?skip_bad=true", "june.csv")
    body = work(response)

    done = integrator.get(f"/imports/{body['id']}").json()
    assert done["status"] == "done"
    assert done["rejects"] == f"/api/v1/imports/{body['id']}/rejects"
    rejects = integrator.client.get(done["rejects"], headers=integrator._headers())
    assert rejects.status_code == 200
    assert "june.rejects.csv" in rejects["Content-Disposition"]
    assert b"".join(rejects.streaming_content).decode().splitlines() == [
        "ACCOUNT,METRIC,VALUE,OBSERVED_AT",
        "hooli,nps,3,2026-06-14T09:00:00Z",
    ]
    assert Signal.objects.count() == 2


def test_mapped_columns_and_a_source_are_taken_from_the_query(integrator, cast):
    text = "Org,Metric,Value,Observed_At\nglobex,nps,9,2026-06-14T09:00:00Z\n"
    body = work(upload(integrator, "signals", text, "?map=account=org&source=crm"))

    assert integrator.get(f"/imports/{body['id']}").json()["status"] == "done"
    assert Signal.objects.get().source == "crm"


def test_a_bad_mapping_is_refused_before_anything_is_queued(integrator, cast):
    response = upload(integrator, "signals", GOOD, "?map=account")

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "map"
    assert error["message"] == "'account' is not COLUMN=HEADER"
    assert not ImportRun.objects.exists()


def test_an_unknown_kind_or_import_is_answered_plainly(integrator, cast):
    assert upload(integrator, "opportunities", GOOD).status_code == 422
    missing = integrator.get("/imports/999")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["message"] == "no import 999"


def test_a_task_delivered_twice_imports_once(integrator, cast):
    body = work(upload(integrator, "signals", GOOD))

    assert run_queued_import.call(body["id"]) == "done"
    assert Signal.objects.count() == 2


def test_imports_need_a_token(anonymous, cast):
    assert upload(anonymous, "signals", GOOD).status_code == 401
    assert not ImportRun.objects.exists()
