"""An admin imports a CSV file through the form, in a real headless Chromium."""

from datetime import UTC, datetime

import pytest

from scorecards.accounts.service import upsert_accounts
from scorecards.imports.models import ImportRun
from scorecards.imports.runs import run_queued_import
from scorecards.people.service import add_person
from scorecards.scoring.models import AccountScore
from scorecards.scoring.publish import publish
from scorecards.testing.browser import off_the_loop

PASSWORD = "a-long-test-password-for-admin-01"
CARD = """\
key: default
criteria:
  - {key: usage, metric: weekly_active_users, weight: 1,
     normalize: {linear: [0, 100]}}
"""


@pytest.fixture
def book(transactional_db, django_user_model):
    now = datetime.now(UTC)
    publish(source=CARD, format="yaml", author="cs-ops", now=now)
    upsert_accounts([{"key": "acme"}], now=now)
    add_person("admin-01", role="admin", password=PASSWORD)


def test_an_admin_uploads_a_file_and_the_page_follows_it_to_done(
    live_server, book, page, tmp_path
):
    observed = datetime.now(UTC).replace(microsecond=0).isoformat()
    csv_file = tmp_path / "usage.csv"
    csv_file.write_text(
        "ACCOUNT,METRIC,VALUE,OBSERVED_AT\n"
        f"acme,weekly_active_users,72,{observed}\n"
        f"hooli,weekly_active_users,5,{observed}\n"
    )
    page.goto(f"{live_server.url}/login/?next=/imports/")
    page.get_by_label("Username").fill("admin-01")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_label("The file holds").select_option("signals")
    page.locator("input[type=file]").set_input_files(str(csv_file))
    page.get_by_label("Import the good rows and set the bad ones aside").check()
    page.get_by_role("button", name="Import").click()

    page.wait_for_selector("text=Waiting for a worker")
    off_the_loop(lambda: run_queued_import.call(ImportRun.objects.get().pk))
    page.wait_for_selector("text=Done.", timeout=10_000)  # the page refreshes

    facts = page.locator(".facts").inner_text()
    assert facts.split()[facts.split().index("Bad") + 2] == "1"
    [problem] = page.locator("table.problems tbody tr").all_inner_texts()
    assert "unknown account 'hooli'" in problem
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rejected rows").click()
    assert download.value.suggested_filename == "usage.rejects.csv"
    score = off_the_loop(lambda: AccountScore.objects.get(account__key="acme").total)
    assert score == pytest.approx(72)
