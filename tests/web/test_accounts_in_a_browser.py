"""The first page in a real headless Chromium: sign in, see the worst first."""

from datetime import UTC, datetime, timedelta

import pytest

from scorecards.accounts.service import upsert_accounts
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.scoring.publish import publish

PASSWORD = "a-long-test-password-for-csm-01"
SMB = """\
key: smb
applies_to: {segment: [smb]}
grades:
  - {name: healthy, min: 70}
  - {name: watch, min: 40}
  - {name: at_risk, min: 0}
criteria:
  - key: usage
    metric: weekly_active_users
    weight: 1
    normalize: {linear: [0, 100]}
"""
USAGE = {"acc-sound": 90, "acc-failing": 12, "acc-slipping": 55}


@pytest.fixture
def portfolio(transactional_db, django_user_model):
    now = datetime.now(UTC)
    publish(source=SMB, format="yaml", author="cs-ops", now=now)
    upsert_accounts([{"key": key, "segment": "smb"} for key in USAGE], now=now)
    ingest_signals(
        [
            IncomingSignal(key, "weekly_active_users", value, now - timedelta(hours=1))
            for key, value in USAGE.items()
        ],
        now=now,
    )
    django_user_model.objects.create_user("csm-01", password=PASSWORD)


def test_a_csm_signs_in_and_sees_the_worst_account_first(live_server, portfolio, page):
    page.goto(f"{live_server.url}/")

    assert "/login/" in page.url
    page.get_by_label("Username").fill("csm-01")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("table.accounts tbody tr")

    rows = page.locator("table.accounts tbody tr")
    names = [rows.nth(i).locator("th").inner_text().strip() for i in range(3)]
    assert [name.split()[0] for name in names] == [
        "acc-failing",
        "acc-slipping",
        "acc-sound",
    ]
    grades = page.locator("table.accounts tbody .grade").all_inner_texts()
    assert [grade.strip().lower() for grade in grades] == [
        "at risk",
        "watch",
        "healthy",
    ]


def test_a_wrong_password_is_told_plainly(live_server, portfolio, page):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("csm-01")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()

    alert = page.get_by_role("alert")
    assert "do not match" in alert.inner_text()
