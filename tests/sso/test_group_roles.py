"""The identity provider's groups, mapped to a role and teams; and the sign-in
page, which offers single sign-on only when it is configured."""

from types import SimpleNamespace

import pytest
from django.test import Client

from scorecards.audit.models import AuditEntry
from scorecards.config.sso import ROLES, SingleSignOn, socialaccount_providers
from scorecards.people.models import Role
from scorecards.people.service import add_person
from scorecards.people.sso import (
    apply_groups,
    groups_in,
    role_for_groups,
    teams_for_groups,
)

ROLE_MAP = {"cs-admins": "admin", "cs-managers": "manager", "cs-team": "csm"}


def role(*groups: str, default_role: str | None = "viewer") -> Role | None:
    return role_for_groups(groups, role_map=ROLE_MAP, default_role=default_role)


def test_a_group_gives_its_role():
    assert role("cs-team") == Role.CSM
    assert role("cs-managers") == Role.MANAGER


def test_the_most_powerful_of_several_roles_wins():
    assert role("cs-team", "everyone", "cs-admins") == Role.ADMIN
    assert role("cs-team", "cs-managers") == Role.MANAGER


def test_no_mapped_group_gives_the_default_or_nothing():
    assert role("marketing") == Role.VIEWER
    assert role() == Role.VIEWER
    assert role("marketing", default_role="csm") == Role.CSM
    assert role("marketing", default_role=None) is None


def test_group_names_match_exactly():
    assert role("CS-Admins", "cs-admins-emea") == Role.VIEWER


def test_groups_with_the_prefix_name_teams():
    groups = ["team-east", "team-west", "cs-team", "team-", "team-east"]

    assert teams_for_groups(groups, prefix="team-") == ["east", "west"]
    assert teams_for_groups(groups, prefix="") == []


def test_the_claim_may_be_a_list_a_single_name_or_missing():
    assert groups_in({"groups": ["a", "b"]}, "groups") == ["a", "b"]
    assert groups_in({"roles": "a"}, "roles") == ["a"]
    assert groups_in({}, "groups") == []
    assert groups_in({"groups": {"a": 1}}, "groups") == []


def test_the_settings_know_every_role_most_powerful_first():
    assert ROLES == ("admin", "manager", "csm", "viewer")
    assert set(ROLES) == {role.value for role in Role}


def test_without_sso_the_sign_in_page_has_no_button(settings):
    settings.SINGLE_SIGN_ON = None

    page = Client().get("/login/").content.decode()

    assert "Sign in with" not in page
    assert 'name="password"' in page


@pytest.mark.django_db
def test_with_sso_the_sign_in_page_offers_it_as_a_form(settings):
    sso = SingleSignOn(
        issuer="https://login.acme.example", client_id="c", secret="s", name="Acme"
    )
    settings.SINGLE_SIGN_ON = sso
    settings.SOCIALACCOUNT_PROVIDERS = socialaccount_providers(sso)

    page = Client().get("/login/?next=/work/").content.decode()

    assert 'action="/sso/oidc/oidc/login/"' in page
    assert "Sign in with Acme</button>" in page
    assert 'name="next" value="/work/"' in page
    assert 'name="password"' in page


@pytest.mark.django_db
def test_with_a_team_prefix_the_groups_set_the_teams(settings):
    settings.SINGLE_SIGN_ON = SingleSignOn(
        issuer="https://login.acme.example", client_id="c", secret="s",
        role_map=ROLE_MAP, team_prefix="team-",
    )  # fmt: skip
    user = add_person("csm-01", role="csm", teams=["east", "by-hand"])
    signed_in = SimpleNamespace(scorecards_role=Role.CSM, scorecards_teams=["west"])

    apply_groups(user, signed_in)
    apply_groups(user, signed_in)

    assert [team.name for team in user.teams.all()] == ["west"]
    changes = AuditEntry.objects.filter(action="user.teams_changed")
    assert [(e.actor, e.before, e.after) for e in changes] == [
        ("single sign-on", {"teams": ["by-hand", "east"]}, {"teams": ["west"]})
    ]
    assert not AuditEntry.objects.filter(action="user.role_changed").exists()
