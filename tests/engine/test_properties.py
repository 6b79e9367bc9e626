"""Properties of the scoring engine that hold for every scorecard and every history.

Scorecards are generated as plain data and go through ``build_scorecard``, so they
are validated the way a user's file is. The last part of this file is a second,
deliberately naive reading of the scoring contract that ``score_account`` must
agree with to 1e-6.
"""

import copy
import dataclasses
import itertools
import math
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scorecards.engine import (
    OVERRIDE_TOTAL,
    AccountScore,
    History,
    HistoryBuilder,
    Scorecard,
    Signal,
    Status,
    build_scorecard,
    evaluate_criterion,
    explain_change,
    histories_by_account,
    score_account,
    score_leaves,
    summarize_leaves,
    window_score,
)
from scorecards.engine.aggregates import Window
from scorecards.engine.columns import total_columns
from scorecards.engine.stakeholder import capped_shares, stakeholder_raw

AS_OF = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ACCOUNTS = ("acme", "globex")
METRICS = ("logins", "nps_answer", "rating", "tickets")
UNRELATED_METRICS = ("page_views",)
CONTACTS = ("c1", "c2", "c3", "c4", "c5")
ROLES = (
    "executive_sponsor",
    "decision_maker",
    "champion",
    "user",
    "billing",
    "intern",
)
GRADE_NAMES = ("healthy", "watch", "at_risk", "critical")

quick = settings(max_examples=50, deadline=None)
thorough = settings(max_examples=250, deadline=None)


def span(text: str) -> timedelta:
    hours = {"h": 1, "d": 24, "w": 24 * 7}[text[-1]]
    return timedelta(hours=int(text[:-1]) * hours)


# -- scorecards -----------------------------------------------------------------

numbers = st.one_of(
    st.integers(-20, 120),
    st.floats(-20, 120).map(lambda x: round(x, 2)),
)
scores_0_to_100 = st.one_of(st.integers(0, 100), st.floats(0, 100))
weights = st.one_of(st.integers(1, 10), st.floats(0.1, 10))
# Windows, half-lives and staleness limits mostly come from a short list that
# signal times also use, so signals often sit exactly on an edge.
COMMON_SPANS = ("1h", "1d", "7d", "30d")
durations = st.one_of(
    st.sampled_from(COMMON_SPANS),
    st.sampled_from(COMMON_SPANS),
    st.integers(1, 72).map(lambda n: f"{n}h"),
    st.integers(1, 90).map(lambda n: f"{n}d"),
    st.integers(1, 12).map(lambda n: f"{n}w"),
)
stakeholder_options = st.fixed_dictionaries(
    {},
    optional={
        "role_weights": st.dictionaries(
            st.sampled_from(ROLES),
            st.one_of(st.integers(0, 5), st.just(0.0), st.floats(0.001, 5)),
        ),
        "default_weight": st.one_of(
            st.integers(0, 3), st.just(0.0), st.floats(0.001, 3)
        ),
        "max_share": st.floats(0.05, 1),
        "prior": numbers,
    },
)
AGGREGATES = (
    "latest",
    "mean",
    "sum",
    "min",
    "max",
    "count",
    "nps",
    "decayed_mean",
    "stakeholder",
)


@st.composite
def aggregates(draw):
    name = draw(st.sampled_from(AGGREGATES))
    if name == "decayed_mean":
        return {name: {"half_life": draw(durations)}}
    if name == "stakeholder":
        return {name: draw(stakeholder_options)}
    return name


missing_rules = st.one_of(
    numbers.map(lambda x: {"value": x}),
    scores_0_to_100.map(lambda y: {"score": y}),
)


@st.composite
def linear_specs(draw):
    low, high = draw(numbers), draw(numbers)
    if high == low:
        high = low + draw(st.sampled_from([-1, 1]))
    return {"linear": [low, high]}


@st.composite
def points_specs(draw):
    xs = sorted(draw(st.sets(numbers, min_size=2, max_size=5)))
    ys = draw(st.lists(scores_0_to_100, min_size=len(xs), max_size=len(xs)))
    return {"points": [[x, y] for x, y in zip(xs, ys, strict=True)]}


@st.composite
def criterion_specs(draw, key):
    aggregate = draw(aggregates())
    if aggregate == "nps":
        metric = "nps_answer"
    elif "stakeholder" in aggregate:
        metric = "rating"
    else:
        metric = draw(st.sampled_from(METRICS))
    spec = {
        "key": key,
        "metric": metric,
        "weight": draw(weights),
        "aggregate": aggregate,
        "normalize": draw(st.one_of(linear_specs(), points_specs())),
    }
    optional = st.fixed_dictionaries(
        {},
        optional={
            "window": durations,
            "min_count": st.integers(0, 4),
            "missing": missing_rules,
            "stale_after": durations,
        },
    )
    return spec | draw(optional)


@st.composite
def scorecard_specs(draw):
    """A scorecard as a user writes it: groups nest up to three deep."""
    numbering = itertools.count()

    def items(depth):
        found = []
        for _ in range(draw(st.integers(1, 3))):
            if depth < 3 and draw(st.integers(0, 3)) == 0:
                found.append(
                    {
                        "group": f"group{next(numbering)}",
                        "weight": draw(weights),
                        "criteria": items(depth + 1),
                    }
                )
            else:
                found.append(draw(criterion_specs(f"criterion{next(numbering)}")))
        return found

    spec = {"key": "health", "criteria": items(0)}
    if draw(st.booleans()):
        spec["min_coverage"] = draw(
            st.one_of(st.sampled_from([0, 0.25, 0.5, 1]), st.floats(0, 1))
        )
    if draw(st.booleans()):
        usual = st.sampled_from([0, 40, 50, 70, 100])
        lows = draw(st.lists(usual | scores_0_to_100, min_size=1, max_size=4))
        spec["grades"] = [
            {"name": name, "min": low}
            for name, low in zip(GRADE_NAMES, lows, strict=False)
        ]
    return spec


scorecards = scorecard_specs().map(build_scorecard)


# -- signals --------------------------------------------------------------------

offsets = st.one_of(
    st.sampled_from(COMMON_SPANS).map(lambda text: -span(text)),  # edges and ties
    st.integers(-72, 24).map(lambda n: timedelta(hours=n)),
    st.integers(-90, 3).map(lambda n: timedelta(days=n)),
    st.integers(-90 * 24 * 60, 3 * 24 * 60).map(lambda n: timedelta(minutes=n)),
    st.integers(-3 * 365 * 24, 0).map(lambda n: timedelta(hours=n)),  # years old
)
# What each metric's answers look like; any of them may also carry odd numbers.
TYPICAL_VALUES = {
    "nps_answer": st.sampled_from([9, 6, 10, 7, 8, 0, 5]),  # around the thresholds
    "rating": st.integers(1, 5),
    "logins": st.integers(0, 60),
    "tickets": st.integers(0, 6),
}


@st.composite
def signals(draw, account=None, metric=None, observed_at=None):
    metric = metric or draw(st.sampled_from(METRICS * 2 + UNRELATED_METRICS))
    typical = TYPICAL_VALUES.get(metric, st.integers(0, 1000))
    value = draw(
        st.one_of(
            typical.map(float),
            typical.map(float),
            st.floats(-20, 120, allow_nan=False, allow_infinity=False),
        )
    )
    return Signal(
        account=account or draw(st.sampled_from(ACCOUNTS)),
        metric=metric,
        value=value,
        observed_at=observed_at or AS_OF + draw(offsets),
        contact=draw(st.sampled_from((None, *CONTACTS))),
    )


@st.composite
def batches(draw):
    """Signals received together: an import may be of one account's one metric,
    and may stamp every row with the same time."""
    same = {}
    if draw(st.integers(0, 2)) == 0:
        same["account"] = draw(st.sampled_from(ACCOUNTS))
        same["metric"] = draw(st.sampled_from(METRICS))
    if draw(st.integers(0, 2)) == 0:
        same["observed_at"] = AS_OF + draw(offsets)
    return draw(st.lists(signals(**same), max_size=10))


# A list of batches: a flat list would mostly be a handful of signals long.
signal_lists = st.lists(batches(), max_size=10).map(
    lambda received: [signal for batch in received for signal in batch]
)
untied_signal_lists = signal_lists.map(
    lambda received: list(
        {(s.account, s.metric, s.observed_at): s for s in received}.values()
    )
)
contact_roles = st.dictionaries(st.sampled_from(CONTACTS), st.sampled_from(ROLES))


def score_acme(
    scorecard: Scorecard,
    received: list[Signal],
    roles: dict[str, str] | None = None,
    *,
    as_of: datetime = AS_OF,
) -> AccountScore:
    history = histories_by_account(received).get("acme", History())
    return score_account(scorecard, history, as_of=as_of, roles=roles)


def is_close(actual: float, expected: float, *, tolerance: float = 1e-9) -> bool:
    return math.isclose(actual, expected, rel_tol=tolerance, abs_tol=tolerance)


# -- scores, shares and coverage ------------------------------------------------


@quick
@given(scorecard=scorecards, received=signal_lists, roles=contact_roles)
def test_every_score_stays_between_0_and_100(scorecard, received, roles):
    result = score_acme(scorecard, received, roles)

    scores = [c.score for c in result.criteria] + [g.score for g in result.groups]
    for score in [*scores, result.total]:
        assert score is None or 0 <= score <= 100


@quick
@given(scorecard=scorecards, received=signal_lists, roles=contact_roles)
def test_contributions_add_up_to_the_total(scorecard, received, roles):
    result = score_acme(scorecard, received, roles)

    present = [c for c in result.criteria if c.present]
    if not result.scored:
        assert all(c.contribution is None for c in result.criteria)
        return
    contributions = sum(c.contribution for c in present)
    assert is_close(contributions, result.total)
    assert is_close(sum(c.share for c in present), 1.0)


@quick
@given(
    scorecard=scorecards,
    received=signal_lists,
    roles=contact_roles,
    total_by_hand=st.one_of(st.none(), scores_0_to_100),
    data=st.data(),
)
def test_a_summary_from_leaf_scores_alone_says_what_the_full_score_says(
    scorecard, received, roles, total_by_hand, data
):
    # A preview rolls up stored leaf scores with summarize_leaves; publishing
    # scores with score_leaves. Both must agree on status, total and grade.
    history = histories_by_account(received).get("acme", History())
    t = AS_OF.timestamp()
    leaves = {
        path: evaluate_criterion(criterion, history[criterion.metric], t=t, roles=roles)
        for path, criterion in scorecard.leaves()
    }
    paths = sorted(leaves)
    by_hand = data.draw(st.dictionaries(st.sampled_from(paths), scores_0_to_100))
    if total_by_hand is not None:
        by_hand[OVERRIDE_TOTAL] = total_by_hand

    full = score_leaves(scorecard, leaves, as_of=AS_OF, overrides=by_hand)
    summary = summarize_leaves(
        scorecard,
        {path: leaf.score for path, leaf in leaves.items()},
        overrides=by_hand,
    )

    assert (summary.status, summary.total, summary.grade) == (
        full.status,
        full.total,
        full.grade,
    )


@thorough
@given(scorecard=scorecards, received=signal_lists, roles=contact_roles)
def test_a_criterion_scored_from_its_window_alone_scores_as_in_full(
    scorecard, received, roles
):
    # A preview reads a changed criterion's window for every account and cuts
    # it to its edges itself: the score must be the one the full history gets.
    history = histories_by_account(received).get("acme", History())
    t = AS_OF.timestamp()
    for _, criterion in scorecard.leaves():
        series = history[criterion.metric]
        low = t - criterion.window.total_seconds() if criterion.window else -math.inf
        inside = [i for i in range(len(series or ())) if low < series.times[i] <= t]
        window = Window(
            [series.times[i] for i in inside],
            [series.values[i] for i in inside],
            [series.contacts[i] for i in inside],
            t,
        )

        alone = window_score(criterion, window, roles)

        assert alone == evaluate_criterion(criterion, series, t=t, roles=roles).score


@thorough
@given(scorecard=scorecards, data=st.data())
def test_summaries_rolled_up_as_columns_are_those_rolled_up_one_by_one(scorecard, data):
    # A preview of many accounts rolls up a column per leaf at once; each
    # account's status, total and grade must be the very ones summarize_leaves
    # gives it, to the last bit of the total.
    paths = [path for path, _ in scorecard.leaves()]
    edges = [grade.min for grade in scorecard.grades]
    leaf_scores = st.one_of(
        st.none(), scores_0_to_100, st.sampled_from([0.0, 100.0, *edges])
    )
    accounts = data.draw(
        st.lists(st.fixed_dictionaries(dict.fromkeys(paths, leaf_scores)), max_size=8)
    )
    columns = {
        path: np.array(
            [np.nan if a[path] is None else a[path] for a in accounts], dtype=float
        )
        for path in paths
    }

    rolled_up = total_columns(scorecard, columns, len(accounts)).summaries(scorecard)

    assert rolled_up == [summarize_leaves(scorecard, a) for a in accounts]


@quick
@given(scorecard=scorecards, received=signal_lists, roles=contact_roles)
def test_coverage_decides_whether_an_account_has_a_score(scorecard, received, roles):
    result = score_acme(scorecard, received, roles)

    nothing_present = not any(c.present for c in result.criteria)
    too_thin = result.coverage < scorecard.min_coverage
    assert 0 <= result.coverage <= 1
    assert (result.status is Status.INSUFFICIENT_DATA) == (too_thin or nothing_present)
    assert (result.total is None) == (result.status is Status.INSUFFICIENT_DATA)


@quick
@given(scorecard=scorecards, received=signal_lists, roles=contact_roles)
def test_the_grade_is_the_first_whose_minimum_the_total_reaches(
    scorecard, received, roles
):
    result = score_acme(scorecard, received, roles)

    if result.total is None:
        assert result.grade is None
        return
    grades = list(scorecard.grades)
    if result.grade is None:
        assert all(grade.min > result.total for grade in grades)
        return
    position = grades.index(result.grade)
    # The engine forgives float noise of 1e-9 under a bound (39.99999999999999
    # is graded as the 40 it is shown as); a real shortfall is not forgiven.
    assert result.grade.min <= result.total + 1e-9
    assert all(grade.min > result.total for grade in grades[:position])


# Grade bounds as people write them: the engine forgives float noise of 1e-9
# under a bound, so bounds closer together than that are not told apart.
written_bounds = scores_0_to_100.map(lambda value: round(value, 6))


@quick
@given(score=written_bounds, others=st.lists(written_bounds, max_size=3))
def test_a_total_exactly_on_a_grade_minimum_earns_that_grade(score, others):
    lows = sorted({score, *others}, reverse=True)
    filled_in = {
        "key": "quiet",
        "metric": "m",
        "weight": 1,
        "normalize": {"linear": [0, 1]},
        "missing": {"score": score},
    }
    scorecard = build_scorecard(
        {
            "key": "health",
            "criteria": [filled_in],
            "grades": [{"name": f"band{i}", "min": low} for i, low in enumerate(lows)],
        }
    )

    result = score_acme(scorecard, [])

    assert result.total == score
    assert result.grade.min == score


# -- what a score depends on ----------------------------------------------------


@quick
@given(
    scorecard=scorecards,
    received=signal_lists,
    later=st.lists(
        st.builds(
            lambda signal, ahead: dataclasses.replace(
                signal, observed_at=AS_OF + timedelta(minutes=ahead)
            ),
            signals(),
            st.integers(1, 90 * 24 * 60),
        ),
        min_size=1,
        max_size=10,
    ),
    roles=contact_roles,
    data=st.data(),
)
def test_signals_observed_after_the_as_of_time_change_nothing(
    scorecard, received, later, roles, data
):
    on_time = [signal for signal in received if signal.observed_at <= AS_OF]
    mixed = list(received)  # the order of ties on time must stay as it was
    for signal in later:
        mixed.insert(data.draw(st.integers(0, len(mixed))), signal)

    assert score_acme(scorecard, mixed, roles) == score_acme(scorecard, on_time, roles)


@quick
@given(
    scorecard=scorecards,
    received=untied_signal_lists,
    roles=contact_roles,
    data=st.data(),
)
def test_the_order_signals_arrive_in_changes_nothing_without_ties(
    scorecard, received, roles, data
):
    shuffled = data.draw(st.permutations(received))

    assert score_acme(scorecard, shuffled, roles) == score_acme(
        scorecard, received, roles
    )


def test_on_a_tie_latest_takes_the_signal_received_last():
    scorecard = build_scorecard(
        {
            "key": "health",
            "criteria": [
                {
                    "key": "qbr",
                    "metric": "qbr_score",
                    "weight": 1,
                    "aggregate": "latest",
                    "normalize": {"linear": [1, 5]},
                }
            ],
        }
    )
    noon = AS_OF - timedelta(days=1)
    good = Signal("acme", "qbr_score", 5.0, noon)
    poor = Signal("acme", "qbr_score", 2.0, noon)

    assert score_acme(scorecard, [poor, good]).criterion("qbr").raw == 5.0
    assert score_acme(scorecard, [good, poor]).criterion("qbr").raw == 2.0


@quick
@given(scorecard=scorecards, received=signal_lists, roles=contact_roles)
def test_an_accounts_score_depends_only_on_its_own_signals(scorecard, received, roles):
    own = [signal for signal in received if signal.account == "acme"]

    assert score_acme(scorecard, received, roles) == score_acme(scorecard, own, roles)


def windowed(items: list[dict], draw) -> list[dict]:
    """The same criteria, each given a window if it had none."""
    changed = copy.deepcopy(items)
    for item in changed:
        if "group" in item:
            item["criteria"] = windowed(item["criteria"], draw)
        elif "window" not in item:
            item["window"] = draw(durations)
    return changed


def read_within(
    received: list[Signal], since: datetime, as_of: datetime
) -> dict[str, History]:
    """Histories as the service reads them with a lookback: the signals after
    ``since`` in receipt order, and of the older ones only the latest time."""
    builder = HistoryBuilder[str]()
    older: dict[tuple[str, str], datetime] = {}
    for s in received:
        if s.observed_at <= since:
            key = (s.account, s.metric)
            older[key] = max(older.get(key, s.observed_at), s.observed_at)
    for (account, metric), latest in older.items():
        builder.add_earlier(account, metric, latest.timestamp())
    for s in received:
        if since < s.observed_at <= as_of:
            builder.add(
                s.account, s.metric, s.observed_at.timestamp(), s.value, s.contact
            )
    return builder.build()


@quick
@given(
    spec=scorecard_specs(), received=signal_lists, roles=contact_roles, data=st.data()
)
def test_reading_only_the_longest_window_scores_the_same(spec, received, roles, data):
    scorecard = build_scorecard(
        spec | {"criteria": windowed(spec["criteria"], data.draw)}
    )
    lookback = scorecard.lookback()

    for as_of in data.draw(moments_on_edges(received)):
        histories = read_within(received, as_of - lookback, as_of)
        history = histories.get("acme", History())
        result = score_account(scorecard, history, as_of=as_of, roles=roles)
        assert result == score_acme(scorecard, received, roles, as_of=as_of)


# -- aggregates -----------------------------------------------------------------


@quick
@given(
    half_life=durations,
    answers=st.lists(
        st.tuples(st.floats(0, 2000), st.floats(-20, 120)), min_size=1, max_size=6
    ),
)
def test_a_decayed_mean_of_old_signals_is_still_their_mean(half_life, answers):
    aggregate = {"decayed_mean": {"half_life": half_life}}
    scorecard = build_scorecard(
        {
            "key": "health",
            "criteria": [
                {
                    "key": "usage",
                    "metric": "logins",
                    "weight": 1,
                    "aggregate": aggregate,
                    "normalize": {"linear": [0, 100]},
                }
            ],
        }
    )
    # Ages counted in half-lives: past about 1075 of them, 0.5 ** age is zero.
    received = [
        Signal("acme", "logins", value, AS_OF - span(half_life) * half_lives)
        for half_lives, value in answers
    ]

    expected, _ = reference_aggregate(aggregate, received, AS_OF, {})
    assert is_close(score_acme(scorecard, received).criterion("usage").raw, expected)


# -- the stakeholder roll-up ----------------------------------------------------

contact_weights = st.lists(
    st.one_of(st.just(0.0), st.floats(0.01, 10)), min_size=1, max_size=8
).filter(lambda ws: sum(ws) > 0)
caps = st.floats(0.05, 1)


@quick
@given(weights=contact_weights, cap=caps)
def test_capped_shares_never_exceed_the_cap(weights, cap):
    shares = capped_shares(weights, cap)

    assert all(share <= cap + 1e-12 for share in shares)
    assert sum(shares) <= 1 + 1e-12


@quick
@given(weights=contact_weights)
def test_uncapped_shares_sum_to_one(weights):
    shares = capped_shares(weights, None)

    assert is_close(sum(shares), 1.0, tolerance=1e-12)


@quick
@given(weights=contact_weights, cap=caps)
def test_shares_under_the_cap_stay_proportional_to_weights(weights, cap):
    shares = capped_shares(weights, cap)

    under = [
        (share, weight)
        for share, weight in zip(shares, weights, strict=True)
        if weight > 0 and share < cap - 1e-12
    ]
    if not under:
        assert all(share >= cap - 1e-12 for share in shares if share > 0)
        return
    share_per_weight = under[0][0] / under[0][1]
    for share, weight in under:
        assert is_close(share / weight, share_per_weight)


@quick
@given(weights=contact_weights, cap=caps)
def test_capped_shares_agree_with_a_single_water_level(weights, cap):
    expected = reference_capped_shares(weights, cap)

    for share, want in zip(capped_shares(weights, cap), expected, strict=True):
        assert is_close(share, want)


@quick
@given(
    answers=st.lists(
        st.tuples(st.floats(-10, 10), st.one_of(st.just(0.0), st.floats(0.01, 5))),
        min_size=1,
        max_size=8,
    ),
    cap=st.none() | caps,
    prior=st.none() | st.floats(-10, 10),
)
def test_the_stakeholder_value_lies_between_the_answers_and_the_prior(
    answers, cap, prior
):
    values = [value for value, _ in answers]
    raw = stakeholder_raw(
        values, [weight for _, weight in answers], max_share=cap, prior=prior
    )

    if all(weight == 0 for _, weight in answers):
        assert raw is None
        return
    bounds = values + ([prior] if prior is not None else [])
    assert min(bounds) - 1e-9 <= raw <= max(bounds) + 1e-9


@quick
@given(
    answers=st.lists(
        st.tuples(st.integers(1, 5), st.sampled_from([0, 1, 2, 3])),
        min_size=1,
        max_size=4,
    ),
    cap=st.none() | st.sampled_from([0.25, 0.4, 0.5]) | caps,
    prior=st.none() | st.integers(1, 5),
)
def test_the_stakeholder_roll_up_agrees_with_a_plain_reading(answers, cap, prior):
    values = [float(value) for value, _ in answers]
    weights = [float(weight) for _, weight in answers]

    raw = stakeholder_raw(values, weights, max_share=cap, prior=prior)

    assert_agrees(raw, reference_roll_up_answers(values, weights, cap, prior), "raw")


# -- explaining a change --------------------------------------------------------


def reweighed(items: list[dict], draw) -> list[dict]:
    changed = copy.deepcopy(items)
    for item in changed:
        item["weight"] = draw(weights)
        if "group" in item:
            item["criteria"] = reweighed(item["criteria"], draw)
    return changed


@quick
@given(
    spec=scorecard_specs(),
    received=signal_lists,
    roles=contact_roles,
    gap=st.integers(1, 60 * 24).map(lambda n: timedelta(hours=n)),
    same_recipe=st.booleans(),
    data=st.data(),
)
def test_explained_parts_add_up_to_the_change(
    spec, received, roles, gap, same_recipe, data
):
    earlier = build_scorecard(spec, version=1)
    later = earlier
    if not same_recipe:
        criteria = reweighed(spec["criteria"], data.draw)
        if len(criteria) > 1 and data.draw(st.booleans()):
            criteria.pop()  # a criterion dropped from the recipe
        changed = spec | {"criteria": criteria}
        later = build_scorecard(changed, version=2)
    history = histories_by_account(received).get("acme", History())

    explanation = explain_change(
        history=history,
        earlier=earlier,
        later=later,
        t0=AS_OF - gap,
        t1=AS_OF,
        roles=roles,
    )

    before, after = explanation.before.total, explanation.after.total
    if before is None or after is None:
        assert explanation.delta is None
        assert explanation.lines == ()
        return
    if same_recipe:
        assert explanation.scorecard_changed is None
    parts = sum(line.delta for line in explanation.lines)
    parts += explanation.scorecard_changed or 0.0
    assert is_close(parts, after - before)


# -- normalizing ----------------------------------------------------------------


def normalizer(normalize: dict):
    scorecard = build_scorecard(
        {
            "key": "health",
            "criteria": [
                {"key": "only", "metric": "m", "weight": 1, "normalize": normalize}
            ],
        }
    )
    return scorecard.criteria[0].normalize


@quick
@given(spec=linear_specs(), raws=st.lists(numbers, min_size=2, max_size=2))
def test_linear_rises_from_low_to_high(spec, raws):
    low, high = spec["linear"]
    score = normalizer(spec)
    smaller, larger = sorted(raws)

    assert score(low) == 0
    assert score(high) == 100
    if low < high:
        assert score(smaller) <= score(larger)
    else:
        assert score(smaller) >= score(larger)


@quick
@given(spec=points_specs())
def test_points_pass_through_every_point(spec):
    score = normalizer(spec)

    for x, y in spec["points"]:
        assert score(x) == y


# -- a second reading of the contract -------------------------------------------
#
# Written from SCORING.md alone: plain loops over the account's signals in the
# order they were received, datetimes throughout. Where the contract leaves a
# point open, the comment says which reading is taken.


def latest_of(seen: list[Signal]) -> Signal:
    newest = seen[0]
    for signal in seen:
        if signal.observed_at >= newest.observed_at:  # a tie goes to the later one
            newest = signal
    return newest


def latest_answers(seen: list[Signal]) -> list[Signal]:
    """One answer per contact; a signal without a contact is its own respondent."""
    by_contact: dict[str, list[Signal]] = {}
    anonymous = []
    for signal in seen:
        if signal.contact is None:
            anonymous.append(signal)
        else:
            by_contact.setdefault(signal.contact, []).append(signal)
    return [latest_of(answers) for answers in by_contact.values()] + anonymous


def reference_capped_shares(weights: list[float], cap: float | None) -> list[float]:
    """Water-filling as one water level: every share is min(cap, level * weight)."""
    total = sum(weights)
    if cap is None:
        return [weight / total for weight in weights]

    heaviest_first = sorted((w for w in weights if w > 0), reverse=True)
    if cap * len(heaviest_first) <= 1:
        return [cap if weight > 0 else 0.0 for weight in weights]
    for capped in range(len(heaviest_first)):
        level = (1 - cap * capped) / sum(heaviest_first[capped:])
        if heaviest_first[capped] * level <= cap:
            break
    return [min(cap, level * weight) for weight in weights]


def reference_stakeholder(options: dict, seen: list[Signal], roles: dict[str, str]):
    answers = latest_answers(seen)
    role_weights = options.get("role_weights", {})
    default = options.get("default_weight", 1)
    weights = []
    for answer in answers:
        role = roles.get(answer.contact) if answer.contact is not None else None
        weights.append(role_weights.get(role, default))
    values = [answer.value for answer in answers]
    return reference_roll_up_answers(
        values, weights, options.get("max_share"), options.get("prior")
    )


def reference_roll_up_answers(values, weights, cap, prior):
    if not values or sum(weights) == 0:
        return None  # shares of nobody's weight are undefined: the data is missing

    shares = reference_capped_shares(weights, cap)
    rolled = sum(share * value for share, value in zip(shares, values, strict=True))
    rest = 1 - sum(shares)
    if rest <= 1e-12:
        return rolled
    if prior is not None:
        return rolled + rest * prior
    return rolled / sum(shares)


def reference_aggregate(aggregate, seen: list[Signal], as_of, roles):
    """The raw value and the count min_count is held against."""
    values = [signal.value for signal in seen]
    if aggregate == "count":
        return float(len(values)), len(values)
    if aggregate == "nps":
        answers = [a.value for a in latest_answers(seen)]
        if not answers:
            return None, 0
        promoters = len([v for v in answers if v >= 9])
        detractors = len([v for v in answers if v <= 6])
        return 100 * (promoters - detractors) / len(answers), len(answers)
    if not values:
        return None, 0

    if aggregate == "latest":
        return latest_of(seen).value, len(values)
    if aggregate == "mean":
        return sum(values) / len(values), len(values)
    if aggregate in ("sum", "min", "max"):
        return {"sum": sum, "min": min, "max": max}[aggregate](values), len(values)
    if "decayed_mean" in aggregate:
        half_life = span(aggregate["decayed_mean"]["half_life"])
        ages = [as_of - signal.observed_at for signal in seen]
        # Weights relative to the youngest signal's: the factor cancels in the
        # mean, and old signals do not underflow to a weight of exactly zero.
        youngest = min(ages)
        decay = [0.5 ** ((age - youngest) / half_life) for age in ages]
        weighted = sum(w * v for w, v in zip(decay, values, strict=True))
        return weighted / sum(decay), len(values)
    options = aggregate["stakeholder"]
    return reference_stakeholder(options, seen, roles), len(values)


def reference_normalize(normalize: dict, raw: float) -> float:
    if "linear" in normalize:
        low, high = normalize["linear"]
        return min(100, max(0, (raw - low) / (high - low) * 100))

    points = normalize["points"]
    if raw <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x0 <= raw < x1:
            return y0 + (y1 - y0) * (raw - x0) / (x1 - x0)
    return points[-1][1]


def reference_criterion(spec: dict, received: list[Signal], as_of, roles) -> dict:
    seen = [
        s for s in received if s.metric == spec["metric"] and s.observed_at <= as_of
    ]
    inside = seen
    if "window" in spec:
        inside = [s for s in seen if s.observed_at > as_of - span(spec["window"])]

    raw, count = reference_aggregate(spec["aggregate"], inside, as_of, roles)
    # "count of zero signals is 0, not missing": count needs no signal unless asked.
    min_count = spec.get("min_count", 0 if spec["aggregate"] == "count" else 1)
    missing = raw is None or count < min_count

    # Read as the latest signal of the metric up to the as-of time, even one
    # that has left the window.
    stale = False
    if "stale_after" in spec and seen:
        newest = max(signal.observed_at for signal in seen)
        stale = as_of - newest > span(spec["stale_after"])

    rule = spec.get("missing", {})
    if not missing:
        score = reference_normalize(spec["normalize"], raw)
    elif "value" in rule:
        raw = rule["value"]
        score = reference_normalize(spec["normalize"], raw)
    elif "score" in rule:
        raw, score = None, rule["score"]
    else:
        raw, score = None, None
    return {"raw": raw, "score": score, "missing": missing, "stale": stale}


def reference_roll_up(items: list[dict], leaves: dict, groups: dict):
    """(score, coverage, each present leaf's share of this level)."""
    weighted = present_weight = covered = all_weight = 0
    present = []
    for item in items:
        if "group" in item:
            score, coverage, inner = reference_roll_up(item["criteria"], leaves, groups)
            groups[item["group"]] = {"score": score, "coverage": coverage}
        else:
            score = leaves[item["key"]]["score"]
            coverage = 1 if score is not None else 0
            inner = {item["key"]: 1}
        all_weight += item["weight"]
        covered += item["weight"] * coverage
        if score is not None:
            weighted += item["weight"] * score
            present_weight += item["weight"]
            present.append((item["weight"], inner))

    shares = {}
    for weight, inner in present:
        for key, share in inner.items():
            shares[key] = weight / present_weight * share
    score = weighted / present_weight if present_weight > 0 else None
    return score, covered / all_weight, shares


def all_criteria(items: list[dict]) -> list[dict]:
    found = []
    for item in items:
        found += all_criteria(item["criteria"]) if "group" in item else [item]
    return found


def reference_score(
    spec: dict, received: list[Signal], as_of, roles, *, account: str
) -> dict:
    mine = [signal for signal in received if signal.account == account]
    leaves = {
        c["key"]: reference_criterion(c, mine, as_of, roles)
        for c in all_criteria(spec["criteria"])
    }
    groups = {}
    top, coverage, shares = reference_roll_up(spec["criteria"], leaves, groups)

    scored = top is not None and coverage >= spec.get("min_coverage", 0)
    for key, leaf in leaves.items():
        share = shares.get(key) if scored else None
        leaf["contribution"] = share * leaf["score"] if share is not None else None
    total = top if scored else None
    grade = None
    if total is not None:
        fits = [g for g in spec.get("grades", []) if g["min"] <= total]
        grade = fits[0] if fits else None
    return {
        "status": Status.SCORED if scored else Status.INSUFFICIENT_DATA,
        "total": total,
        "grade": grade,
        "coverage": coverage,
        "criteria": leaves,
        "groups": groups,
    }


def assert_agrees(actual: float | None, expected: float | None, what: str) -> None:
    if expected is None or actual is None:
        assert actual == expected, what
    else:
        assert is_close(actual, expected, tolerance=1e-6), f"{what}: {actual}"


@st.composite
def moments_on_edges(draw, received):
    """AS_OF, and moments that put some signal exactly on the as-of time or on the
    edge of a common window or staleness limit."""
    moments = [AS_OF]
    if not received:
        return moments
    for signal in draw(st.lists(st.sampled_from(received), max_size=3)):
        spans = [timedelta(0), *map(span, COMMON_SPANS)]
        moments.append(signal.observed_at + draw(st.sampled_from(spans)))
    return moments


def assert_matches(result: AccountScore, expected: dict, grades: list[dict]) -> None:
    assert result.status is expected["status"]
    assert_agrees(result.total, expected["total"], "total")
    assert_agrees(result.coverage, expected["coverage"], "coverage")
    near_a_bound = result.total is not None and any(
        abs(result.total - grade["min"]) < 1e-6 for grade in grades
    )
    if not near_a_bound:
        expected_grade = expected["grade"]["name"] if expected["grade"] else None
        assert (result.grade.name if result.grade else None) == expected_grade

    for criterion in result.criteria:
        want = expected["criteria"][criterion.key]
        for field in ("raw", "score", "contribution"):
            what = f"{criterion.key}.{field}"
            assert_agrees(getattr(criterion, field), want[field], what)
        assert criterion.missing == want["missing"], f"{criterion.key}.missing"
        assert criterion.stale == want["stale"], f"{criterion.key}.stale"
    for group in result.groups:
        want = expected["groups"][group.key]
        assert_agrees(group.score, want["score"], f"{group.key}.score")
        assert_agrees(group.coverage, want["coverage"], f"{group.key}.coverage")


def assert_agrees_with_reference(spec, received, roles, moments) -> None:
    scorecard = build_scorecard(spec)
    histories = histories_by_account(received)

    for as_of, account in itertools.product(moments, ACCOUNTS):
        expected = reference_score(spec, received, as_of, roles, account=account)
        history = histories.get(account, History())
        result = score_account(scorecard, history, as_of=as_of, roles=roles)
        assert_matches(result, expected, spec.get("grades", []))


@thorough
@given(
    spec=scorecard_specs(), received=signal_lists, roles=contact_roles, data=st.data()
)
def test_scores_agree_with_a_plain_reading_of_the_contract(spec, received, roles, data):
    moments = data.draw(moments_on_edges(received))

    assert_agrees_with_reference(spec, received, roles, moments)


@thorough
@given(criterion=criterion_specs("only"), roles=contact_roles, data=st.data())
def test_a_busy_criterion_agrees_with_a_plain_reading_of_the_contract(
    criterion, roles, data
):
    one_metric = signals(account="acme", metric=criterion["metric"])
    received = data.draw(st.lists(st.lists(one_metric, max_size=8), max_size=6))
    received = [signal for batch in received for signal in batch]
    moments = data.draw(moments_on_edges(received))

    assert_agrees_with_reference(
        {"key": "health", "criteria": [criterion]}, received, roles, moments
    )
