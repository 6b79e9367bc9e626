"""The personal data pages: admins download and erase, after typing the key;
everyone else gets 403, whatever they try."""

import json
from typing import Any

import pytest
from django.test import Client
from privacy_helpers import ROBIN, Book

from scorecards.accounts.models import Account, Contact
from scorecards.audit.models import AuditEntry
from scorecards.people.service import add_person


def signed_in(username: str, role: str, **options: Any) -> Client:
    client = Client(**options)
    client.force_login(add_person(username, role=role))
    return client


@pytest.fixture
def admin(book: Book) -> Client:
    return signed_in("admin-01", "admin")


def pages(book: Book) -> list[str]:
    base = "/accounts/acme/personal-data/"
    return [
        base,
        base + "export.json",
        base + "erase",
        f"{base}contacts/{book.robin.pk}.json",
        f"{base}contacts/{book.robin.pk}/erase",
    ]


def test_the_account_page_leads_admins_to_its_personal_data(admin: Client) -> None:
    page = admin.get("/accounts/acme/").content.decode()

    assert 'href="/accounts/acme/personal-data/"' in page


def test_an_admin_sees_each_contact_with_a_download_and_an_erase(
    admin: Client, book: Book
) -> None:
    page = admin.get("/accounts/acme/personal-data/").content.decode()

    assert ROBIN in page
    assert f'href="/accounts/acme/personal-data/contacts/{book.robin.pk}.json"' in page
    assert f"/accounts/acme/personal-data/contacts/{book.robin.pk}/erase" in page
    assert "SCORECARDS_ERASURE_ANSWERS=anonymise" in page


def test_an_admin_downloads_a_contact_and_the_account(
    admin: Client, book: Book
) -> None:
    contact = admin.get(f"/accounts/acme/personal-data/contacts/{book.robin.pk}.json")
    account = admin.get("/accounts/acme/personal-data/export.json")

    assert contact["Content-Disposition"].startswith("attachment;")
    assert json.loads(b"".join(contact.streaming_content))["contact"]["email"] == ROBIN
    assert len(json.loads(b"".join(account.streaming_content))["contacts"]) == 3
    entries = AuditEntry.objects.filter(action__endswith=".exported")
    assert set(entries.values_list("actor", flat=True)) == {"admin-01"}


def test_a_contact_of_another_account_is_not_found_under_this_one(
    admin: Client, book: Book
) -> None:
    url = f"/accounts/acme/personal-data/contacts/{book.pat.pk}/erase"

    assert admin.get(url).status_code == 404
    assert admin.post(url, {"confirm": "buyer"}).status_code == 404
    assert Contact.objects.get(pk=book.pat.pk).name == "Pat Moss"


def test_erasing_a_contact_asks_for_its_key_first(admin: Client, book: Book) -> None:
    url = f"/accounts/acme/personal-data/contacts/{book.robin.pk}/erase"

    form = admin.get(url).content.decode()
    wrong = admin.post(url, {"confirm": "ops"})

    assert "Type ceo exactly." in form
    assert "cannot be undone" in form
    assert wrong.status_code == 200
    assert "is not the key; nothing was erased" in wrong.content.decode()
    assert Contact.objects.get(pk=book.robin.pk).email == ROBIN


def test_a_contact_is_erased_once_its_key_is_typed(admin: Client, book: Book) -> None:
    url = f"/accounts/acme/personal-data/contacts/{book.robin.pk}/erase"

    response = admin.post(url, {"confirm": "ceo"}, follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/acme/personal-data/"
    assert f"Contact erased (contact:{book.robin.pk})" in response.content.decode()
    assert Contact.objects.get(pk=book.robin.pk).key == f"erased-{book.robin.pk}"
    assert AuditEntry.objects.get(action="contact.erased").actor == "admin-01"


def test_an_account_is_erased_once_its_key_is_typed(admin: Client) -> None:
    wrong = admin.post("/accounts/acme/personal-data/erase", {"confirm": "acm"})
    assert wrong.status_code == 200
    assert Account.objects.filter(key="acme").exists()

    response = admin.post("/accounts/acme/personal-data/erase", {"confirm": "acme"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not Account.objects.filter(key="acme").exists()
    assert AuditEntry.objects.get(action="account.erased").actor == "admin-01"


def test_an_erasure_needs_the_forms_csrf_token(book: Book) -> None:
    client = signed_in("admin-02", "admin", enforce_csrf_checks=True)

    response = client.post("/accounts/acme/personal-data/erase", {"confirm": "acme"})

    assert response.status_code == 403
    assert Account.objects.filter(key="acme").exists()


@pytest.mark.parametrize("role", ["manager", "csm", "viewer"])
def test_only_admins_reach_personal_data(book: Book, role: str) -> None:
    client = signed_in("someone", role)

    for url in pages(book):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"confirm": "acme"}).status_code == 403, url
    assert Contact.objects.get(pk=book.robin.pk).email == ROBIN
    assert not AuditEntry.objects.filter(action__contains="xport").exists()
    page = client.get("/accounts/acme/").content.decode()
    assert "personal-data" not in page


def test_signed_out_visitors_are_sent_to_sign_in(book: Book) -> None:
    for url in pages(book):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
