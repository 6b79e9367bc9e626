"""Scorecards published through the API as YAML or JSON, and read back by version."""

import json

import pytest
import yaml

from scorecards.scoring.models import ScorecardVersion

pytestmark = pytest.mark.usefixtures("cast")

ENTERPRISE = """\
# Enterprise accounts: usage only, for now.
key: enterprise
name: Enterprise accounts
applies_to: {segment: [enterprise]}
priority: 5
criteria:
  - key: usage
    metric: weekly_active_users
    weight: 1
    aggregate: latest
    normalize: {linear: [0, 200]}
"""

BROKEN = """\
key: default
name: Everyone
criteria:
  - key: nps
    metric: nps
    weight: -1
    aggregate: nps
    normalize: {linear: [1, 1]}
  - key: usage
    metric: weekly_active_users
    weight: 1
    aggregate: median
    window: 30x
    normalize: {linear: [0, 100]}
"""


@pytest.mark.django_db
def test_a_new_scorecard_is_published_as_version_one(integrator, now):
    response = integrator.put("/scorecards/enterprise", ENTERPRISE)

    assert response.status_code == 201
    version = response.json()
    assert version == {
        "key": "enterprise",
        "number": 1,
        "name": "Enterprise accounts",
        "current": True,
        "published_at": "2026-06-15T12:00:00Z",
        "published_by": "crm-sync",
        "format": "yaml",
        "source": ENTERPRISE,
        "definition": yaml.safe_load(ENTERPRISE),
    }
    assert integrator.get("/scorecards/enterprise").json() == version


@pytest.mark.django_db
def test_publishing_again_makes_the_next_version_current(integrator, signal):
    integrator.post("/signals", {"signals": [signal("acme", "qbr_score", 4)]})
    assert integrator.get("/accounts/acme").json()["score"] == pytest.approx(75)
    usage_only = STRATEGIC_USAGE_ONLY

    response = integrator.put("/scorecards/strategic", usage_only)

    assert response.status_code == 200
    assert response.json()["number"] == 2
    versions = integrator.get("/scorecards/strategic/versions").json()["versions"]
    assert [(v["number"], v["current"]) for v in versions] == [(1, False), (2, True)]
    assert integrator.get("/scorecards/strategic").json()["source"] == usage_only
    first = integrator.get("/scorecards/strategic/versions/1").json()
    assert first["published_by"] == "setup"
    assert first["current"] is False
    # Every account is scored again under the new version before the answer.
    acme = integrator.get("/accounts/acme").json()
    assert (acme["version"], acme["status"]) == (2, "insufficient_data")


STRATEGIC_USAGE_ONLY = """\
key: strategic
name: Strategic accounts
applies_to: {segment: [strategic]}
priority: 10
criteria:
  - key: usage
    metric: weekly_active_users
    weight: 1
    aggregate: latest
    normalize: {linear: [0, 100]}
"""


@pytest.mark.parametrize(
    "content_type", ["application/yaml", "text/yaml", "application/x-yaml"]
)
@pytest.mark.django_db
def test_yaml_is_taken_under_each_of_its_names(integrator, content_type):
    response = integrator.put("/scorecards/enterprise", ENTERPRISE, content_type)

    assert response.status_code == 201


@pytest.mark.django_db
def test_a_scorecard_may_come_as_json(integrator):
    text = json.dumps(yaml.safe_load(ENTERPRISE), indent=2)

    response = integrator.put("/scorecards/enterprise", text, "application/json")

    assert response.status_code == 201
    assert response.json()["format"] == "json"
    assert response.json()["source"] == text


@pytest.mark.django_db
def test_a_scorecard_with_problems_is_refused_with_every_one(integrator):
    response = integrator.put("/scorecards/default", BROKEN)

    assert response.status_code == 422
    assert response.json() == {
        "errors": [
            {"path": "criteria[0].weight", "message": "must be greater than 0, not -1"},
            {
                "path": "criteria[0].normalize.linear",
                "message": "needs two different numbers",
            },
            {
                "path": "criteria[1].aggregate",
                "message": "unknown aggregate 'median' (expected one of latest, "
                "mean, sum, min, max, count, nps, decayed_mean, stakeholder)",
            },
            {
                "path": "criteria[1].window",
                "message": "'30x' is not a duration like 90d, 12h or 2w",
            },
        ]
    }
    assert ScorecardVersion.objects.filter(scorecard__key="default").count() == 1


@pytest.mark.django_db
def test_the_key_in_the_file_must_be_the_key_in_the_url(integrator):
    response = integrator.put("/scorecards/enterprise", BROKEN)

    assert response.status_code == 422
    problems = response.json()["errors"]
    assert len(problems) == 5
    assert problems[-1] == {
        "path": "key",
        "message": "is 'default', but the URL says 'enterprise'",
    }
    assert not ScorecardVersion.objects.filter(scorecard__key="enterprise").exists()


@pytest.mark.parametrize(
    ("text", "content_type", "message"),
    [
        ("key: [a\n  b: c", "application/yaml", "line 2, column 4: expected ','"),
        ('{"key": 1,}', "application/json", "line 1, column 10: Illegal trailing"),
        ("# nothing yet\n", "application/yaml", "must be a mapping of names"),
    ],
)
@pytest.mark.django_db
def test_a_file_that_does_not_parse_says_where(integrator, text, content_type, message):
    response = integrator.put("/scorecards/enterprise", text, content_type)

    assert response.status_code == 422
    assert response.json()["errors"][0]["message"].startswith(message)


@pytest.mark.django_db
def test_a_body_of_another_type_is_a_415(integrator):
    response = integrator.put("/scorecards/enterprise", ENTERPRISE, "text/plain")

    assert response.status_code == 415
    assert response.json() == {
        "errors": [
            {"message": "send the scorecard as application/yaml or application/json"}
        ]
    }


@pytest.mark.django_db
def test_a_body_that_is_not_utf8_is_a_400(integrator):
    response = integrator.put("/scorecards/enterprise", ENTERPRISE.encode("utf-16"))

    assert response.status_code == 400


@pytest.mark.django_db
def test_the_scorecards_are_listed_by_their_current_versions(integrator):
    integrator.put("/scorecards/default", DEFAULT_RENAMED)

    listed = integrator.get("/scorecards").json()

    assert [(s["key"], s["number"], s["name"]) for s in listed] == [
        ("default", 2, "Everyone else"),
        ("strategic", 1, "Strategic accounts"),
    ]


DEFAULT_RENAMED = """\
key: default
name: Everyone else
criteria:
  - key: usage
    metric: weekly_active_users
    weight: 1
    aggregate: latest
    normalize: {linear: [0, 100]}
"""


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/scorecards/enterprise", "no scorecard 'enterprise'"),
        ("/scorecards/enterprise/versions", "no scorecard 'enterprise'"),
        ("/scorecards/default/versions/9", "no version 9 of scorecard 'default'"),
    ],
)
@pytest.mark.django_db
def test_an_unknown_scorecard_or_version_is_a_404(integrator, path, message):
    response = integrator.get(path)

    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": message}]}


SELF_REFERRING = """\
key: default
criteria: &all
  - {group: loop, weight: 1, criteria: *all}
"""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (SELF_REFERRING, "nested too deeply"),
        ("[" * 100_000, "nested too deeply"),
        (
            "key: default\ncriteria:\n  - {key: nps, metric: nps, weight: 1,"
            " window: 1000000d, normalize: {linear: [0, 10]}}\n",
            "longer than the longest window",
        ),
    ],
)
def test_a_scorecard_that_would_never_end_is_refused_not_crashed(
    integrator, scorecards, text, problem
):
    content_type = "application/json" if text.startswith("[") else "application/yaml"

    response = integrator.put("/scorecards/default", text, content_type)

    assert response.status_code == 422
    messages = " ".join(e["message"] for e in response.json()["errors"])
    assert problem in messages
