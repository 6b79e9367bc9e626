"""Surveys and campaigns through the API, and each account's coverage."""

from datetime import timedelta

import pytest

from scorecards.accounts.service import upsert_contacts
from scorecards.feedback.campaigns import send_due
from scorecards.testing.loopback import mailbox

__all__ = ["mailbox"]

pytestmark = pytest.mark.django_db

PULSE = {
    "kind": "stakeholder",
    "title": "How are we doing?",
    "questions": [
        {"key": "overall", "text": "Overall, how well do we serve you?", "weight": 2},
        {"key": "support", "text": "How good is our support?"},
    ],
}


def put(caller, path, body):
    return caller.client.put(
        f"/api/v1{path}",
        body,
        content_type="application/json",
        headers=caller._headers(),
    )


def post(caller, path, body):
    return caller.client.post(
        f"/api/v1{path}",
        body,
        content_type="application/json",
        headers=caller._headers(),
    )


def test_a_survey_is_versioned_when_its_questions_change(integrator, cast):
    first = put(integrator, "/surveys/pulse", PULSE).json()
    same = put(integrator, "/surveys/pulse", PULSE).json()
    changed = put(
        integrator, "/surveys/pulse", {**PULSE, "questions": PULSE["questions"][:1]}
    ).json()

    assert (first["version"], same["version"], changed["version"]) == (1, 1, 2)
    assert [s["key"] for s in integrator.get("/surveys").json()] == ["pulse"]


def test_a_bad_survey_names_its_problem(integrator, cast):
    twice = {**PULSE, "questions": [PULSE["questions"][0]] * 2}

    response = put(integrator, "/surveys/pulse", twice)

    assert response.status_code == 422
    assert "each question needs its own key" in str(response.json())


def test_a_campaign_invites_the_chosen_roles_and_coverage_shows_it(
    integrator, cast, now, mailbox
):
    upsert_contacts(
        [
            {"account": "acme", "key": "ceo", "email": "ceo@acme.example"},
            {"account": "acme", "key": "ops", "email": "ops@acme.example"},
        ],
        now=now,
    )
    put(integrator, "/surveys/pulse", PULSE)

    made = post(
        integrator,
        "/campaigns",
        {
            "name": "Q2 pulse",
            "survey": "pulse",
            "segments": ["strategic"],
            "roles": ["executive_sponsor"],
            "closes_at": (now + timedelta(days=10)).isoformat(),
        },
    )

    assert made.status_code == 201, made.content
    assert made.json()["invited"] == 1
    send_due(now=now)
    campaign = integrator.get(f"/campaigns/{made.json()['id']}").json()
    assert (campaign["sent"], campaign["answered"]) == (1, 0)
    coverage = integrator.get("/accounts/acme/coverage").json()
    sponsor = next(r for r in coverage["roles"] if r["role"] == "executive_sponsor")
    assert (sponsor["contacts"], sponsor["asked"], sponsor["answered"]) == (1, 1, 0)
    assert coverage["no_executive_voice"] is True


def test_a_campaign_for_an_unknown_survey_or_closing_in_the_past_is_refused(
    integrator, cast, now
):
    put(integrator, "/surveys/pulse", PULSE)
    unknown = post(
        integrator,
        "/campaigns",
        {
            "name": "x",
            "survey": "nope",
            "closes_at": (now + timedelta(days=1)).isoformat(),
        },
    )
    past = post(
        integrator,
        "/campaigns",
        {
            "name": "x",
            "survey": "pulse",
            "closes_at": (now - timedelta(days=1)).isoformat(),
        },
    )

    assert unknown.json()["errors"][0]["field"] == "survey"
    assert past.json()["errors"][0]["field"] == "closes_at"


RUBRIC = {
    "kind": "qbr",
    "title": "Our quarterly review",
    "questions": [
        {"key": "goals", "text": "Progress on your goals", "weight": 2},
        {"key": "value", "text": "Value delivered", "weight": 2},
        {"key": "relationship", "text": "Our relationship"},
    ],
}


def test_a_qbr_recorded_by_the_csm_moves_the_qbr_score_and_can_ask_attendees(
    integrator, cast, now, mailbox
):
    upsert_contacts(
        [{"account": "acme", "key": "ceo", "email": "ceo@acme.example"}], now=now
    )
    put(integrator, "/surveys/qbr", RUBRIC)

    made = post(
        integrator,
        "/accounts/acme/qbrs",
        {
            "survey": "qbr",
            "held_at": now.isoformat(),
            "attendees": ["ceo"],
            "notes": "Renewal discussed.",
            "invite_attendees": True,
            "ratings": {"goals": 4, "value": 5, "relationship": 2},
        },
    )

    assert made.status_code == 201, made.content
    qbr = made.json()
    assert qbr["campaign"] is not None
    criteria = integrator.get("/accounts/acme").json()["criteria"]
    assert (
        next(c for c in criteria if c["key"] == "qbr")["raw"] == (2 * 4 + 2 * 5 + 2) / 5
    )
    assert integrator.get(f"/campaigns/{qbr['campaign']}").json()["invited"] == 1
    assert [q["id"] for q in integrator.get("/accounts/acme/qbrs").json()] == [
        qbr["id"]
    ]


def test_a_qbr_names_what_is_wrong_with_it(integrator, cast, now):
    put(integrator, "/surveys/qbr", RUBRIC)

    strangers = post(
        integrator,
        "/accounts/acme/qbrs",
        {
            "survey": "qbr",
            "held_at": now.isoformat(),
            "attendees": ["nobody"],
            "ratings": {"goals": 4, "value": 5, "relationship": 2},
        },
    )
    missing = post(
        integrator,
        "/accounts/acme/qbrs",
        {
            "survey": "qbr",
            "held_at": now.isoformat(),
            "ratings": {"goals": 4, "value": 9, "relationship": 2},
        },
    )

    assert strangers.json()["errors"][0] == {
        "index": None,
        "field": "attendees",
        "message": "not contacts of acme: nobody",
    }
    assert missing.json()["errors"][0]["field"] == "ratings.value"
