"""Single sign-on end to end: headless Chromium signs in to the app through a real
OpenID Connect provider on loopback, past its sign-in and consent pages, and the
provider's groups decide the role.

The cast at the provider: alice, in cs-admins and later in cs-team only; zoe, in
marketing, a group that maps to no role; and pat, whom an admin already added
here with the same email address.
"""

import copy
import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from scorecards.audit.models import AuditEntry
from scorecards.config.sso import SingleSignOn, socialaccount_providers
from scorecards.people.access import access_of
from scorecards.people.models import Role
from scorecards.people.service import add_person
from scorecards.testing.browser import off_the_loop

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-password-pat-had-before-sso"
ROLE_MAP = {"cs-admins": "admin", "cs-managers": "manager", "cs-team": "csm"}


@pytest.fixture
def single_sign_on(settings, oidc_provider):
    """The app's settings pointed at the provider, as the environment would."""

    def configure(*, default_role: str | None = "viewer") -> None:
        sso = SingleSignOn(
            issuer=oidc_provider.issuer,
            client_id=oidc_provider.client_id,
            secret=oidc_provider.client_secret,
            name="Acme Login",
            scopes=("openid", "profile", "email", "groups"),
            role_map=ROLE_MAP,
            default_role=default_role,
        )
        settings.SINGLE_SIGN_ON = sso
        settings.SOCIALACCOUNT_PROVIDERS = socialaccount_providers(sso)
        csp = copy.deepcopy(settings.SECURE_CSP)
        csp["form-action"].append(sso.origin)
        settings.SECURE_CSP = csp

    configure()
    oidc_provider.set_person("alice", email="alice@acme.example", groups=["cs-admins"])
    oidc_provider.set_person("zoe", email="zoe@acme.example", groups=["marketing"])
    oidc_provider.set_person("pat", email="pat@acme.example", groups=["cs-team"])
    oidc_provider.configure = configure
    return oidc_provider


def sign_in_with_the_provider(page, app_url: str, login: str) -> None:
    page.goto(f"{app_url}/login/")
    page.get_by_role("button", name="Sign in with Acme Login").click()

    # The provider's own pages: any password signs in as the login typed.
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("whatever the provider asks")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    # Forget the provider's session too, so the next sign-in starts from scratch.
    page.context.clear_cookies()


def role_of(username: str) -> Role:
    return off_the_loop(lambda: access_of(User.objects.get(username=username)).role)


def test_groups_decide_the_role_at_every_sign_in(live_server, single_sign_on, page):
    sign_in_with_the_provider(page, live_server.url, "alice")

    expect(page).to_have_url(re.compile(rf"^{live_server.url}/$"))
    expect(page.locator(".session")).to_contain_text("Signed in as alice")
    expect(page.get_by_role("link", name="Settings")).to_be_visible()
    assert role_of("alice") == Role.ADMIN

    sign_out(page)
    single_sign_on.set_person("alice", email="alice@acme.example", groups=["cs-team"])
    sign_in_with_the_provider(page, live_server.url, "alice")

    expect(page.locator(".session")).to_contain_text("Signed in as alice")
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)
    assert role_of("alice") == Role.CSM
    entries = off_the_loop(
        lambda: list(
            AuditEntry.objects.filter(target="user:alice")
            .order_by("id")
            .values_list("action", "actor", "before", "after")
        )
    )
    assert [(action, actor) for action, actor, _, _ in entries] == [
        ("user.created", "single sign-on"),
        ("user.role_changed", "single sign-on"),
    ]
    assert entries[0][3]["role"] == "admin"
    assert entries[1][2:] == ({"role": "admin"}, {"role": "csm"})


def test_someone_in_no_mapped_group_gets_the_default_role(
    live_server, single_sign_on, page
):
    sign_in_with_the_provider(page, live_server.url, "zoe")

    expect(page.locator(".session")).to_contain_text("Signed in as zoe")
    assert role_of("zoe") == Role.VIEWER


def test_with_no_default_role_they_are_refused(live_server, single_sign_on, page):
    single_sign_on.configure(default_role=None)

    sign_in_with_the_provider(page, live_server.url, "zoe")

    expect(page.get_by_role("alert")).to_contain_text(
        "not in a group that may use Scorecards"
    )
    expect(page.locator(".session")).to_have_count(0)
    assert not off_the_loop(
        lambda: User.objects.filter(email="zoe@acme.example").exists()
    )


def test_someone_an_admin_added_signs_in_as_that_user(
    live_server, single_sign_on, page
):
    off_the_loop(
        lambda: add_person(
            "pat.lee", role="viewer", email="pat@acme.example", password=PASSWORD
        )
    )

    sign_in_with_the_provider(page, live_server.url, "pat")

    expect(page.locator(".session")).to_contain_text("Signed in as pat.lee")
    assert role_of("pat.lee") == Role.CSM
    assert not off_the_loop(lambda: User.objects.filter(username="pat").exists())
    # From now on pat.lee signs in through the provider only.
    pat = off_the_loop(lambda: User.objects.get(username="pat.lee"))
    assert not pat.has_usable_password()


def test_a_deactivated_user_cannot_sign_in_through_the_provider(
    live_server, single_sign_on, page
):
    def deactivate():
        pat = add_person("pat.lee", role="csm", email="pat@acme.example")
        pat.is_active = False
        pat.save()

    off_the_loop(deactivate)

    sign_in_with_the_provider(page, live_server.url, "pat")

    expect(page.get_by_role("alert")).to_contain_text("has been deactivated")
    expect(page.locator(".session")).to_have_count(0)
    assert off_the_loop(lambda: User.objects.count()) == 1
