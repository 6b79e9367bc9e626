"""`scorecards token`: an operator makes, lists and revokes the API's tokens."""

import hashlib
from collections.abc import Callable

import pytest
from service_helpers import Run

from scorecards.api.models import ApiToken
from scorecards.api.tokens import active_token

pytestmark = pytest.mark.django_db

Scorecards = Callable[..., Run]


def created_secret(scorecards: Scorecards, name: str) -> str:
    run = scorecards("token", "create", "--name", name)
    assert run.status == 0, run.stderr
    return run.stdout.strip()


def test_create_prints_the_secret_once_and_says_it_will_not_be_shown_again(
    scorecards: Scorecards,
) -> None:
    run = scorecards("token", "create", "--name", "zapier")

    assert run.status == 0
    [secret] = run.stdout.split()
    assert secret.startswith("sc_")
    assert "it will not be shown again" in run.stderr
    assert secret not in run.stderr


def test_only_the_hash_of_the_secret_is_stored(scorecards: Scorecards) -> None:
    secret = created_secret(scorecards, "zapier")

    token = ApiToken.objects.get(name="zapier")
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert not any(secret in value for value in stored)


def test_a_created_token_opens_the_api(scorecards: Scorecards) -> None:
    secret = created_secret(scorecards, "zapier")

    token = active_token(secret, now=ApiToken.objects.get().created_at)

    assert token is not None
    assert token.name == "zapier"


def test_list_shows_names_and_prefixes_never_secrets(scorecards: Scorecards) -> None:
    zapier = created_secret(scorecards, "zapier")
    warehouse = created_secret(scorecards, "warehouse sync")

    run = scorecards("token", "list")

    assert run.status == 0
    header, *rows = run.stdout.splitlines()
    assert header.startswith("NAME")
    assert header.split()[-4:] == ["CREATED", "LAST", "USED", "REVOKED"]
    [zapier_row] = [row for row in rows if row.startswith("zapier ")]
    [warehouse_row] = [row for row in rows if row.startswith("warehouse sync ")]
    assert f"{zapier[:11]}..." in zapier_row
    assert f"{warehouse[:11]}..." in warehouse_row
    assert zapier not in run.stdout
    assert warehouse not in run.stdout


def test_list_says_how_to_make_the_first_token(scorecards: Scorecards) -> None:
    run = scorecards("token", "list")

    assert run.status == 0
    assert "No API tokens" in run.stdout
    assert "scorecards token create --name NAME" in run.stdout


def test_revoke_shuts_the_token_out_and_the_list_shows_when(
    scorecards: Scorecards,
) -> None:
    secret = created_secret(scorecards, "zapier")

    run = scorecards("token", "revoke", "zapier")

    assert run.status == 0
    assert "Revoked the API token 'zapier' (2026-12-01 09:30 UTC)" in run.stdout
    assert active_token(secret, now=ApiToken.objects.get().created_at) is None
    listing = scorecards("token", "list").stdout.splitlines()
    assert listing[1].endswith("2026-12-01 09:30 UTC")


def test_revoking_an_unknown_token_fails_and_says_so(scorecards: Scorecards) -> None:
    created_secret(scorecards, "zapier")

    run = scorecards("token", "revoke", "zappier")

    assert run.status == 1
    assert "no token named 'zappier'" in run.stderr
    assert ApiToken.objects.get().revoked_at is None


def test_a_second_token_of_the_same_name_is_refused(scorecards: Scorecards) -> None:
    created_secret(scorecards, "zapier")

    run = scorecards("token", "create", "--name", "zapier")

    assert run.status == 1
    assert run.stdout == ""
    assert "already exists" in run.stderr
    assert ApiToken.objects.count() == 1


def test_tokens_made_and_revoked_at_the_command_line_are_audited(
    scorecards: Scorecards,
) -> None:
    from scorecards.audit.models import AuditEntry

    created_secret(scorecards, "zapier")
    assert scorecards("token", "revoke", "zapier").status == 0

    entries = AuditEntry.objects.filter(target="token:zapier").order_by("id")
    assert [(e.action, e.actor_kind) for e in entries] == [
        ("token.created", "command"),
        ("token.revoked", "command"),
    ]
    assert "secret" not in str(entries[0].after)
