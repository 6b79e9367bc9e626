"""Export and erasure through the API: a token may do both; nobody else may."""

import json
from typing import Any

import pytest
from django.test import Client
from privacy_helpers import KIM, NOW, ROBIN, Book

from scorecards.accounts.models import Account, Contact
from scorecards.api.tokens import create_token
from scorecards.audit.models import AuditEntry


@pytest.fixture
def api(book: Book, client: Client) -> Any:
    _, secret = create_token(name="dpo-scripts", now=NOW)

    def call(method: str, path: str, body: Any = None, *, token: bool = True) -> Any:
        headers = {"Authorization": f"Bearer {secret}"} if token else {}
        data = json.dumps(body) if body is not None else ""
        return client.generic(
            method, f"/api/v1{path}", data, "application/json", headers=headers
        )

    return call


def content(response: Any) -> Any:
    return json.loads(b"".join(response.streaming_content))


def test_a_contact_is_exported_by_account_and_key(api: Any) -> None:
    response = api("POST", "/contacts/export", {"account": "acme", "key": KIM})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="contact-')
    assert response["Cache-Control"] == "no-store"
    assert content(response)["contact"]["email"] == KIM
    entry = AuditEntry.objects.get(action="contact.exported")
    assert (entry.actor_kind, entry.actor) == ("token", "dpo-scripts")


def test_an_account_is_exported_with_every_contact(api: Any) -> None:
    response = api("GET", "/accounts/acme/export")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="account-acme.json"'
    assert len(content(response)["contacts"]) == 3


def test_a_contact_is_erased_and_the_counts_come_back(api: Any, book: Book) -> None:
    response = api("POST", "/contacts/erase", {"account": "acme", "key": "ceo"})

    assert response.status_code == 200
    answer = response.json()
    assert answer["erased"] == f"contact:{book.robin.pk}"
    assert answer["mode"] == "anonymise"
    assert answer["removed"]["comments"] == 1
    assert Contact.objects.get(pk=book.robin.pk).email == ""
    entry = AuditEntry.objects.get(action="contact.erased")
    assert entry.actor == "dpo-scripts"
    assert ROBIN not in json.dumps(entry.detail)


def test_the_setting_chooses_what_becomes_of_the_answers(
    api: Any, book: Book, settings: Any
) -> None:
    settings.ERASURE_ANSWERS = "delete"

    response = api("POST", "/contacts/erase", {"account": "acme", "key": "ceo"})

    assert response.json()["mode"] == "delete"
    assert not Contact.objects.filter(pk=book.robin.pk).exists()


def test_an_account_is_erased(api: Any) -> None:
    response = api("POST", "/accounts/acme/erase")

    assert response.status_code == 200
    assert response.json()["erased"] == "account:acme"
    assert response.json()["removed"]["contacts"] == 3
    assert not Account.objects.filter(key="acme").exists()


def test_an_unknown_contact_or_account_is_a_404_that_echoes_no_key(
    api: Any,
) -> None:
    missing = api("POST", "/contacts/erase", {"account": "acme", "key": "nobody@x.io"})
    no_account = api("POST", "/accounts/umbrella/erase")

    assert missing.status_code == 404
    assert "nobody@x.io" not in missing.content.decode()
    assert no_account.status_code == 404


def test_a_contact_is_named_in_full_or_refused(api: Any) -> None:
    response = api("POST", "/contacts/export", {"account": "acme"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "key"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/contacts/export", {"account": "acme", "key": "ceo"}),
        ("POST", "/contacts/erase", {"account": "acme", "key": "ceo"}),
        ("GET", "/accounts/acme/export", None),
        ("POST", "/accounts/acme/erase", None),
    ],
)
def test_without_a_token_nothing_is_exported_or_erased(
    api: Any, method: str, path: str, body: Any
) -> None:
    response = api(method, path, body, token=False)

    assert response.status_code == 401
    assert Contact.objects.filter(key="ceo", email=ROBIN).exists()
    actions = ["contact.exported", "contact.erased", "account.exported"]
    assert not AuditEntry.objects.filter(action__in=actions).exists()
