"""Publishing scorecards: numbered versions, refused files, accounts re-scored."""

from datetime import timedelta

import pytest
import yaml

from scorecards import engine
from scorecards.ingest.service import ingest_signals
from scorecards.scoring import publish as publish_module
from scorecards.scoring.models import (
    AccountScore,
    PointKind,
    Scorecard,
    ScorecardVersion,
    ScorePoint,
)
from scorecards.scoring.publish import publish
from scorecards.scoring.scorecards import versions_at

pytestmark = pytest.mark.django_db


def scored_under(account) -> tuple[str, int, float | None]:
    score = AccountScore.objects.select_related("version__scorecard").get(
        account=account
    )
    return score.version.scorecard.key, score.version.number, score.total


def in_force(moment) -> list[tuple[str, int]]:
    return sorted((v.scorecard.key, v.number) for v in versions_at(moment))


@pytest.fixture
def usual_data(cast, signal, clock):
    """acme and globex each with a QBR rating of 4 and 40 weekly active users."""
    ingest_signals(
        [
            signal(account, metric, value, days_ago=1)
            for account in ("acme", "globex")
            for metric, value in (("qbr_score", 4), ("weekly_active_users", 40))
        ],
        now=clock.now,
    )


def test_publishing_a_key_again_makes_the_next_version_current(
    cast, clock, scorecard_file
):
    second = publish(
        source=scorecard_file("default", qbr_weight=2),
        format="yaml",
        author="an operator",
        now=clock.now,
    )
    clock.days_later(1)
    as_json = scorecard_file("default", qbr_weight=3, format="json")
    third = publish(source=as_json, format="json", author="ops-2", now=clock.now)

    versions = ScorecardVersion.objects.filter(scorecard__key="default")
    assert list(versions.values_list("number", "published_by")) == [
        (1, "setup"),
        (2, "an operator"),
        (3, "ops-2"),
    ]
    assert Scorecard.objects.get(key="default").current == third
    assert (third.source, third.format, third.published_at) == (
        as_json,
        "json",
        clock.now,
    )
    assert second.definition["criteria"][0]["weight"] == 2


def test_a_bad_file_stores_nothing_and_names_every_problem(
    usual_data, clock, scorecard_file
):
    data = yaml.safe_load(scorecard_file("default", grades="green"))
    data["criteria"][0]["normalize"] = {"linear": [3, 3]}
    data["criteria"][1]["weight"] = -1
    scores = list(AccountScore.objects.values_list("account", "version", "total"))
    points = ScorePoint.objects.count()

    with pytest.raises(engine.ScorecardError) as refused:
        publish(
            source=yaml.safe_dump(data),
            format="yaml",
            author="an operator",
            now=clock.now,
        )

    paths = {problem.path for problem in refused.value.problems}
    assert {"criteria[0].normalize.linear", "criteria[1].weight", "grades"} <= paths
    assert ScorecardVersion.objects.filter(scorecard__key="default").count() == 1
    assert Scorecard.objects.get(key="default").current.number == 1
    assert list(AccountScore.objects.values_list("account", "version", "total")) == (
        scores
    )
    assert ScorePoint.objects.count() == points


def test_a_file_that_is_not_yaml_stores_nothing(cast, clock):
    with pytest.raises(engine.ScorecardError):
        publish(
            source="key: [broken", format="yaml", author="an operator", now=clock.now
        )

    assert ScorecardVersion.objects.count() == 2


def test_a_new_version_rescores_the_accounts_it_applies_to(usual_data, cast, republish):
    acme_points = ScorePoint.objects.filter(account=cast.acme).count()

    republish("default", qbr_weight=3)

    # (3·75 + 40) / 4 under the new default; acme's strategic score is untouched.
    assert scored_under(cast.globex) == ("default", 2, pytest.approx(66.25))
    assert scored_under(cast.acme) == ("strategic", 1, pytest.approx(190 / 3))
    change = ScorePoint.objects.filter(account=cast.globex, kind=PointKind.CHANGE)
    assert change.order_by("at", "pk").last().total == pytest.approx(66.25)
    assert ScorePoint.objects.filter(account=cast.acme).count() == acme_points


def test_lowering_a_priority_hands_accounts_to_another_scorecard(
    usual_data, cast, republish
):
    republish("strategic", priority=-1)

    assert scored_under(cast.acme) == ("default", 1, 57.5)


def test_widening_applies_to_takes_accounts_over(usual_data, cast, republish):
    republish("strategic", applies_to={"segment": ["strategic", "smb"]})

    assert scored_under(cast.globex) == ("strategic", 2, pytest.approx(190 / 3))
    assert scored_under(cast.initech)[:2] == ("strategic", 2)


def test_versions_at_picks_the_version_in_force_at_a_moment(cast, clock, republish):
    republish("default", qbr_weight=3)
    published = clock.now

    assert in_force(clock.start) == [("default", 1), ("strategic", 1)]
    just_before = published - timedelta(microseconds=1)
    assert in_force(just_before) == [("default", 1), ("strategic", 1)]
    assert in_force(published) == [("default", 2), ("strategic", 1)]
    later = published + timedelta(days=30)
    assert in_force(later) == [("default", 2), ("strategic", 1)]


def test_a_version_published_after_a_failed_publish_scores_its_own_recipe(
    usual_data, cast, republish, monkeypatch
):
    """A publish that fails while re-scoring is rolled back whole; the next one
    must not be scored with the recipe that was rolled back."""
    rescore = publish_module.rescore

    def rescore_then_fail(accounts, *, now):
        rescore(accounts, now=now)
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr(publish_module, "rescore", rescore_then_fail)
        with pytest.raises(RuntimeError):
            republish("default", qbr_weight=3)

    republish("default", qbr_weight=0.5)

    # Under the version that stands, qbr weighs 0.5: (0.5·75 + 40) / 1.5.
    assert scored_under(cast.globex) == ("default", 2, pytest.approx(155 / 3))
