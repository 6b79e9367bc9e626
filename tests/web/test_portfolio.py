"""The portfolio, the first page: sign in, then every account with its score,
grade, trend, ARR, renewal and open alerts; filters, sorting, pages, saved
views and the CSV export.

The cast, scored under one scorecard for small-business accounts:

- acc-failing (50 weekly active users a month ago, 12 now: at risk, declining),
  acc-slipping (55 then and now: watch, stable) and acc-sound (70, then 90:
  healthy, improving);
- acc-silent, which never sent anything: insufficient data;
- acc-stray, a partner account no scorecard applies to, looked after by csm-02.

Users: csm-01, who signs in; and an anonymous visitor.
"""

import csv
import io
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client

from scorecards.accounts.models import Account
from scorecards.accounts.service import upsert_accounts
from scorecards.alerts.models import AlertRule
from scorecards.alerts.service import evaluate_all
from scorecards.ingest.service import IncomingSignal, ingest_signals
from scorecards.people.models import SavedView
from scorecards.scoring.history import record_daily_points
from scorecards.scoring.publish import publish
from scorecards.scoring.trends import refresh_trends

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
BEFORE = {"acc-failing": 50, "acc-slipping": 55, "acc-sound": 70}
ARR = {"acc-failing": 120000, "acc-slipping": 30000, "acc-sound": 80000,
       "acc-silent": 5000}  # fmt: skip
RENEWAL = {"acc-failing": "2026-12-20", "acc-slipping": "2027-06-01",
           "acc-sound": "2027-01-15", "acc-silent": None}  # fmt: skip

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def cast(time_machine):
    month_ago = NOW - timedelta(days=31)
    time_machine.move_to(month_ago, tick=False)
    publish(source=SMB, format="yaml", author="cs-ops", now=month_ago)
    accounts = [
        {"key": key, "name": key.removeprefix("acc-").title(), "segment": "smb",
         "arr": ARR[key], "renewal_date": RENEWAL[key]}
        for key in [*USAGE, "acc-silent"]
    ]  # fmt: skip
    accounts.append({"key": "acc-stray", "segment": "partner", "csm": "csm-02"})
    upsert_accounts(
        [item | {"csm": item.get("csm", "csm-01")} for item in accounts],
        now=month_ago,
    )
    for moment, usage in ((month_ago, BEFORE), (NOW, USAGE)):
        time_machine.move_to(moment, tick=False)
        signals = [
            IncomingSignal(key, "weekly_active_users", value, moment)
            for key, value in usage.items()
        ]
        ingest_signals(signals, now=moment)
        record_daily_points(moment.date())
    refresh_trends(now=NOW)


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
        self.in_accounts = False
        self.accounts: list[str] = []  # the keys the rows link to, in order
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if tag == "table":
            self.in_accounts = "accounts" in classes.split()
        elif tag == "tbody" and self.in_accounts:
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag in ("td", "th"):
            self.cell = []
        elif self.in_body and tag == "a" and self.cell is not None:
            href = dict(attrs).get("href") or ""
            if href.startswith("/accounts/"):
                self.accounts.append(href.split("/")[2])
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

    assert [row[:3] for row in table.rows] == [
        ["Failing acc-failing · smb", "12.0", "at risk"],
        ["Slipping acc-slipping · smb", "55.0", "watch"],
        ["Sound acc-sound · smb", "90.0", "healthy"],
        ["Silent acc-silent · smb", "—", "insufficient data"],
        ["acc-stray partner", "—", "no scorecard"],
    ]
    assert [row[4:] for row in table.rows[:3]] == [
        ["-38.0 declining", "120,000", "2026-12-20", "csm-01", "0"],
        ["+0.0 stable", "30,000", "2027-06-01", "csm-01", "0"],
        ["+20.0 improving", "80,000", "2027-01-15", "csm-01", "0"],
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


def test_a_sparkline_draws_each_account_s_daily_points(signed_in, cast):
    page = signed_in.get("/").content.decode()

    # acc-failing: 50 a month ago, 12 today, on a 0-100 scale 24 units high.
    assert '<polyline points="0.0,12.0 90.0,21.1">' in page
    assert 'aria-label="from 50 to 12 over 90 days"' in page


def test_it_sums_up_grades_arr_and_movement(signed_in, cast):
    page = " ".join(signed_in.get("/").content.decode().split())

    assert "<strong>5</strong> accounts, ARR 235,000." in page
    assert "1 improved</span> and" in page
    assert "1 declined</span> over 30 days" in page
    summary = read_grades(page)
    assert summary == [
        ["at risk", "1", "20%", "120,000"],
        ["watch", "1", "20%", "30,000"],
        ["healthy", "1", "20%", "80,000"],
        ["insufficient data", "1", "20%", "5,000"],
        ["no scorecard", "1", "20%", "0"],
    ]


def read_grades(page: str) -> list[list[str]]:
    table = page.split('class="data-table grade-table"')[1].split("</table>")[0]
    reader = TableReader()
    reader.feed('<table class="accounts">' + table + "</table>")
    return reader.rows


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("segment=partner", ["acc-stray"]),
        ("direction=declining", ["acc-failing"]),
        ("direction=improving", ["acc-sound"]),
        ("grade=watch", ["acc-slipping"]),
        ("grade=insufficient_data", ["acc-silent"]),
        ("grade=unscored", ["acc-stray"]),
        ("score_min=50&score_max=60", ["acc-slipping"]),
        ("renewal_within=60", ["acc-failing", "acc-sound"]),
        ("q=SOUN", ["acc-sound"]),
        ("csm=csm-02", ["acc-stray"]),
        ("owner=mine", ["acc-failing", "acc-slipping", "acc-sound", "acc-silent"]),
        ("segment=smb&direction=stable", ["acc-slipping"]),
    ],
)
def test_filters_narrow_the_list(signed_in, cast, query, expected):
    assert keys(signed_in.get(f"/?{query}")) == expected


def keys(response) -> list[str]:
    return read_table(response).accounts


def test_the_summary_follows_the_filters(signed_in, cast):
    page = " ".join(
        signed_in.get("/?segment=smb&score_min=40").content.decode().split()
    )

    assert "<strong>2</strong> accounts, ARR 110,000." in page
    assert "1 improved</span> and" in page
    assert "0 declined</span>" in page


def test_an_account_with_an_open_alert_can_be_found(signed_in, cast):
    rule = AlertRule.objects.create(
        name="at-risk", kind="grade", params={"grades": ["at_risk"]},
        created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    evaluate_all(now=NOW)

    response = signed_in.get("/?alerting=on")

    assert keys(response) == ["acc-failing"]
    assert read_table(response).rows[0][-1] == "1 firing"
    assert rule.alerts.count() == 1


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("score", ["acc-failing", "acc-slipping", "acc-sound", "acc-silent",
                   "acc-stray"]),
        ("-score", ["acc-sound", "acc-slipping", "acc-failing", "acc-silent",
                    "acc-stray"]),
        ("arr", ["acc-silent", "acc-slipping", "acc-sound", "acc-failing",
                 "acc-stray"]),
        ("-arr", ["acc-failing", "acc-sound", "acc-slipping", "acc-silent",
                  "acc-stray"]),
        ("delta", ["acc-failing", "acc-slipping", "acc-sound", "acc-silent",
                   "acc-stray"]),
        ("renewal", ["acc-failing", "acc-sound", "acc-slipping", "acc-silent",
                     "acc-stray"]),
        ("account", ["acc-stray", "acc-failing", "acc-silent", "acc-slipping",
                     "acc-sound"]),
    ],
)  # fmt: skip
def test_any_column_sorts_and_missing_values_come_last(signed_in, cast, sort, expected):
    assert keys(signed_in.get(f"/?sort={sort}")) == expected


def test_a_column_heading_sorts_and_a_second_click_turns_it_round(signed_in, cast):
    page = signed_in.get("/?segment=smb").content.decode()
    assert 'href="?segment=smb&amp;sort=arr"' in page
    assert 'aria-sort="ascending"' in page  # the score, sorted by default

    page = signed_in.get("/?segment=smb&sort=arr").content.decode()
    assert 'href="?segment=smb&amp;sort=-arr"' in page


def test_a_bad_filter_is_named_and_the_others_still_apply(signed_in, cast):
    response = signed_in.get("/?segment=smb&score_min=abc&direction=sideways")
    page = response.content.decode()

    assert response.status_code == 200
    assert 'id="score_min-error"' in page
    assert 'id="direction-error"' in page
    assert len(keys(response)) == 4  # segment=smb applied


def test_htmx_filtering_shows_only_the_filters_in_use_in_the_address_bar(
    signed_in, cast
):
    headers = {"HX-Request": "true", "HX-Trigger": "filters"}
    filtered = signed_in.get("/?q=&segment=partner&tier=", headers=headers)
    refreshed = signed_in.get(
        "/?segment=partner", headers={"HX-Request": "true", "HX-Trigger": "book"}
    )

    assert filtered["HX-Push-Url"] == "/?segment=partner"
    assert "HX-Push-Url" not in refreshed  # the table refreshing itself


def test_htmx_gets_the_table_alone(signed_in, cast):
    response = signed_in.get("/?segment=partner", headers={"HX-Request": "true"})
    page = response.content.decode()

    assert page.lstrip().startswith('<div id="book"')
    assert "<html" not in page
    assert "HX-Request" in response["Vary"]
    again = signed_in.get(
        "/?segment=partner",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in again.content.decode()


def test_the_export_holds_every_filtered_account_and_no_formula(signed_in, cast):
    upsert_accounts(
        [{"key": "acc-evil", "name": '=HYPERLINK("http://x")', "segment": "smb"}],
        now=NOW,
    )

    response = signed_in.get("/accounts.csv?segment=smb&sort=-arr")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[0][:6] == ["account", "name", "segment", "tier", "csm", "score"]
    assert [row[0] for row in rows[1:]] == [
        "acc-failing", "acc-sound", "acc-slipping", "acc-silent", "acc-evil",
    ]  # fmt: skip
    assert rows[1][5:11] == ["12.00", "at_risk", "scored", "1.0000", "-38.00",
                             "declining"]  # fmt: skip
    assert rows[-1][1] == '\'=HYPERLINK("http://x")'


def test_a_saved_view_keeps_the_filters_for_its_user(signed_in, cast, csm):
    response = signed_in.post(
        "/views/", {"name": "Falling", "query": "direction=declining&page=3"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/?direction=declining"
    view = SavedView.objects.get(user=csm)
    assert (view.name, view.query) == ("Falling", "direction=declining")
    page = signed_in.get("/").content.decode()
    assert 'href="/?direction=declining"' in page

    signed_in.post(f"/views/{view.pk}/delete")
    assert not SavedView.objects.exists()


def test_a_user_cannot_delete_another_s_view(signed_in, cast, django_user_model):
    other = django_user_model.objects.create_user("csm-02")
    view = SavedView.objects.create(user=other, name="Mine", query="segment=smb")

    assert signed_in.post(f"/views/{view.pk}/delete").status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_a_view_needs_a_name(signed_in, cast):
    signed_in.post("/views/", {"name": " ", "query": "segment=smb"})

    assert not SavedView.objects.exists()


def test_it_shows_fifty_accounts_a_page(signed_in, cast):
    extra = [{"key": f"acc-quiet-{n:02d}", "segment": "smb"} for n in range(60)]
    upsert_accounts(extra, now=NOW)

    first = read_table(signed_in.get("/"))
    second = read_table(signed_in.get("/?page=2"))

    assert len(first.rows) == 50
    assert len(second.rows) == 15
    assert keys(signed_in.get("/"))[0] == "acc-failing"
    assert [row[2] for row in second.rows].count("no scorecard") == 1
    assert keys(signed_in.get("/?page=2"))[-1] == "acc-stray"


def test_pages_keep_the_filters(signed_in, cast):
    extra = [{"key": f"acc-quiet-{n:02d}", "segment": "smb"} for n in range(60)]
    upsert_accounts(extra, now=NOW)

    page = signed_in.get("/?segment=smb").content.decode()

    assert 'href="?segment=smb&amp;page=2"' in page


def test_a_page_out_of_range_shows_the_last_one(signed_in, cast):
    upsert_accounts(
        [{"key": f"acc-quiet-{n:02d}", "segment": "smb"} for n in range(60)], now=NOW
    )

    response = signed_in.get("/?page=99")

    assert response.status_code == 200
    assert len(read_table(response).rows) == 15
    assert b'aria-current="page" hx-push-url="true">2<' in response.content


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


def test_a_segment_new_since_the_filters_were_listed_still_filters(signed_in, cast):
    signed_in.get("/")  # lists the segments, and keeps the list a while
    upsert_accounts([{"key": "acc-school", "segment": "edu"}], now=NOW)

    response = signed_in.get("/?segment=edu")

    assert keys(response) == ["acc-school"]
    assert '<option value="edu" selected>edu</option>' in response.content.decode()


def test_pages_carry_a_content_security_policy_without_inline_script(signed_in, cast):
    policy = signed_in.get("/")["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("sort", ["score", "-score", "arr", "-delta", "account"])
def test_every_page_read_from_either_end_is_the_same_book(signed_in, cast, sort):
    extra = [
        {
            "key": f"acc-quiet-{n:03d}",
            "segment": "smb",
            "arr": n * 100 if n % 3 else None,
        }
        for n in range(120)
    ]
    upsert_accounts(extra, now=NOW)

    pages = [keys(signed_in.get(f"/?sort={sort}&page={n}")) for n in (1, 2, 3)]
    listed = [key for page in pages for key in page]

    assert [len(page) for page in pages] == [50, 50, 25]
    assert len(set(listed)) == 125
    export = b"".join(signed_in.get(f"/accounts.csv?sort={sort}").streaming_content)
    in_order = [line.split(",")[0] for line in export.decode().splitlines()[1:]]
    assert listed == in_order


@pytest.mark.parametrize("sort", ["delta", "-delta", "score", "-arr", "account"])
def test_an_account_added_since_the_trends_were_computed_is_in_every_sort(
    signed_in, cast, sort
):
    upsert_accounts([{"key": "acc-newest", "csm": "csm-01"}], now=NOW)

    listed = keys(signed_in.get(f"/?sort={sort}"))

    assert "acc-newest" in listed
    assert len(listed) == 6
    if sort.endswith("delta"):  # no 30-day change yet: last, with the others
        assert listed[-3:] == ["acc-newest", "acc-silent", "acc-stray"]


@pytest.mark.parametrize("sort", ["alerts", "-alerts"])
def test_pages_sorted_by_alerts_are_the_export_in_order(signed_in, cast, sort):
    upsert_accounts(
        [{"key": f"acc-quiet-{n:03d}", "segment": "smb"} for n in range(120)],
        now=NOW,
    )
    rule = AlertRule.objects.create(
        name="watch", kind="grade", created_at=NOW, updated_at=NOW
    )
    loud = Account.objects.filter(key__startswith="acc-quiet-")[::2]
    for account in loud:  # 60 accounts, across the page boundaries
        rule.alerts.create(
            account=account, state="firing", reason="test", opened_at=NOW
        )

    pages = [keys(signed_in.get(f"/?sort={sort}&page={n}")) for n in (1, 2, 3)]
    listed = [key for page in pages for key in page]

    assert [len(page) for page in pages] == [50, 50, 25]
    loud_keys = {account.key for account in loud}
    firing_first = [key in loud_keys for key in listed]
    expected = sorted(firing_first, reverse=not sort.startswith("-"))
    assert firing_first == expected
    export = b"".join(signed_in.get(f"/accounts.csv?sort={sort}").streaming_content)
    assert listed == [line.split(",")[0] for line in export.decode().splitlines()[1:]]
