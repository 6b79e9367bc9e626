"""Who may change an account: the server decides, whatever the page shows.

The cast: acme looked after by csm-01, globex by csm-02; csm-01 is in the
team "east" that manager-01 manages; viewer-01 only reads; admin-01 may do
anything.
"""

import pytest
from django.test import Client
from django.utils import timezone

from scorecards.accounts.models import Contact
from scorecards.accounts.service import upsert_accounts
from scorecards.people.access import access_of
from scorecards.people.models import Role, Team
from scorecards.people.service import add_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    upsert_accounts(
        [
            {"key": "acme", "csm": "csm-01"},
            {"key": "globex", "csm": "CSM-02@vendor.example"},
        ],
        now=timezone.now(),
    )
    found = {
        "admin-01": add_person("admin-01", role="admin"),
        "manager-01": add_person("manager-01", role="manager"),
        "csm-01": add_person("csm-01", role="csm", teams=["east"]),
        "csm-02": add_person("csm-02", role="csm", email="csm-02@vendor.example"),
        "viewer-01": add_person("viewer-01", role="viewer"),
    }
    Team.objects.filter(name="east").update(manager=found["manager-01"])
    return found


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def add_contact(user, account):
    return client_for(user).post(
        f"/accounts/{account}/contacts", {"key": f"from-{user.username}"}
    )


@pytest.mark.parametrize(
    ("who", "acme", "globex"),
    [
        ("admin-01", 302, 302),
        ("manager-01", 302, 403),  # only the accounts of the team they manage
        ("csm-01", 302, 403),  # only their own
        ("csm-02", 403, 302),  # named by email, in another case
        ("viewer-01", 403, 403),
    ],
)
def test_each_role_changes_only_what_it_may(people, who, acme, globex):
    assert add_contact(people[who], "acme").status_code == acme
    assert add_contact(people[who], "globex").status_code == globex

    written = set(Contact.objects.values_list("account__key", "key"))
    expected = {
        (account, f"from-{who}")
        for account, status in (("acme", acme), ("globex", globex))
        if status == 302
    }
    assert written == expected


def test_the_page_offers_forms_only_to_those_who_may_use_them(people):
    owner = client_for(people["csm-01"]).get("/accounts/acme/").content.decode()
    other = client_for(people["csm-02"]).get("/accounts/acme/").content.decode()

    assert "Add a contact" in owner
    assert "Add a contact" not in other


def test_only_admins_reach_the_admin_pages(people):
    for who in ("manager-01", "csm-01", "viewer-01"):
        assert client_for(people[who]).get("/imports/").status_code == 403
    assert client_for(people["admin-01"]).get("/imports/").status_code == 200


def test_a_superuser_is_an_admin_and_a_user_without_a_role_a_viewer(
    django_user_model,
):
    root = django_user_model.objects.create_superuser("root", "", "x")
    plain = django_user_model.objects.create_user("plain")

    assert access_of(root).role == Role.ADMIN
    assert access_of(plain).role == Role.VIEWER
    assert not access_of(plain).may_change_anything
