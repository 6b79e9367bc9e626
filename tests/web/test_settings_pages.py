"""Settings for admins: API tokens and data sources made and revoked in the web
app, each secret shown once and never stored."""

import pytest
from django.test import Client

from scorecards.api.models import ApiToken
from scorecards.api.tokens import active_token
from scorecards.people.service import add_person
from scorecards.sources.models import Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    client = Client()
    client.force_login(add_person("admin-01", role="admin"))
    return client


def secret_on(page: str) -> str:
    return page.split('<code class="secret-value">')[1].split("</code>")[0]


def test_a_token_is_shown_once_works_and_can_be_revoked(admin):
    page = admin.post("/settings/tokens/", {"name": "warehouse"}).content.decode()
    secret = secret_on(page)

    token = ApiToken.objects.get(name="warehouse")
    assert secret not in token.secret_hash
    assert active_token(secret, now=token.created_at) == token
    assert secret not in admin.get("/settings/tokens/").content.decode()

    admin.post("/settings/tokens/", {"revoke": "warehouse"})
    token.refresh_from_db()
    assert token.revoked
    assert active_token(secret, now=token.created_at) is None


def test_a_second_token_of_the_same_name_is_refused(admin):
    admin.post("/settings/tokens/", {"name": "warehouse"})

    response = admin.post("/settings/tokens/", {"name": "warehouse"}, follow=True)

    assert "already exists" in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_a_source_is_made_with_its_key_shown_once_and_revoked(admin):
    page = admin.post(
        "/settings/sources/", {"kind": "segment", "name": "product"}
    ).content.decode()

    assert secret_on(page)
    source = Source.objects.get(name="product")
    assert source.kind == "segment"
    admin.post("/settings/sources/", {"revoke": "product"})
    source.refresh_from_db()
    assert source.revoked_at is not None


def test_settings_lead_to_every_part_of_the_configuration(admin):
    page = admin.get("/settings/").content.decode()

    for path in (
        "/settings/people/",
        "/settings/rules/",
        "/settings/tokens/",
        "/settings/sources/",
        "/imports/",
        "/surveys/",
        "/campaigns/",
    ):
        assert f'href="{path}"' in page  # fmt: skip


@pytest.mark.parametrize("role", ["manager", "csm", "viewer"])
def test_only_admins_reach_settings(role):
    client = Client()
    client.force_login(add_person("someone", role=role))

    for path in ("/settings/", "/settings/tokens/", "/settings/sources/"):
        assert client.get(path).status_code == 403
    assert client.post("/settings/tokens/", {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()
