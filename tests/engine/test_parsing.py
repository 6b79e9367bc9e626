"""Scorecard files: what is accepted, and every problem named by its path."""

import json
from datetime import timedelta

import pytest

from scorecards.engine import (
    Group,
    ScorecardError,
    format_duration,
    load_scorecard,
    parse_duration,
    parse_scorecard,
)
from scorecards.engine.aggregates import DecayedMean, Stakeholder
from scorecards.engine.normalize import Linear, Points

GOOD = """
key: strategic
name: Strategic accounts
applies_to: {segment: [strategic, enterprise]}
priority: 10
min_coverage: 0.5
grades:
  - {name: healthy, min: 70, color: green}
  - {name: at_risk, min: 0, color: red}
criteria:
  - key: qbr
    metric: qbr_score
    weight: 30
    aggregate: latest
    window: 120d
    normalize: {linear: [1, 5]}
  - group: engagement
    weight: 25
    criteria:
      - key: usage
        metric: weekly_active_users
        weight: 2
        aggregate: {decayed_mean: {half_life: 14d}}
        normalize: {points: [[0, 0], [5, 40], [50, 100]]}
      - key: sentiment
        metric: stakeholder_rating
        weight: 1
        aggregate:
          stakeholder: {role_weights: {champion: 1}, max_share: 0.4, prior: 3}
        normalize: {linear: [1, 5]}
"""


def problems_of(text: str, fmt: str = "yaml") -> list[str]:
    with pytest.raises(ScorecardError) as caught:
        parse_scorecard(text, format=fmt)  # type: ignore[arg-type]
    return [str(problem) for problem in caught.value.problems]


def with_criterion(criterion: str) -> str:
    return f"key: k\ncriteria:\n  - {criterion}\n"


def test_a_good_file_becomes_a_scorecard():
    card = parse_scorecard(GOOD)

    assert card.key == "strategic"
    assert card.applies_to == {"segment": frozenset({"strategic", "enterprise"})}
    assert [g.name for g in card.grades] == ["healthy", "at_risk"]
    assert [path for path, _ in card.leaves()] == [
        "qbr",
        "engagement/usage",
        "engagement/sentiment",
    ]
    assert isinstance(card.criteria[1], Group)
    qbr = card.criteria[0]
    assert qbr.window == timedelta(days=120)
    assert qbr.normalize == Linear(1, 5)
    usage, sentiment = card.criteria[1].criteria
    assert usage.aggregate == DecayedMean(14 * 86400)
    assert usage.normalize == Points((0, 5, 50), (0, 40, 100))
    assert sentiment.aggregate == Stakeholder({"champion": 1}, 1.0, 0.4, 3)


def test_json_reads_the_same_as_yaml(tmp_path):
    import yaml

    path = tmp_path / "strategic.json"
    path.write_text(json.dumps(yaml.safe_load(GOOD)))

    assert load_scorecard(path) == parse_scorecard(GOOD)


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        (
            "{key: a, metric: m, weight: 1, aggregate: median,"
            " normalize: {linear: [0, 1]}}",
            "criteria[0].aggregate: unknown aggregate 'median'",
        ),
        (
            "{key: a, metric: m, weight: 0, normalize: {linear: [0, 1]}}",
            "criteria[0].weight: must be greater than 0, not 0",
        ),
        (
            "{key: a, metric: m, weight: -2, normalize: {linear: [0, 1]}}",
            "criteria[0].weight: must be greater than 0, not -2",
        ),
        (
            "{key: a, metric: m, weight: heavy, normalize: {linear: [0, 1]}}",
            "criteria[0].weight: must be a number, not 'heavy'",
        ),
        (
            "{key: a, metric: m, weight: 1, normalize: {linear: [3, 3]}}",
            "criteria[0].normalize.linear: needs two different numbers",
        ),
        (
            "{key: a, metric: m, weight: 1, normalize: {points: [[0, 0], [0, 50]]}}",
            "criteria[0].normalize.points[1]: x must be greater than",
        ),
        (
            "{key: a, metric: m, weight: 1, normalize: {points: [[0, 0], [1, 150]]}}",
            "criteria[0].normalize.points[1]: y must be between 0 and 100",
        ),
        (
            "{key: a, metric: m, weight: 1, window: 3 days,"
            " normalize: {linear: [0, 1]}}",
            "criteria[0].window: '3 days' is not a duration",
        ),
        (
            "{key: a, metric: m, weight: 1, window: 0d, normalize: {linear: [0, 1]}}",
            "criteria[0].window: '0d' must be longer than zero",
        ),
        (
            "{key: a, metric: m, weight: 1, normalize: {log: [0, 1]}}",
            "criteria[0].normalize: unknown normalizer 'log'",
        ),
        (
            "{key: a, metric: m, weight: 1, weigth: 2, normalize: {linear: [0, 1]}}",
            "criteria[0].weigth: unknown field",
        ),
        ("{key: a, metric: m, weight: 1}", "criteria[0].normalize: is required"),
        (
            "{key: a, metric: m, weight: 1, missing: {value: 1, score: 2},"
            " normalize: {linear: [0, 1]}}",
            "criteria[0].missing: must be {value: X}",
        ),
        (
            "{key: a, metric: m, weight: 1, missing: {score: 120},"
            " normalize: {linear: [0, 1]}}",
            "criteria[0].missing.score: must be between 0 and 100",
        ),
        (
            "{key: a, metric: m, weight: 1, min_count: 1.5,"
            " normalize: {linear: [0, 1]}}",
            "criteria[0].min_count: must be a whole number",
        ),
        (
            "{key: a, metric: m, weight: 1, aggregate: {decayed_mean: {}},"
            " normalize: {linear: [0, 1]}}",
            "criteria[0].aggregate.decayed_mean.half_life: is required",
        ),
        (
            "{key: a, metric: m, weight: 1, aggregate: {stakeholder: {max_share: 2}},"
            " normalize: {linear: [0, 1]}}",
            "criteria[0].aggregate.stakeholder.max_share: must be between 0 and 1",
        ),
        (
            "{key: a, metric: m, weight: 1, normalize: {linear: [0, 1]},"
            " aggregate: {stakeholder: {role_weights: {champion: 1.0e-9}}}}",
            "criteria[0].aggregate.stakeholder.role_weights.champion: must be 0 or at"
            " least 1e-06",
        ),
        (
            "{key: 'a/b', metric: m, weight: 1, normalize: {linear: [0, 1]}}",
            "criteria[0].key: 'a/b' is not a key",
        ),
        (
            "{key: a, metric: m, weight: true, normalize: {linear: [0, 1]}}",
            "criteria[0].weight: must be a number, not True",
        ),
    ],
)
def test_a_bad_criterion_is_named_by_its_path(criterion, expected):
    problems = problems_of(with_criterion(criterion))

    assert any(p.startswith(expected) for p in problems), problems


def test_every_problem_is_listed_not_just_the_first():
    text = """
key: k
min_coverage: 2
grades: [{name: good, min: 50}, {name: good, min: 10}]
criteria:
  - {key: a, metric: m, weight: 0, normalize: {linear: [1, 1]}}
  - group: g
    weight: 1
    criteria:
      - {key: a, metric: m, weight: 1, window: 5x, normalize: {linear: [0, 1]}}
"""
    problems = problems_of(text)

    assert problems == [
        "min_coverage: must be between 0 and 1, not 2",
        "grades[1].name: duplicate grade 'good'",
        "criteria[0].weight: must be greater than 0, not 0",
        "criteria[0].normalize.linear: needs two different numbers",
        "criteria[1].criteria[0].key: duplicate key 'a', first used at criteria[0].key",
        "criteria[1].criteria[0].window: '5x' is not a duration like 90d, 12h or 2w",
    ]


def test_a_group_and_a_criterion_may_not_share_a_key():
    text = """
key: k
criteria:
  - group: usage
    weight: 1
    criteria:
      - {key: usage, metric: m, weight: 1, normalize: {linear: [0, 1]}}
"""
    assert problems_of(text) == [
        "criteria[0].criteria[0].key: duplicate key 'usage', first used at "
        "criteria[0].group"
    ]


def test_the_top_level_needs_a_key_and_criteria():
    problems = problems_of("name: nothing else\n")

    assert problems == ["criteria: is required", "key: is required"]


def test_a_file_that_is_not_a_mapping_is_refused():
    [problem] = problems_of("- just\n- a list\n")

    assert "must be a mapping" in problem


def test_a_yaml_syntax_error_gives_the_line():
    [problem] = problems_of("key: k\ncriteria: [\n  {key: a\n")

    assert problem.startswith("line ")


def test_a_key_given_twice_in_yaml_is_refused_with_its_line():
    [problem, _] = problems_of("key: k\nkey: other\ncriteria: []\n")

    assert problem == "key: is given more than once (again on line 2)"


def test_a_key_given_twice_in_json_is_refused():
    [problem, _] = problems_of('{"key": "k", "key": "j", "criteria": []}', fmt="json")

    assert problem == "key: is given more than once"


def test_bad_json_gives_line_and_column():
    [problem] = problems_of('{"key": "k",\n "criteria": [}', fmt="json")

    assert problem.startswith("line 2, column 15: ")


def test_empty_criteria_and_empty_groups_are_refused():
    assert problems_of("key: k\ncriteria: []\n") == [
        "criteria: must be a non-empty list of criteria or groups"
    ]
    text = "key: k\ncriteria:\n  - {group: g, weight: 1, criteria: []}\n"
    assert problems_of(text) == [
        "criteria[0].criteria: must be a non-empty list of criteria or groups"
    ]


def test_applies_to_takes_a_value_or_a_list_of_values():
    text = with_criterion("{key: a, metric: m, weight: 1, normalize: {linear: [0, 1]}}")
    card = parse_scorecard(text + "applies_to: {segment: smb, tier: [1, 2]}\n")

    assert card.applies_to == {"segment": {"smb"}, "tier": {"1", "2"}}
    assert card.applies({"segment": "smb", "tier": "2"})
    assert not card.applies({"segment": "smb"})


def test_aggregate_defaults_to_latest_and_count_needs_no_signal():
    text = with_criterion("{key: a, metric: m, weight: 1, normalize: {linear: [0, 1]}}")
    counting = with_criterion(
        "{key: a, metric: m, weight: 1, aggregate: count, normalize: {linear: [0, 1]}}"
    )

    assert parse_scorecard(text).criteria[0].aggregate.name == "latest"
    assert parse_scorecard(text).criteria[0].min_count == 1
    assert parse_scorecard(counting).criteria[0].min_count == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12h", timedelta(hours=12)),
        ("10d", timedelta(days=10)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_durations_round_trip(text, expected):
    assert parse_duration(text) == expected
    assert format_duration(expected) == text


@pytest.mark.parametrize(
    "text", ["", "d", "14", "1.5d", "-3d", "3m", "14 d", "1000000d", "9" * 30 + "w"]
)
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError, match=r"duration|longer than"):
        parse_duration(text)


def test_the_bundled_scorecards_are_valid():
    from scorecards.cli.demo import bundled_scorecards

    cards = [load_scorecard(path) for path in bundled_scorecards()]

    assert sorted(card.key for card in cards) == ["default", "strategic"]
