"""Scores through time: as of a past moment, the daily history and its trends, and
why a score moved."""

import statistics
from datetime import datetime, timedelta

import pytest

from scorecards.scoring.history import record_daily_points

pytestmark = pytest.mark.usefixtures("cast")


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def globex_usage(integrator, signal):
    """globex's usage climbs 20, 30, 50, 80 over two months; nothing else."""
    integrator.post(
        "/signals",
        {
            "signals": [
                signal("globex", "weekly_active_users", 20, days_ago=60),
                signal("globex", "weekly_active_users", 30, days_ago=45),
                signal("globex", "weekly_active_users", 50, days_ago=20),
                signal("globex", "weekly_active_users", 80, days_ago=5),
            ]
        },
    )


@pytest.mark.django_db
def test_the_score_as_of_a_past_moment_ignores_later_signals(
    integrator, globex_usage, now
):
    response = integrator.get(
        "/accounts/globex/score", as_of=iso(now - timedelta(days=10))
    )

    assert response.status_code == 200
    past = response.json()
    assert past["score"] == 50
    assert past["as_of"] == "2026-06-05T12:00:00Z"
    assert (past["account"], past["scorecard"], past["version"]) == (
        "globex",
        "default",
        1,
    )
    usage = past["criteria"][1]
    assert (usage["raw"], usage["latest_at"]) == (50, "2026-05-26T12:00:00Z")
    assert integrator.get("/accounts/globex/score").json()["score"] == 80


@pytest.mark.django_db
def test_the_score_now_matches_the_stored_score(integrator, globex_usage):
    stored = integrator.get("/accounts/globex").json()
    fresh = integrator.get("/accounts/globex/score").json()

    fields = ("account", "scorecard", "score", "grade", "coverage", "status")
    assert {k: fresh[k] for k in fields} == {k: stored[k] for k in fields}
    assert fresh["criteria"] == stored["criteria"]


@pytest.mark.django_db
def test_before_any_data_an_account_has_no_score(integrator, globex_usage, now):
    past = integrator.get(
        "/accounts/globex/score", as_of=iso(now - timedelta(days=100))
    )

    assert past.json()["status"] == "insufficient_data"
    assert past.json()["score"] is None


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2026-06-01T00:00:00", "has no time zone (add Z or +00:00)"),
        ("2026-06-01", "has no time zone (add Z or +00:00)"),
        ("last tuesday", "input should be a valid datetime"),
        ("2026-07-01T00:00:00Z", "is in the future"),
    ],
)
@pytest.mark.django_db
def test_a_bad_moment_is_a_422_naming_it(integrator, as_of, message):
    response = integrator.get("/accounts/globex/score", as_of=as_of)

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["index"], error["field"]) == (None, "as_of")
    assert error["message"].startswith(message)


@pytest.fixture
def daily_points(globex_usage, now):
    for days_ago in range(1, 71):
        record_daily_points((now - timedelta(days=days_ago)).date())


@pytest.mark.django_db
def test_the_history_holds_daily_points_and_changes_with_trends(
    integrator, daily_points, now
):
    response = integrator.get("/accounts/globex/history", days=90)

    assert response.status_code == 200
    history = response.json()
    assert (history["account"], history["days"], history["score"]) == ("globex", 90, 80)
    points = history["points"]
    assert [p["kind"] for p in points] == ["daily"] * 70 + ["change"]
    assert points[0]["at"] == "2026-04-06T23:59:59.999999Z"
    assert points[-1] == {
        "at": "2026-06-15T12:00:00Z", "kind": "change", "score": 80.0,
        "grade": "healthy", "status": "scored", "coverage": 0.5,
        "scorecard": "default", "version": 1,
    }  # fmt: skip

    # 30 days ago the score was the 30 of May 1st; 60 days ago nothing had come.
    assert history["delta_30"] == pytest.approx(80 - 30)
    assert history["delta_60"] is None
    assert history["delta_90"] is None
    assert history["direction"] == "improving"
    month = [
        (datetime.fromisoformat(p["at"]).timestamp() / 86400, p["score"])
        for p in points
        if p["kind"] == "daily"
        and datetime.fromisoformat(p["at"]) > now - timedelta(30)
    ]
    fit = statistics.linear_regression(*zip(*month, strict=True))
    assert history["slope_30"] == pytest.approx(fit.slope * 30)
    assert history["slope_30"] > 0


@pytest.mark.django_db
def test_the_history_covers_only_the_days_asked_for(integrator, daily_points):
    points = integrator.get("/accounts/globex/history", days=3).json()["points"]

    assert [p["at"] for p in points] == [
        "2026-06-12T23:59:59.999999Z",
        "2026-06-13T23:59:59.999999Z",
        "2026-06-14T23:59:59.999999Z",
        "2026-06-15T12:00:00Z",
    ]


@pytest.mark.parametrize("days", ["0", "-5", "many", "4000"])
@pytest.mark.django_db
def test_a_bad_number_of_days_is_a_422(integrator, days):
    response = integrator.get("/accounts/globex/history", days=days)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "days"


@pytest.fixture
def acme_qbr_improves(integrator, signal):
    """A QBR of 3 and usage of 40 twenty days ago, then a QBR of 5."""
    integrator.post(
        "/signals",
        {
            "signals": [
                signal("acme", "qbr_score", 3, days_ago=20),
                signal("acme", "weekly_active_users", 40, days_ago=20),
                signal("acme", "qbr_score", 5, days_ago=2),
            ]
        },
    )


def lines_by_path(explanation):
    return {line["path"]: line for line in explanation["lines"]}


@pytest.mark.django_db
def test_a_change_is_split_by_the_criteria_that_moved_it(
    integrator, acme_qbr_improves, now
):
    response = integrator.get(
        "/accounts/acme/explain", **{"from": iso(now - timedelta(days=10))}
    )

    assert response.status_code == 200
    found = response.json()
    assert found["before"] == {
        "at": "2026-06-05T12:00:00Z", "score": pytest.approx((2 * 50 + 40) / 3),
        "grade": "watch", "status": "scored", "scorecard": "strategic", "version": 1,
    }  # fmt: skip
    assert found["after"]["score"] == pytest.approx((2 * 100 + 40) / 3)
    assert found["after"]["at"] == "2026-06-15T12:00:00Z"
    assert found["delta"] == pytest.approx(100 / 3)
    assert found["scorecard_changed"] is None
    lines = lines_by_path(found)
    assert lines["qbr"] == {
        "path": "qbr", "label": "qbr", "before": pytest.approx(100 / 3),
        "after": pytest.approx(200 / 3), "delta": pytest.approx(100 / 3),
    }  # fmt: skip
    assert lines["usage"]["delta"] == pytest.approx(0)
    assert (lines["stakeholders"]["before"], lines["stakeholders"]["after"]) == (
        None,
        None,
    )


STRATEGIC_V2 = """\
key: strategic
name: Strategic accounts
applies_to: {segment: [strategic]}
priority: 10
criteria:
  - key: qbr
    metric: qbr_score
    weight: 1
    aggregate: latest
    normalize: {linear: [1, 5]}
  - key: usage
    metric: weekly_active_users
    weight: 1
    aggregate: latest
    normalize: {linear: [0, 100]}
"""


@pytest.mark.django_db
def test_a_new_scorecard_version_gets_its_own_line(integrator, acme_qbr_improves, now):
    integrator.put("/scorecards/strategic", STRATEGIC_V2)

    found = integrator.get(
        "/accounts/acme/explain",
        **{"from": iso(now - timedelta(days=10)), "to": iso(now)},
    ).json()

    assert (found["before"]["version"], found["after"]["version"]) == (1, 2)
    before, after = (2 * 50 + 40) / 3, (100 + 40) / 2
    assert found["delta"] == pytest.approx(after - before)
    # Under the new recipe the earlier data scores (50 + 40) / 2 = 45.
    assert found["scorecard_changed"] == pytest.approx(45 - before)
    assert set(lines_by_path(found)) == {"qbr", "usage"}
    moved = sum(line["delta"] for line in found["lines"])
    assert moved + found["scorecard_changed"] == pytest.approx(found["delta"])


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "from", "is required"),
        ({"from": "2026-06-01T00:00:00"}, "from", "has no time zone"),
        ({"from": "2026-06-15T12:00:00Z"}, "from", "must be before to"),
        (
            {"from": "2026-06-01T00:00:00Z", "to": "2026-05-01T00:00:00Z"},
            "from",
            "must be before to",
        ),
        ({"from": "2026-06-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}, "to", "is in"),
    ],
)
@pytest.mark.django_db
def test_a_bad_span_is_a_422_naming_it(integrator, params, field, message):
    response = integrator.get("/accounts/acme/explain", **params)

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == field
    assert error["message"].startswith(message)


@pytest.mark.parametrize(
    "route", ["score", "history", "explain?from=2026-06-01T00:00:00Z"]
)
@pytest.mark.django_db
def test_an_unknown_account_has_no_history(integrator, route):
    response = integrator.get(f"/accounts/umbrella/{route}")

    assert response.status_code == 404


def test_a_moment_before_any_history_could_exist_is_refused(integrator, cast):
    for path, params in (
        ("/accounts/acme/score", {"as_of": "0001-01-02T00:00:00Z"}),
        ("/accounts/acme/explain", {"from": "0001-01-02T00:00:00Z"}),
    ):
        response = integrator.get(path, **params)

        assert response.status_code == 422, path
        assert "out of range" in response.json()["errors"][0]["message"]
