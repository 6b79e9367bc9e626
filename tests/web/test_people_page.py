"""People, for admins: add a user with a role and teams, change a role, make
someone a team's manager; nobody else may."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from scorecards.people.access import access_of
from scorecards.people.models import Role, Team
from scorecards.people.service import add_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    client = Client()
    user = add_person("admin-01", role="admin")
    client.force_login(user)
    client.user = user
    return client


def test_an_admin_adds_a_csm_to_a_team(admin):
    response = admin.post(
        "/settings/people/",
        {"username": "csm-07", "email": "csm-07@vendor.example", "role": "csm",
         "teams": "east, west", "password": ""},
    )  # fmt: skip

    assert response.status_code == 302
    user = User.objects.get(username="csm-07")
    assert access_of(user).role == Role.CSM
    assert sorted(team.name for team in user.teams.all()) == ["east", "west"]
    assert not user.has_usable_password()
    assert "csm-07" in admin.get("/settings/people/").content.decode()


def test_a_taken_name_or_a_weak_password_is_refused_by_field(admin):
    add_person("csm-07", role="csm")

    taken = admin.post("/settings/people/", {"username": "csm-07", "role": "csm"})
    weak = admin.post(
        "/settings/people/", {"username": "csm-08", "role": "csm", "password": "1234"}
    )

    assert taken.status_code == 400
    assert "is taken" in taken.content.decode()
    assert weak.status_code == 400
    assert not User.objects.filter(username="csm-08").exists()


def test_an_admin_makes_someone_a_manager_of_a_team(admin):
    lead = add_person("lead-01", role="viewer")

    admin.post(
        f"/settings/people/{lead.pk}",
        {"role": "manager", "teams": "", "manages": "east"},
    )

    assert access_of(lead).role == Role.MANAGER
    assert Team.objects.get(name="east").manager == lead


def test_an_admin_cannot_demote_themselves(admin):
    admin.post(f"/settings/people/{admin.user.pk}", {"role": "viewer"})

    assert access_of(admin.user).role == Role.ADMIN


@pytest.mark.parametrize("role", ["manager", "csm", "viewer"])
def test_only_admins_manage_people(role):
    client = Client()
    user = add_person("someone", role=role)
    client.force_login(user)

    assert client.get("/settings/people/").status_code == 403
    assert (
        client.post(f"/settings/people/{user.pk}", {"role": "admin"}).status_code == 403
    )
    assert access_of(user).role == Role(role)
