"""Every page of the web app, walked, for a CSM and a viewer: what their role
forbids is refused by the server, and nothing changes.

The routes come from the URL resolver, so a page added tomorrow is covered
the day it lands. The cast: acme is csm-01's account, globex csm-02's. A CSM
tries every page on globex and on csm-02's things; a viewer on both accounts.
"""

import hashlib
import json

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from scorecards.accounts.models import Account
from scorecards.accounts.service import upsert_accounts, upsert_contacts
from scorecards.alerts.models import Alert, AlertRule, InboxItem, Playbook
from scorecards.alerts.plans import open_plan
from scorecards.demo.bundled import bundled_scorecards
from scorecards.people.models import SavedView
from scorecards.people.service import add_person
from scorecards.scoring.publish import publish

pytestmark = pytest.mark.django_db

# Pages no signed-in user is refused: the work of being signed in, and what is
# one's own (saving a view of the portfolio, marking one's own inbox read).
OWN = {"web:login", "web:logout", "web:save-view", "web:inbox-read-all"}
# Outside the web app: public by design, each with its own credential, and
# covered by tests/reliability/test_access.py.
ELSEWHERE = ("/healthz", "/hooks/", "/v1/", "/r/", "/sso/", "/api/")
# Pages for admins only: every other role gets 403, even to read.
ADMIN_ONLY = ("/settings/", "/imports/", "/surveys/", "/campaigns/",
              "/personal-data/", "/scorecards/new", "/edit")  # fmt: skip
# Pages with nothing to show in this cast (no outcomes, no suggested weights).
NOTHING_YET = {"outcomes:draft"}
# Tables every request writes to whoever makes it: the session, sign-in records.
NOT_COMPARED = {"sessions.session", "axes.accessattempt", "axes.accesslog",
                "axes.accessfailurelog", "auth.user"}  # fmt: skip


def walk(patterns, prefix="", ns=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (ns, pattern.namespace) if part)
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{ns}:{pattern.name}" if ns else str(pattern.name)
            yield "/" + prefix + str(pattern.pattern), name


def web_routes():
    return [
        (route, name)
        for route, name in walk(get_resolver().url_patterns)
        if not route.startswith(ELSEWHERE)
    ]


@pytest.fixture
def cast():
    now = timezone.now()
    default = next(p for p in bundled_scorecards() if p.stem == "default")
    publish(source=default.read_text(), format="yaml", author="setup", now=now)
    upsert_accounts(
        [{"key": "acme", "csm": "csm-01"}, {"key": "globex", "csm": "csm-02"}],
        now=now,
    )
    upsert_contacts(
        [{"account": key, "key": "buyer", "role": "champion", "email": "b@x.example"}
         for key in ("acme", "globex")],
        now=now,
    )  # fmt: skip
    people = {
        "admin-01": add_person("admin-01", role="admin"),
        "csm-01": add_person("csm-01", role="csm"),
        "csm-02": add_person("csm-02", role="csm"),
        "viewer-01": add_person("viewer-01", role="viewer"),
    }
    playbook = Playbook.objects.create(
        name="save", steps=[{"title": "Call", "assignee": "csm", "due_days": 2}],
        created_at=now, updated_at=now,
    )  # fmt: skip
    rule = AlertRule.objects.create(name="watch", kind="grade", created_at=now,
                                    updated_at=now, playbook=playbook)  # fmt: skip
    things = {"user_id": people["csm-02"].pk}
    for key in ("acme", "globex"):
        account = Account.objects.get(key=key)
        alert = Alert.objects.create(rule=rule, account=account, state="firing",
                                     reason="test", opened_at=now)  # fmt: skip
        plan = open_plan(account=account, playbook=playbook, opened_by="t", now=now)
        things[key] = {
            "alert_id": alert.pk,
            "task_id": plan.tasks.get().pk,
            "contact_id": account.contacts.get().pk,
        }
    things["view_id"] = SavedView.objects.create(
        user=people["csm-02"], name="mine", query="segment=smb", created_at=now
    ).pk
    things["item_id"] = InboxItem.objects.create(
        user=people["csm-02"], event=Alert.objects.first().events.create(
            old_state="", new_state="firing", reason="test", at=now
        ), created_at=now,
    ).pk  # fmt: skip
    return people, things


def concrete(route: str, account: str, things: dict) -> str:
    ids = things[account] | {k: v for k, v in things.items() if k.endswith("_id")}
    for name, value in ids.items():
        route = route.replace(f"<int:{name}>", str(value))
    route = route.replace("<int:campaign_id>", "1").replace("<int:run_id>", "1")
    key = "default" if route.startswith("/scorecards/") else account
    key = "watch" if route.startswith("/settings/rules/") else key
    key = "save" if route.startswith("/settings/playbooks/") else key
    return route.replace("<str:key>", key).replace("<str:name>", key)


def fingerprint() -> str:
    """Every row of every table but the few each request writes anyway."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        if model._meta.label_lower in NOT_COMPARED:
            continue
        rows = list(model.objects.order_by("pk").values())
        digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "accounts"), [("csm-01", ["globex"]), ("viewer-01", ["acme", "globex"])]
)
def test_no_page_lets_a_role_change_what_it_may_not(cast, who, accounts):
    people, things = cast
    client = signed_in(people[who])
    before = fingerprint()
    tried = 0

    for route, name in web_routes():
        if name in OWN:
            continue
        for account in accounts:
            url = concrete(route, account, things)
            response = client.post(url, {"key": "new", "score": "10",
                                         "reason": "x", "role": "admin"})  # fmt: skip
            assert response.status_code in (403, 404, 405), (who, name, url)
            tried += 1

    assert tried > 40, "the routes went missing"
    assert fingerprint() == before


@pytest.mark.parametrize("who", ["csm-01", "viewer-01"])
def test_admin_pages_are_refused_and_the_rest_can_be_read(cast, who):
    people, things = cast
    client = signed_in(people[who])

    for route, name in web_routes():
        if name in OWN or name.endswith(("-export", "export.json")):
            continue
        url = concrete(route, "globex", things)
        status = client.get(url).status_code
        if any(part in url for part in ADMIN_ONLY):
            assert status == 403, (who, name, url)
        elif name in NOTHING_YET:
            assert status in (200, 404), (who, name, url)
        else:
            assert status in (200, 405), (who, name, url)


@pytest.mark.parametrize("who", ["csm-01", "viewer-01"])
def test_personal_data_exports_are_refused(cast, who):
    people, things = cast
    client = signed_in(people[who])

    for route, name in web_routes():
        if "export" in name and "personal-data" in route:
            url = concrete(route, "globex", things)
            assert client.get(url).status_code == 403, (who, name)


def test_the_csm_may_change_their_own_account(cast):
    people, _ = cast
    client = signed_in(people["csm-01"])

    response = client.post("/accounts/acme/contacts", {"key": "new-contact"})

    assert response.status_code == 302
    assert Account.objects.get(key="acme").contacts.filter(key="new-contact").exists()
