"""The web app's main path in a real headless Chromium: sign in, filter the
portfolio by segment and direction, sort by score, open an account, see its
breakdown and chart, change the chart's range, and preview a scorecard edit.

Each main page is saved as a screenshot under artifacts/screenshots/ (not in
git), to look at.

The cast, under one scorecard: smb accounts acc-fall (80 a month ago, 20 now:
declining), acc-rise (30, then 85: improving) and acc-flat (60, 60); and an
enterprise account acc-big (20, then 10: declining). admin-01 signs in.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from scorecards.accounts.service import upsert_accounts
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.people.service import add_person
from scorecards.scoring.history import record_daily_points
from scorecards.scoring.publish import publish
from scorecards.scoring.trends import refresh_trends

PASSWORD = "a-long-test-password-for-admin-01"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CARD = """\
key: book
name: The whole book
grades:
  - {name: healthy, min: 70, color: green}
  - {name: watch, min: 40, color: amber}
  - {name: at_risk, min: 0, color: red}
criteria:
  - {key: usage, metric: weekly_active_users, weight: 1, aggregate: latest,
     normalize: {linear: [0, 100]}}
"""
BOOK = {
    "acc-fall": ("smb", 80, 20),
    "acc-rise": ("smb", 30, 85),
    "acc-flat": ("smb", 60, 60),
    "acc-big": ("enterprise", 20, 10),
}


@pytest.fixture
def book(transactional_db):
    now = datetime.now(UTC)
    month_ago = now - timedelta(days=31)
    publish(source=CARD, format="yaml", author="cs-ops", now=month_ago)
    upsert_accounts(
        [{"key": key, "name": key.removeprefix("acc-").title(), "segment": segment,
          "csm": "csm-01", "arr": 10000} for key, (segment, _, _) in BOOK.items()],
        now=month_ago,
    )  # fmt: skip
    for moment, index in ((month_ago, 1), (now - timedelta(hours=1), 2)):
        ingest_signals(
            [IncomingSignal(key, "weekly_active_users", values[index], moment)
             for key, values in BOOK.items()],
            now=now,
        )  # fmt: skip
        record_daily_points(moment.date())
    refresh_trends(now=now)
    add_person("admin-01", role="admin", password=PASSWORD)


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def keys(page) -> list[str]:
    links = page.locator("table.accounts tbody th a")
    return [href.split("/")[2] for href in links.evaluate_all(
        "links => links.map(link => link.getAttribute('href'))")]  # fmt: skip


def test_the_main_path_of_the_web_app(live_server, book, page):
    refused = []  # what the content security policy blocked, as Chromium says
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill("admin-01")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("table.accounts tbody tr")
    assert keys(page) == ["acc-big", "acc-fall", "acc-flat", "acc-rise"]
    shoot(page, "portfolio")

    # Filters apply as they change (htmx), and the URL carries them.
    page.get_by_label("Segment").select_option("smb")
    page.wait_for_url("**segment=smb**")
    page.get_by_label("30-day trend").select_option("declining")
    page.wait_for_url("**direction=declining**")
    expect(page.locator("table.accounts tbody tr")).to_have_count(1)
    assert keys(page) == ["acc-fall"]

    page.get_by_label("30-day trend").select_option("")
    expect(page.locator("table.accounts tbody tr")).to_have_count(3)
    page.get_by_role(
        "link", name="Score", exact=True
    ).click()  # sorted already: turn it round
    page.wait_for_url("**sort=-score**")
    expect(page.locator("table.accounts tbody th a").first).to_have_attribute(
        "href", "/accounts/acc-rise/"
    )
    assert keys(page) == ["acc-rise", "acc-flat", "acc-fall"]
    page.go_back()
    page.wait_for_url(lambda url: "sort=-score" not in url)
    shoot(page, "portfolio-filtered")

    page.goto(f"{live_server.url}/accounts/acc-fall/")
    assert page.locator("table.breakdown tbody tr").count() == 1
    assert page.locator("svg.history polyline").count() == 1
    page.get_by_role("link", name="30 days", exact=True).click()
    page.wait_for_url("**days=30**")
    assert page.locator("#history-heading").inner_text() == "The last 30 days"
    shoot(page, "account")

    page.goto(f"{live_server.url}/scorecards/book/edit")
    draft = page.input_value("#id_source").replace("min: 70", "min: 50")
    page.fill("#id_source", draft)
    page.get_by_role("button", name="Preview against today's data").click()
    page.wait_for_selector("#preview")
    summary = " ".join(page.locator("#preview .summary").inner_text().split())
    assert "4 accounts would be scored under book" in summary
    assert "1 account would change grade" in summary  # acc-flat: watch -> healthy
    shoot(page, "scorecard-preview")

    page.goto(f"{live_server.url}/work/")
    shoot(page, "my-work")

    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info")
    assert refused == []
