"""API tokens: shown once, stored as a hash, and the only way in."""

import logging
from datetime import timedelta

import pytest

from scorecards.accounts.models import Account
from scorecards.api.models import ApiToken
from scorecards.api.tokens import (
    TokenError,
    create_token,
    list_tokens,
    revoke_token,
    secret_hash,
)

# One route of every family, each called with a body good enough to be read.
ROUTES = [
    ("get", "/accounts"),
    ("get", "/accounts/acme"),
    ("post", "/accounts"),
    ("post", "/contacts"),
    ("post", "/signals"),
    ("get", "/scorecards"),
    ("get", "/scorecards/default"),
    ("put", "/scorecards/default"),
    ("get", "/scorecards/default/versions"),
    ("get", "/scorecards/default/versions/1"),
    ("get", "/accounts/acme/score"),
    ("get", "/accounts/acme/history"),
    ("get", "/accounts/acme/explain"),
]
OUTSIDERS = ["anonymous", "stranger", "outsider"]


@pytest.mark.django_db
def test_a_token_is_shown_once_and_stored_only_as_its_hash(now):
    _, secret = create_token(name="crm-sync", now=now)

    assert secret.startswith("sc_")
    assert len(secret) >= 40
    stored = ApiToken.objects.get(name="crm-sync")
    assert stored.secret_hash == secret_hash(secret)
    assert stored.prefix == secret[:11]
    assert stored.created_at == now
    columns = [str(value) for value in vars(stored).values()]
    assert not any(secret in value for value in columns)


@pytest.mark.django_db
def test_every_token_gets_its_own_secret(now):
    _, first = create_token(name="crm-sync", now=now)
    _, second = create_token(name="nps-webhook", now=now)

    assert first != second
    assert [t.name for t in list_tokens()] == ["crm-sync", "nps-webhook"]


@pytest.mark.parametrize("name", ["crm-sync", " crm-sync ", "", "  ", "x" * 101])
@pytest.mark.django_db
def test_a_token_needs_a_new_name_that_fits(now, name):
    create_token(name="crm-sync", now=now)

    with pytest.raises(TokenError):
        create_token(name=name, now=now)
    assert ApiToken.objects.count() == 1


@pytest.mark.django_db
def test_making_and_revoking_are_logged_without_the_secret(now, caplog):
    caplog.set_level(logging.INFO, logger="scorecards.api.tokens")

    _, secret = create_token(name="crm-sync", now=now)
    revoke_token(name="crm-sync", now=now)

    assert "api token crm-sync created" in caplog.text
    assert "api token crm-sync revoked" in caplog.text
    assert secret not in caplog.text


@pytest.mark.django_db
def test_revoking_twice_keeps_the_first_time_and_an_unknown_name_is_refused(now):
    create_token(name="crm-sync", now=now)
    revoke_token(name="crm-sync", now=now)

    again = revoke_token(name="crm-sync", now=now + timedelta(days=1))

    assert again.revoked_at == now
    with pytest.raises(TokenError, match="no token named 'nobody'"):
        revoke_token(name="nobody", now=now)


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.usefixtures("cast")
@pytest.mark.django_db
def test_an_outsider_is_turned_away_from_every_route(request, who, method, path):
    caller = request.getfixturevalue(who)

    response = caller.send(method, path)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json() == {
        "errors": [
            {"message": "a valid API token is required: Authorization: Bearer <token>"}
        ]
    }


@pytest.mark.parametrize(
    "header", ["Token {secret}", "Basic {secret}", "{secret}", "Bearer", "Bearer  "]
)
@pytest.mark.usefixtures("cast")
@pytest.mark.django_db
def test_only_a_bearer_header_is_read(client, integrator, header):
    value = header.format(secret=integrator.secret)

    response = client.get("/api/v1/accounts", headers={"Authorization": value})

    assert response.status_code == 401


@pytest.mark.usefixtures("cast")
@pytest.mark.django_db
def test_an_outsiders_batch_changes_nothing(outsider):
    response = outsider.post("/accounts", {"accounts": [{"key": "umbrella"}]})

    assert response.status_code == 401
    assert not Account.objects.filter(key="umbrella").exists()


@pytest.mark.usefixtures("cast")
@pytest.mark.django_db
def test_a_revoked_token_stops_working_at_once(integrator, now):
    assert integrator.get("/accounts").status_code == 200

    revoke_token(name="crm-sync", now=now)

    assert integrator.get("/accounts").status_code == 401


@pytest.mark.usefixtures("cast")
@pytest.mark.django_db
def test_the_last_use_is_kept_to_the_minute(integrator, now, time_machine):
    integrator.get("/accounts")
    assert ApiToken.objects.get(name="crm-sync").last_used_at == now

    time_machine.move_to(now + timedelta(seconds=30), tick=False)
    integrator.get("/accounts")
    assert ApiToken.objects.get(name="crm-sync").last_used_at == now

    later = now + timedelta(minutes=2)
    time_machine.move_to(later, tick=False)
    integrator.get("/accounts")
    assert ApiToken.objects.get(name="crm-sync").last_used_at == later


def test_the_documentation_is_open_to_read(client):
    schema = client.get("/api/v1/openapi.json")

    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Scorecards"
    assert "/api/v1/signals" in schema.json()["paths"]
    assert schema.json()["components"]["securitySchemes"]["BearerToken"] == {
        "type": "http",
        "scheme": "bearer",
    }
    assert client.get("/api/v1/docs").status_code == 200
