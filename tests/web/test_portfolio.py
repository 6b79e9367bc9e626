"""The first page: sign in, then every account with its score and grade, worst first.

The cast, scored under one scorecard for small-business accounts:

- acc-failing (12 weekly active users: at risk), acc-slipping (55: watch) and
  acc-sound (90: healthy);
- acc-silent, which never sent anything: insufficient data;
- acc-stray, a partner account no scorecard applies to.

Users: csm-01, who signs in; and an anonymous visitor.
"""

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client

from scorecards.accounts.service import upsert_accounts
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.scoring.publish import publish

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PASSWORD = "a-long-test-password-for-csm-01"

SMB = """\
key: smb
name: Small business
applies_to: {segment: [smb]}
min_coverage: 0.5
grades:
  - {name: healthy, min: 70, color: green}
  - {name: watch, min: 40, color: amber}
  - {name: at_risk, min: 0, color: red}
criteria:
  - key: usage
    metric: weekly_active_users
    weight: 1
    aggregate: latest
    normalize: {linear: [0, 100]}
"""

USAGE = {"acc-failing": 12, "acc-slipping": 55, "acc-sound": 90}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def cast():
    publish(source=SMB, format="yaml", author="cs-ops", now=NOW)
    accounts = [
        {"key": key, "name": key.removeprefix("acc-").title(), "segment": "smb"}
        for key in [*USAGE, "acc-silent"]
    ]
    accounts.append({"key": "acc-stray", "segment": "partner", "csm": "csm-02"})
    upsert_accounts(
        [item | {"csm": item.get("csm", "csm-01")} for item in accounts], now=NOW
    )
    signals = [
        IncomingSignal(key, "weekly_active_users", value, NOW - timedelta(days=1))
        for key, value in USAGE.items()
    ]
    ingest_signals(signals, now=NOW)


@pytest.fixture
def csm(django_user_model):
    return django_user_model.objects.create_user("csm-01", password=PASSWORD)


@pytest.fixture
def signed_in(client, csm):
    client.force_login(csm)
    return client


class TableReader(HTMLParser):
    """The text of each cell of the table's body rows, and each grade's classes."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tones: list[str] = []
        self.in_body = False
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag in ("td", "th"):
            self.cell = []
        elif self.in_body and "grade" in classes.split():
            self.tones.append(classes)

    def handle_endtag(self, tag):
        if tag == "tbody":
            self.in_body = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def read_table(response) -> TableReader:
    reader = TableReader()
    reader.feed(response.content.decode())
    return reader


def test_anonymous_visitors_are_sent_to_sign_in(client, cast):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_the_sign_in_form_carries_a_csrf_token(client):
    response = client.get("/login/")

    assert response.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in response.content
    assert b'autocomplete="current-password"' in response.content


def test_signing_in_without_the_csrf_token_is_refused(csm):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"username": "csm-01", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_signing_in_leads_to_the_accounts(client, csm, cast):
    response = client.post(
        "/login/", {"username": "csm-01", "password": PASSWORD, "next": "/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused_with_a_message(client, csm):
    response = client.post("/login/", {"username": "csm-01", "password": "wrong"})

    assert response.status_code == 200
    assert b"do not match" in response.content
    assert "_auth_user_id" not in client.session


def test_it_lists_the_accounts_worst_first_with_grade_words(signed_in, cast):
    table = read_table(signed_in.get("/"))

    assert [row[:4] for row in table.rows] == [
        ["Failing acc-failing", "12.0", "at risk", "100%"],
        ["Slipping acc-slipping", "55.0", "watch", "100%"],
        ["Sound acc-sound", "90.0", "healthy", "100%"],
        ["Silent acc-silent", "—", "insufficient data", "0%"],
        ["acc-stray", "—", "no scorecard", "—"],
    ]
    assert [row[4:] for row in table.rows[:2]] == [
        ["smb", "csm-01", "Small business"],
        ["smb", "csm-01", "Small business"],
    ]


def test_each_grade_has_its_colour_beside_its_word(signed_in, cast):
    table = read_table(signed_in.get("/"))

    assert table.tones == [
        "grade grade-bad",
        "grade grade-warn",
        "grade grade-good",
        "grade grade-none",
        "grade grade-none",
    ]


def test_it_sums_up_the_grades(signed_in, cast):
    page = signed_in.get("/").content.decode()

    assert (
        "5 accounts: 1 at risk, 1 watch, 1 healthy, 1 insufficient data, "
        "1 no scorecard." in " ".join(page.split())
    )


def test_it_shows_fifty_accounts_a_page(signed_in, cast):
    extra = [{"key": f"acc-quiet-{n:02d}", "segment": "smb"} for n in range(60)]
    upsert_accounts(extra, now=NOW)

    first = read_table(signed_in.get("/"))
    second = read_table(signed_in.get("/?page=2"))

    assert len(first.rows) == 50
    assert len(second.rows) == 15
    assert first.rows[0][0] == "Failing acc-failing"
    assert [row[2] for row in second.rows].count("no scorecard") == 1
    assert second.rows[-1][0] == "acc-stray"


def test_a_page_out_of_range_shows_the_last_one(signed_in, cast):
    upsert_accounts(
        [{"key": f"acc-quiet-{n:02d}", "segment": "smb"} for n in range(60)], now=NOW
    )

    response = signed_in.get("/?page=99")

    assert response.status_code == 200
    assert len(read_table(response).rows) == 15
    assert b'aria-current="page">2<' in response.content


def test_an_empty_portfolio_says_how_to_fill_it(signed_in):
    response = signed_in.get("/")

    assert response.status_code == 200
    assert b"scorecards demo" in response.content


def test_the_style_sheet_is_served_from_the_app(signed_in, cast):
    page = signed_in.get("/").content.decode()

    assert 'href="/static/web/scorecards.css"' in page
    assert "://" not in page.split("<body>")[0]


def test_signing_out_needs_a_post(signed_in):
    assert signed_in.get("/logout/").status_code == 405

    response = signed_in.post("/logout/")

    assert response.status_code == 302
    assert signed_in.get("/").status_code == 302
