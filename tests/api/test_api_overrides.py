"""Overrides through the API: set, shown on the account, listed, ended."""

import pytest

pytestmark = pytest.mark.django_db


def post(caller, path, body):
    return caller.client.post(
        f"/api/v1{path}",
        body,
        content_type="application/json",
        headers=caller._headers(),
    )


def test_an_override_is_set_shown_listed_and_ended(integrator, cast, signal):
    integrator.post("/signals", {"signals": [signal("globex", "nps", 9)]})

    made = post(
        integrator,
        "/accounts/globex/overrides",
        {"score": 20, "reason": "Churn notice received"},
    )

    assert made.status_code == 201, made.content
    override = made.json()
    assert (override["criterion"], override["score"], override["active"]) == (
        None,
        20.0,
        True,
    )
    assert override["set_by"] == "token crm-sync"
    account = integrator.get("/accounts/globex").json()
    assert (account["score"], account["overridden"]) == (20.0, True)

    listed = integrator.get("/accounts/globex/overrides").json()
    assert [o["id"] for o in listed] == [override["id"]]
    ended = integrator.client.delete(
        f"/api/v1/accounts/globex/overrides/{override['id']}",
        headers=integrator._headers(),
    )
    assert ended.json()["ended_reason"] == "ended"
    assert integrator.get("/accounts/globex").json()["overridden"] is False


def test_a_criterion_override_is_flagged_on_the_criterion(integrator, cast, signal):
    integrator.post("/signals", {"signals": [signal("globex", "nps", 9)]})

    post(
        integrator,
        "/accounts/globex/overrides",
        {"criterion": "usage", "score": 80, "reason": "Export broken"},
    )

    criteria = integrator.get("/accounts/globex").json()["criteria"]
    usage = next(c for c in criteria if c["key"] == "usage")
    assert (usage["score"], usage["overridden"]) == (80.0, True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"score": 20}, "reason"),
        ({"score": 120, "reason": "x"}, "score"),
        ({"criterion": "nope", "score": 20, "reason": "x"}, "criterion"),
        (
            {"score": 20, "reason": "x", "expires_at": "2020-01-01T00:00:00Z"},
            "expires_at",
        ),
    ],
)
def test_a_bad_override_is_refused_naming_the_field(
    integrator, cast, signal, body, field
):
    integrator.post("/signals", {"signals": [signal("globex", "nps", 9)]})

    response = post(integrator, "/accounts/globex/overrides", body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
