"""`scorecards backfill`: daily points for a range, or a comparison as CSV."""

import pytest

from scorecards.scoring.models import PointKind, ScorePoint

pytestmark = pytest.mark.django_db

HEAVIER = """\
key: default
grades:
  - {name: healthy, min: 70}
  - {name: at_risk, min: 0}
criteria:
  - {key: nps, metric: nps, weight: 1, aggregate: latest,
     normalize: {linear: [0, 20]}}
"""


def test_it_stores_the_points_of_the_range(cast, scorecards):
    run = scorecards("backfill", "--from", "2026-11-28", "--to", "2026-11-30")

    assert run.status == 0, run.stderr
    assert "Stored 9 daily points: 3 accounts × 3 days" in run.stdout
    points = ScorePoint.objects.filter(kind=PointKind.DAILY)
    totals = dict(
        points.filter(at__date="2026-11-30").values_list("account__key", "total")
    )
    assert totals == {"acme": 90.0, "globex": 30.0, "initech": None}


def test_under_another_scorecard_it_prints_csv_and_stores_nothing(
    cast, scorecards, tmp_path
):
    card = tmp_path / "default.yaml"
    card.write_text(HEAVIER)

    run = scorecards(
        "backfill",
        "--from",
        "2026-11-29",
        "--to",
        "2026-11-30",
        "--scorecard",
        str(card),
    )

    assert run.status == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "account,day,score,grade,status"
    assert "acme,2026-11-30,45.0,at_risk,scored" in lines
    assert "initech,2026-11-30,,,insufficient_data" in lines
    assert not ScorePoint.objects.filter(kind=PointKind.DAILY).exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2026-11-30", "--to", "2026-11-29"], "--to: must not be before"),
        (["--from", "2026-11-29", "--to", "2026-12-01"], "has not ended yet"),
        (["--from", "yesterday", "--to", "2026-11-29"], "--from: 'yesterday' is not"),
        (
            ["--from", "2026-11-29", "--to", "2026-11-29", "--output", "x.csv"],
            "--output: only with --scorecard",
        ),
    ],
)
def test_bad_options_are_named(cast, scorecards, argv, message):
    run = scorecards("backfill", *argv)

    assert run.status == 2
    assert message in run.stderr
