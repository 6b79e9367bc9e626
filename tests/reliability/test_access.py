"""Every route refuses a caller it does not know; the routes are found, not listed.

The API's routes come from its OpenAPI document, so a new one is covered the
day it is added; the URL resolver is walked too, so a route the document does
not show, or a page outside the API, cannot slip by. The few public routes
(the health check, the API's own documentation, the survey pages, webhooks and
tracking calls, the sign-in page) are listed here by name, each with a check of
the credential it asks for instead.
"""

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from scorecards.accounts.models import Account
from scorecards.api.tokens import create_token, revoke_token
from scorecards.ingest.models import Signal

pytestmark = pytest.mark.usefixtures("book")

UNAUTHORIZED = {
    "errors": [
        {"message": "a valid API token is required: Authorization: Bearer <token>"}
    ]
}
DOCUMENTATION = {"api:openapi-json", "api:openapi-view", "api:api-root"}


def walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[Any]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (ns, pattern.namespace) if part)
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{ns}:{pattern.name}" if ns else str(pattern.name)
            yield "/" + prefix + str(pattern.pattern), name


def concrete(route: str) -> str:
    """A URL for a route: 1 for a number, ``x`` for any other parameter."""
    route = re.sub(r"<int:\w+>|\{\w+_id\}|\{number\}|\{position\}", "1", route)
    # A regular expression's anchors go, and each named group becomes x.
    route = route.replace("^", "").replace("$", "")
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "x", route)
    return re.sub(r"<(?:\w+:)?\w+>|\{\w+\}", "x", route)


def api_operations(client: Client) -> list[tuple[str, str]]:
    schema = client.get("/api/v1/openapi.json").json()
    return [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    ]


@pytest.fixture
def callers() -> dict[str, dict[str, str]]:
    now = Account.objects.get(key="acc-00").created_at
    create_token(name="old-laptop", now=now)
    _, revoked = create_token(name="lost", now=now)
    revoke_token(name="lost", now=now)
    return {
        "anonymous": {},
        "revoked": {"HTTP_AUTHORIZATION": f"Bearer {revoked}"},
        "stranger": {"HTTP_AUTHORIZATION": "Bearer sc_madeUpButWellFormed0123456789"},
        "wrong scheme": {"HTTP_AUTHORIZATION": f"Basic {revoked}"},
    }


def test_every_api_operation_refuses_a_missing_unknown_or_revoked_token(
    client: Client, callers: dict[str, dict[str, str]]
) -> None:
    operations = api_operations(client)
    assert len(operations) > 40, "the OpenAPI document lost its routes"
    accounts_before = Account.objects.count()

    for method, path in operations:
        url = concrete(path)
        for who, headers in callers.items():
            response = client.generic(
                method, url, b'{"signals": []}', "application/json", **headers
            )
            assert response.status_code == 401, (method, url, who)
            assert response.json() == UNAUTHORIZED, (method, url, who)
            assert response["WWW-Authenticate"] == "Bearer"

    assert Signal.objects.count() == 0
    assert Account.objects.count() == accounts_before


def test_the_openapi_document_shows_every_api_route_the_server_has(
    client: Client,
) -> None:
    documented = {path for _, path in api_operations(client)}
    served = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        for route, name in walk(get_resolver().url_patterns)
        if route.startswith("/api/") and name not in DOCUMENTATION
    }

    assert served == documented


def refuses_anonymous_web(client: Client, url: str) -> None:
    """A page of the web app: anonymous callers are sent to sign in."""
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if response.status_code == 405:
            continue
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith("/login/"), (method, url)


def documentation(client: Client, url: str) -> None:
    # The API describes itself to anyone (docs/api.md); it holds no data.
    response = client.get(url)
    assert response.status_code == 200
    assert b"acc-00" not in response.content


def api_root(client: Client, url: str) -> None:
    assert client.get(url).status_code == 404


def health(client: Client, url: str) -> None:
    # Open to probes, and says nothing but whether the database answers.
    assert set(client.get(url).json()) == {"status", "database"}


def webhook(client: Client, url: str) -> None:
    # The key in the URL is the credential: an unknown one finds nothing.
    body = json.dumps({"nps": {"score": 9}})
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "no such webhook"}]}


def tracking(client: Client, url: str) -> None:
    # Segment's write key, as HTTP basic auth or in the body.
    body = json.dumps({"batch": [], "userId": "u", "event": "e"})
    for headers in ({}, {"HTTP_AUTHORIZATION": "Basic bWFkZS11cDo="}):
        response = client.post(url, body, content_type="application/json", **headers)
        assert response.status_code == 401, url
        assert response.json()["code"] == "unauthorized"


def survey_page(client: Client, url: str) -> None:
    # The personal link is the credential: an unknown one shows nothing.
    assert client.get(url).status_code == 404
    assert client.post(url, {"score": "9"}).status_code == 404


def sign_in(client: Client, url: str) -> None:
    assert client.get(url).status_code == 200


def single_sign_on(client: Client, url: str) -> None:
    # Starting a sign-in or coming back from the provider: with no provider
    # configured (or one not named so) there is nothing there.
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def sign_out(client: Client, url: str) -> None:
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302


PUBLIC: dict[str, Callable[[Client, str], None]] = {
    "healthz": health,
    "api:openapi-json": documentation,
    "api:openapi-view": documentation,
    "api:api-root": api_root,
    "hook-delighted": webhook,
    "hook-typeform": webhook,
    **{
        f"segment-{kind}": tracking
        for kind in ("batch", "track", "page", "screen", "identify", "group", "alias")
    },
    "feedback:respond": survey_page,
    "feedback:thanks": survey_page,
    "feedback:unsubscribe": survey_page,
    "web:login": sign_in,
    "openid_connect_login": single_sign_on,
    "openid_connect_callback": single_sign_on,
    "web:logout": sign_out,
}


def test_every_other_route_asks_for_a_sign_in_or_its_own_credential(
    client: Client,
) -> None:
    routes = [
        (route, name)
        for route, name in walk(get_resolver().url_patterns)
        if name in PUBLIC or not route.startswith("/api/")
    ]
    assert {name for _, name in routes} >= set(PUBLIC), "a public route went away"

    for route, name in routes:
        check = PUBLIC.get(name, refuses_anonymous_web)
        check(client, concrete(route))
    assert Signal.objects.count() == 0
