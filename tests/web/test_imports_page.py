"""The imports page: an admin uploads a CSV file and follows the run to its report.

Users: admin-01 (staff), who may import; csm-01, who may not.
"""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from scorecards.accounts.models import Account
from scorecards.accounts.service import upsert_accounts
from scorecards.imports.models import ImportRun
from scorecards.imports.runs import run_queued_import
from scorecards.ingest.models import Signal
from scorecards.people.service import add_person
from scorecards.scoring.models import AccountScore
from scorecards.scoring.publish import publish

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CARD = """\
key: default
criteria:
  - {key: usage, metric: weekly_active_users, weight: 1,
     normalize: {linear: [0, 100]}}
"""
GOOD = (
    b"Account,Metric,Value,Observed_At\n"
    b"acme,weekly_active_users,64,2026-11-30T10:00:00Z\n"
)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def book():
    publish(source=CARD, format="yaml", author="cs-ops", now=NOW)
    upsert_accounts([{"key": "acme"}], now=NOW)


@pytest.fixture
def admin(django_user_model) -> Client:
    user = add_person("admin-01", role="admin")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def csm(django_user_model) -> Client:
    user = django_user_model.objects.create_user("csm-01")
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, content: bytes, **fields) -> object:
    data = {
        "kind": "signals",
        "file": SimpleUploadedFile("usage.csv", content, "text/csv"),
        "source": "csv",
        "mapping": "",
        **fields,
    }
    return client.post("/imports/", data)


def test_an_admin_uploads_a_file_and_reads_what_it_did(admin, book):
    response = upload(admin, GOOD)

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{run.pk}/"
    waiting = admin.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in waiting
    assert 'http-equiv="refresh"' in waiting
    assert run.requested_by == "user admin-01"

    run_queued_import.call(run.pk)

    page = admin.get(f"/imports/{run.pk}/").content.decode()
    assert "Done." in page
    assert 'http-equiv="refresh"' not in page
    assert AccountScore.objects.get(account__key="acme").total == pytest.approx(64)
    listing = admin.get("/imports/").content.decode()
    assert "usage.csv" in listing


def test_bad_rows_are_listed_by_line_and_column(admin, book):
    upload(admin, GOOD + b"hooli,weekly_active_users,5,2026-11-30T10:00:00Z\n")
    run = ImportRun.objects.get()
    run_queued_import.call(run.pk)

    page = admin.get(f"/imports/{run.pk}/").content.decode()

    assert "Nothing imported: the file has bad rows" in page
    assert "<td>Account</td><td>unknown account &#x27;hooli&#x27;</td>" in page
    assert not Signal.objects.exists()


def test_rejected_rows_download_from_the_page(admin, book):
    upload(admin, GOOD + b"hooli,weekly_active_users,5,2026-11-30T10:00:00Z\n",
           skip_bad="on")  # fmt: skip
    run = ImportRun.objects.get()
    run_queued_import.call(run.pk)

    page = admin.get(f"/imports/{run.pk}/").content.decode()
    assert f'href="/imports/{run.pk}/rejects"' in page
    download = admin.get(f"/imports/{run.pk}/rejects")
    assert b"".join(download.streaming_content).decode().splitlines() == [
        "Account,Metric,Value,Observed_At",
        "hooli,weekly_active_users,5,2026-11-30T10:00:00Z",
    ]


def test_a_bad_mapping_is_shown_on_the_form(admin, book):
    response = upload(admin, GOOD, mapping="account")

    assert response.status_code == 200
    assert "&#x27;account&#x27; is not COLUMN=HEADER" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_mapped_accounts_file_is_read_as_the_form_says(admin, book):
    upload(admin, b"ID,NAME\nglobex,Globex\n", kind="accounts", mapping="account=ID")
    run_queued_import.call(ImportRun.objects.get().pk)

    assert Account.objects.get(key="globex").name == "Globex"


def test_only_admins_may_import(csm, book):
    assert csm.get("/imports/").status_code == 403
    assert upload(csm, GOOD).status_code == 403
    assert not ImportRun.objects.exists()
    assert "Imports" not in csm.get("/").content.decode()


def test_a_visitor_is_sent_to_sign_in(client, book):
    response = client.get("/imports/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
