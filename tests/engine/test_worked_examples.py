"""The examples SCORING.md works through, checked one by one."""

from datetime import UTC, datetime, timedelta

import pytest

from scorecards.engine import (
    History,
    Signal,
    Status,
    build_scorecard,
    choose_scorecard,
    explain_change,
    score_account,
)
from scorecards.engine.stakeholder import capped_shares

NOW = datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)
ROLES = {
    "sponsor": "executive_sponsor",
    "dm": "decision_maker",
    "champ": "champion",
    "u1": "user",
    "u2": "user",
    "u3": "user",
    "u4": "user",
}
STAKEHOLDER = {
    "key": "stakeholders",
    "metric": "stakeholder_rating",
    "weight": 25,
    "window": "180d",
    "aggregate": {
        "stakeholder": {
            "role_weights": {
                "executive_sponsor": 3,
                "decision_maker": 2,
                "champion": 1,
            },
            "default_weight": 1,
            "max_share": 0.4,
            "prior": 3,
        }
    },
    "normalize": {"linear": [1, 5]},
}


def card(*criteria: dict[str, object], **fields: object) -> object:
    return build_scorecard({"key": "test", "criteria": list(criteria), **fields})


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def signal(
    metric: str, value: float, age_days: float, contact: str | None = None
) -> Signal:
    return Signal("acme", metric, value, days_ago(age_days), contact=contact)


def score(scorecard: object, *signals: Signal, as_of: datetime = NOW) -> object:
    return score_account(
        scorecard, History.from_signals(signals), as_of=as_of, roles=ROLES
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answers", "raw", "expected"),
    [
        ([("champ", 5)], 3.8, 70.0),
        ([("champ", 5), ("u1", 2), ("u2", 2), ("u3", 2), ("u4", 2)], 2.6, 40.0),
        ([("sponsor", 5), ("u1", 2), ("u2", 2)], 3.2, 55.0),
        ([("sponsor", 5), ("dm", 4), ("champ", 5), ("u1", 1)], 4.1, 77.5),
    ],
)
def test_the_stakeholder_table_of_the_contract(answers, raw, expected):
    signals = [signal("stakeholder_rating", v, 3, contact=c) for c, v in answers]

    result = score(card(STAKEHOLDER), *signals)

    [criterion] = result.criteria
    assert criterion.raw == pytest.approx(raw, abs=1e-9)
    assert criterion.score == pytest.approx(expected, abs=1e-9)
    assert result.total == pytest.approx(expected, abs=1e-9)


def test_a_lone_champion_cannot_carry_the_account():
    alone = score(
        card(STAKEHOLDER), signal("stakeholder_rating", 5, 1, contact="champ")
    )

    assert alone.total == pytest.approx(70.0)  # a plain average would say 100


def test_water_filling_spreads_the_excess_in_proportion_to_weight():
    shares = capped_shares([3, 2, 1, 1], 0.4)

    assert shares == pytest.approx([0.4, 0.3, 0.15, 0.15])


def test_every_contact_capped_without_a_prior_scales_up():
    # Two equal voices capped at 0.4 each leave 0.2 unassigned; with no prior
    # the shares are scaled up to sum to 1.
    stakeholder = {**STAKEHOLDER, "aggregate": {"stakeholder": {"max_share": 0.4}}}

    result = score(
        card(stakeholder),
        signal("stakeholder_rating", 5, 1, contact="u1"),
        signal("stakeholder_rating", 3, 1, contact="u2"),
    )

    assert result.criteria[0].raw == pytest.approx(4.0)


def test_only_each_contacts_latest_answer_counts():
    result = score(
        card(STAKEHOLDER),
        signal("stakeholder_rating", 1, 30, contact="champ"),
        signal("stakeholder_rating", 5, 2, contact="champ"),
    )

    assert result.criteria[0].raw == pytest.approx(3.8)


def test_nps_counts_each_respondent_once():
    nps = {
        "key": "nps",
        "metric": "nps",
        "weight": 1,
        "aggregate": "nps",
        "min_count": 3,
        "normalize": {"linear": [-100, 100]},
    }
    signals = [
        signal("nps", 3, 40, contact="u1"),  # replaced by the same contact's 10
        signal("nps", 10, 5, contact="u1"),
        signal("nps", 9, 5, contact="u2"),
        signal("nps", 7, 5, contact="u3"),
        signal("nps", 2, 5),  # no contact: a respondent of its own
    ]

    result = score(card(nps), *signals)

    # 2 promoters, 1 detractor, 4 respondents: 100 * (2 - 1) / 4 = 25.
    assert result.criteria[0].raw == pytest.approx(25.0)
    assert result.criteria[0].count == 4
    assert result.criteria[0].score == pytest.approx(62.5)


def test_nps_with_too_few_respondents_is_missing():
    nps = {
        "key": "nps",
        "metric": "nps",
        "weight": 1,
        "aggregate": "nps",
        "min_count": 3,
        "normalize": {"linear": [-100, 100]},
    }
    signals = [signal("nps", 10, 1, contact="u1"), signal("nps", 9, 1, contact="u1")]

    result = score(card(nps), *signals)

    assert result.criteria[0].missing
    assert result.status is Status.INSUFFICIENT_DATA
    assert result.total is None


def test_the_window_excludes_its_start_and_includes_the_as_of_time():
    usage = {
        "key": "usage",
        "metric": "wau",
        "weight": 1,
        "window": "30d",
        "aggregate": "sum",
        "normalize": {"linear": [0, 100]},
    }
    signals = [
        signal("wau", 1000, 30),  # exactly t - window: outside
        signal("wau", 7, 29.999),
        signal("wau", 5, 0),  # exactly t: inside
    ]

    result = score(card(usage), *signals)

    assert result.criteria[0].raw == 12
    assert result.criteria[0].count == 2


def test_signals_after_the_as_of_time_are_ignored():
    qbr = {"key": "qbr", "metric": "qbr", "weight": 1, "normalize": {"linear": [1, 5]}}
    earlier = signal("qbr", 2, 10)
    later = signal("qbr", 5, -1)

    assert score(card(qbr), earlier, later).criteria[0].raw == 2


def test_latest_takes_the_one_received_last_on_a_tie():
    qbr = {"key": "qbr", "metric": "qbr", "weight": 1, "normalize": {"linear": [1, 5]}}

    result = score(card(qbr), signal("qbr", 2, 3), signal("qbr", 4, 3))

    assert result.criteria[0].raw == 4


def test_decayed_mean_halves_the_weight_every_half_life():
    usage = {
        "key": "usage",
        "metric": "wau",
        "weight": 1,
        "aggregate": {"decayed_mean": {"half_life": "14d"}},
        "normalize": {"linear": [0, 100]},
    }

    result = score(card(usage), signal("wau", 10, 0), signal("wau", 40, 14))

    # weights 1 and 0.5: (10 + 0.5 * 40) / 1.5 = 20
    assert result.criteria[0].raw == pytest.approx(20.0)


def test_count_of_no_signals_is_zero_not_missing():
    logins = {
        "key": "logins",
        "metric": "login",
        "weight": 1,
        "window": "7d",
        "aggregate": "count",
        "normalize": {"linear": [0, 10]},
    }

    result = score(card(logins), signal("login", 1, 30))

    assert result.criteria[0].raw == 0
    assert not result.criteria[0].missing
    assert result.total == 0.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(-3, 100), (0, 100), (0.5, 80), (1, 60), (2, 40), (3, 20), (4, 10), (9, 0)],
)
def test_points_draw_lines_between_points_and_stay_flat_beyond(raw, expected):
    escalations = {
        "key": "escalations",
        "metric": "open_escalations",
        "weight": 1,
        "normalize": {"points": [[0, 100], [1, 60], [3, 20], [5, 0]]},
    }

    result = score(card(escalations), signal("open_escalations", raw, 1))

    assert result.criteria[0].score == pytest.approx(expected)


@pytest.mark.parametrize(
    ("bounds", "raw", "expected"),
    [([1, 5], 3, 50), ([1, 5], 9, 100), ([1, 5], 0, 0), ([10, 0], 2, 80)],
)
def test_linear_clips_and_may_run_downhill(bounds, raw, expected):
    days = {"key": "d", "metric": "m", "weight": 1, "normalize": {"linear": bounds}}

    assert score(card(days), signal("m", raw, 1)).criteria[0].score == expected


def test_missing_rules_fill_in_a_raw_value_or_a_score():
    by_value = {
        "key": "esc",
        "metric": "open_escalations",
        "weight": 1,
        "missing": {"value": 0},
        "normalize": {"points": [[0, 100], [5, 0]]},
    }
    by_score = {
        "key": "qbr",
        "metric": "qbr",
        "weight": 3,
        "missing": {"score": 50},
        "normalize": {"linear": [1, 5]},
    }

    result = score(card(by_value, by_score))

    assert [c.score for c in result.criteria] == [100, 50]
    assert all(c.missing and c.filled for c in result.criteria)
    assert result.coverage == 1
    assert result.total == pytest.approx((100 * 1 + 50 * 3) / 4)


def test_a_missing_criterion_is_left_out_and_the_others_renormalized():
    qbr = {"key": "qbr", "metric": "qbr", "weight": 30, "normalize": {"linear": [1, 5]}}
    nps = {
        "key": "nps",
        "metric": "nps",
        "weight": 10,
        "normalize": {"linear": [0, 10]},
    }

    result = score(card(qbr, nps), signal("qbr", 4, 1))

    assert result.total == pytest.approx(75.0)
    assert result.coverage == pytest.approx(0.75)
    assert result.criteria[0].share == pytest.approx(1.0)
    assert result.criteria[1].contribution is None


def test_below_min_coverage_there_is_no_score():
    qbr = {"key": "qbr", "metric": "qbr", "weight": 30, "normalize": {"linear": [1, 5]}}
    nps = {
        "key": "nps",
        "metric": "nps",
        "weight": 70,
        "normalize": {"linear": [0, 10]},
    }
    grades = [{"name": "healthy", "min": 0}]

    result = score(card(qbr, nps, min_coverage=0.5, grades=grades), signal("qbr", 4, 1))

    assert result.status is Status.INSUFFICIENT_DATA
    assert result.total is None
    assert result.grade is None
    assert result.coverage == pytest.approx(0.3)


def test_the_example_scorecard_explains_itself():
    # The scorecard of SCORING.md with QBR 4, a quiet nps, four stakeholders and
    # 12 weekly active users; escalations fall back to 0 (missing: value 0).
    example = card(
        {
            "key": "qbr",
            "metric": "qbr_score",
            "weight": 30,
            "window": "120d",
            "normalize": {"linear": [1, 5]},
        },
        {
            "key": "nps",
            "metric": "nps",
            "weight": 20,
            "aggregate": "nps",
            "min_count": 3,
            "normalize": {"linear": [-100, 100]},
        },
        STAKEHOLDER,
        {
            "group": "engagement",
            "weight": 25,
            "criteria": [
                {
                    "key": "usage",
                    "metric": "weekly_active_users",
                    "weight": 2,
                    "aggregate": {"decayed_mean": {"half_life": "14d"}},
                    "normalize": {"points": [[0, 0], [5, 40], [20, 80], [50, 100]]},
                },
                {
                    "key": "escalations",
                    "metric": "open_escalations",
                    "weight": 1,
                    "window": "30d",
                    "missing": {"value": 0},
                    "stale_after": "14d",
                    "normalize": {"points": [[0, 100], [1, 60], [3, 20], [5, 0]]},
                },
            ],
        },
        grades=[
            {"name": "healthy", "min": 70},
            {"name": "watch", "min": 40},
            {"name": "at_risk", "min": 0},
        ],
    )
    signals = [
        signal("qbr_score", 4, 10),
        signal("stakeholder_rating", 5, 1, contact="sponsor"),
        signal("stakeholder_rating", 4, 1, contact="dm"),
        signal("stakeholder_rating", 5, 1, contact="champ"),
        signal("stakeholder_rating", 1, 1, contact="u1"),
        signal("weekly_active_users", 12, 3),
    ]

    result = score(example, *signals)

    usage = 40 + 40 * 7 / 15  # 12 on the line from (5, 40) to (20, 80)
    engagement = (2 * usage + 1 * 100) / 3
    expected = (30 * 75 + 25 * 77.5 + 25 * engagement) / 80
    assert result.total == pytest.approx(expected, abs=1e-9)
    assert result.grade.name == "healthy"
    assert result.coverage == pytest.approx((30 + 25 + 25) / 100)
    assert [c.path for c in result.criteria] == [
        "qbr",
        "nps",
        "stakeholders",
        "engagement/usage",
        "engagement/escalations",
    ]
    assert result.criterion("engagement/usage").share == pytest.approx(25 / 80 * 2 / 3)
    assert sum(c.contribution or 0 for c in result.criteria) == pytest.approx(expected)


def test_a_stale_criterion_still_counts_and_says_so():
    escalations = {
        "key": "escalations",
        "metric": "open_escalations",
        "weight": 1,
        "window": "30d",
        "stale_after": "14d",
        "normalize": {"points": [[0, 100], [5, 0]]},
    }

    fresh = score(card(escalations), signal("open_escalations", 1, 14))
    stale = score(card(escalations), signal("open_escalations", 1, 15))

    assert not fresh.criteria[0].stale
    assert stale.criteria[0].stale
    assert stale.total == pytest.approx(80.0)


def test_grades_are_inclusive_lower_bounds_and_the_first_fit_wins():
    qbr = {
        "key": "qbr",
        "metric": "qbr",
        "weight": 1,
        "normalize": {"linear": [0, 100]},
    }
    grades = [{"name": "healthy", "min": 70}, {"name": "watch", "min": 40}]
    scorecard = card(qbr, grades=grades)

    assert score(scorecard, signal("qbr", 70, 1)).grade.name == "healthy"
    assert score(scorecard, signal("qbr", 69.99, 1)).grade.name == "watch"
    assert score(scorecard, signal("qbr", 39, 1)).grade is None


def test_the_highest_priority_scorecard_that_applies_wins_ties_to_the_lower_key():
    qbr = {"key": "qbr", "metric": "qbr", "weight": 1, "normalize": {"linear": [1, 5]}}
    everyone = build_scorecard({"key": "default", "criteria": [qbr]})
    strategic = build_scorecard(
        {
            "key": "strategic",
            "priority": 10,
            "applies_to": {"segment": ["strategic", "enterprise"]},
            "criteria": [qbr],
        }
    )
    twin = build_scorecard(
        {
            "key": "another",
            "priority": 10,
            "applies_to": {"segment": "enterprise"},
            "criteria": [qbr],
        }
    )
    cards = [everyone, strategic, twin]

    assert choose_scorecard(cards, {"segment": "strategic"}) is strategic
    assert choose_scorecard(cards, {"segment": "enterprise"}) is twin
    assert choose_scorecard(cards, {"segment": "smb"}) is everyone
    assert choose_scorecard([strategic], {}) is None


def test_a_change_is_split_into_the_recipe_and_the_criteria():
    qbr = {"key": "qbr", "metric": "qbr", "weight": 1, "normalize": {"linear": [1, 5]}}
    nps = {"key": "nps", "metric": "nps", "weight": 1, "normalize": {"linear": [0, 10]}}
    before_card = card(qbr, nps)
    after_card = card({**qbr, "weight": 3}, nps)
    history = History.from_signals(
        [signal("qbr", 5, 20), signal("nps", 2, 20), signal("nps", 6, 1)]
    )

    change = explain_change(
        history=history, earlier=before_card, later=after_card, t0=days_ago(10), t1=NOW
    )

    # Before: (100 + 20) / 2 = 60. Re-scored under the new weights:
    # (3 * 100 + 20) / 4 = 80. After: (3 * 100 + 60) / 4 = 90.
    assert change.delta == pytest.approx(30)
    assert change.scorecard_changed == pytest.approx(20)
    lines = {line.path: line.delta for line in change.lines}
    assert lines == pytest.approx({"qbr": 0.0, "nps": 10.0})
