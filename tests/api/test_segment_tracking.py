"""Segment-style calls: events become daily metrics per account and move scores.

The source ``product`` has two rules: ``weekly_active_users`` (distinct users
over the 7 days ending each day) and ``reports_created`` (``Report Created``
events per day). In the users' product, u-1 and u-2 work at globex.
"""

import base64
import gzip
import json
from datetime import UTC, datetime

import pytest

from scorecards.accounts.models import Contact
from scorecards.accounts.service import upsert_contacts
from scorecards.ingest.models import Signal
from scorecards.scoring.models import AccountScore
from scorecards.sources.models import Membership, ProductEvent
from scorecards.sources.registry import create_source

pytestmark = pytest.mark.django_db

RULES = {
    "rules": [
        {"metric": "weekly_active_users", "aggregate": "distinct_users", "days": 7},
        {"metric": "reports_created", "aggregate": "count",
         "events": ["Report Created"]},
        {"metric": "seats_used", "aggregate": "sum", "property": "seats",
         "events": ["Seats Counted"]},
    ]
}  # fmt: skip


@pytest.fixture
def write_key(cast, now):
    _, key = create_source(kind="segment", name="product", settings=RULES, now=now)
    return key


def call(client, path, payload, key, *, zipped=False):
    body = json.dumps(payload).encode()
    headers = {
        "Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    }
    if zipped:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    return client.post(path, body, content_type="application/json", headers=headers)


def group(user, account="globex", n=0):
    return {
        "type": "group",
        "userId": user,
        "groupId": account,
        "messageId": f"g-{user}-{n}",
        "timestamp": "2026-06-14T08:00:00Z",
    }


def track(user, event="Dashboard Viewed", when="2026-06-14T09:00:00Z", n=0, **more):
    return {"type": "track", "userId": user, "event": event, "timestamp": when,
            "messageId": f"t-{user}-{event}-{n}", "properties": more}  # fmt: skip


def stored(metric, account="globex"):
    return dict(
        Signal.objects.filter(account__key=account, metric=metric).values_list(
            "external_id", "value"
        )
    )


def test_grouped_users_events_become_daily_metrics_and_move_the_score(
    client, write_key
):
    batch = [
        group("u-1"),
        group("u-2"),
        track("u-1"),
        track("u-2", "Report Created"),
        track("u-2", "Report Created", n=1),
        track("u-1", when="2026-06-15T10:00:00Z", n=1),
    ]

    response = call(client, "/v1/batch", {"batch": batch}, write_key)

    assert response.status_code == 200, response.content
    assert response.json()["events"] == 4
    assert stored("weekly_active_users") == {
        "weekly_active_users:globex:2026-06-14": 2,
        "weekly_active_users:globex:2026-06-15": 2,  # u-2 was active within the week
    }
    assert stored("reports_created") == {
        "reports_created:globex:2026-06-14": 2,
        "reports_created:globex:2026-06-15": 0,
    }
    signal = Signal.objects.get(external_id="weekly_active_users:globex:2026-06-15")
    assert signal.source == "product"
    assert signal.observed_at == datetime(2026, 6, 15, tzinfo=UTC)
    usage = next(
        c
        for c in AccountScore.objects.get(account__key="globex").criteria
        if c["key"] == "usage"
    )
    assert usage["raw"] == 2


def test_a_batch_sent_again_counts_each_event_once(client, write_key):
    batch = [group("u-1"), track("u-1", "Report Created")]
    call(client, "/v1/batch", {"batch": batch}, write_key)

    again = call(client, "/v1/batch", {"batch": batch}, write_key)

    assert again.json()["duplicates"] == 1
    assert ProductEvent.objects.count() == 1
    assert stored("reports_created")["reports_created:globex:2026-06-14"] == 1


def test_a_late_event_replaces_its_days_value(client, write_key):
    call(client, "/v1/batch", {"batch": [group("u-1"), track("u-1", "Report Created")]},
         write_key)  # fmt: skip

    call(client, "/v1/track", track("u-1", "Report Created", n=7), write_key)

    assert stored("reports_created")["reports_created:globex:2026-06-14"] == 2
    assert Signal.objects.filter(metric="reports_created").count() == 1


def test_events_before_the_group_call_wait_and_then_count(client, write_key):
    call(client, "/v1/track", track("u-9", "Report Created"), write_key)
    assert ProductEvent.objects.get().account is None
    assert not stored("reports_created")

    call(client, "/v1/group", group("u-9"), write_key)

    assert ProductEvent.objects.get().account.key == "globex"
    assert stored("reports_created")["reports_created:globex:2026-06-14"] == 1


def test_a_sum_adds_up_a_numeric_property(client, write_key):
    batch = [
        group("u-1"),
        track("u-1", "Seats Counted", seats=12),
        track("u-1", "Seats Counted", n=1, seats=3.5),
        track("u-1", "Seats Counted", n=2, seats="many"),
    ]

    call(client, "/v1/batch", {"batch": batch}, write_key)

    assert stored("seats_used")["seats_used:globex:2026-06-14"] == 15.5


def test_context_group_id_places_an_event_without_a_group_call(client, write_key):
    event = {**track("u-5", "Report Created"), "context": {"groupId": "globex"}}

    call(client, "/v1/batch", {"batch": [event]}, write_key)

    assert stored("reports_created")["reports_created:globex:2026-06-14"] == 1


def test_identify_updates_a_known_contacts_details(client, write_key, now):
    upsert_contacts([{"account": "globex", "key": "u-1", "role": "user"}], now=now)
    identify = {"type": "identify", "userId": "u-1", "messageId": "i-1",
                "traits": {"firstName": "Sam", "lastName": "Rivera",
                           "email": "u1@globex.example"}}  # fmt: skip

    call(client, "/v1/batch", {"batch": [group("u-1"), identify]}, write_key)

    contact = Contact.objects.get(account__key="globex", key="u-1")
    assert (contact.name, contact.email) == ("Sam Rivera", "u1@globex.example")


def test_a_group_for_an_unknown_account_is_skipped_and_said(client, write_key):
    response = call(client, "/v1/batch", {"batch": [group("u-1", "hooli")]}, write_key)

    assert response.status_code == 200
    assert response.json()["skipped"] == ["group g-u-1-0: unknown account 'hooli'"]
    assert not Membership.objects.exists()


def test_a_gzipped_batch_is_read(client, write_key):
    batch = [group("u-1"), track("u-1", "Report Created")]

    response = call(client, "/v1/batch", {"batch": batch}, write_key, zipped=True)

    assert response.status_code == 200
    assert response.json()["events"] == 1


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        (
            [{"type": "track", "event": "x"}],
            "batch[0]: needs a userId or an anonymousId",
        ),
        (
            [{"type": "fly", "userId": "u"}],
            "batch[0].type: must be one of track, page, screen, identify, group, alias",
        ),
        (
            [group("u-1"), {"type": "track", "userId": "u"}],
            "batch[1].event: a track call names its event",
        ),
        (
            [{**track("u"), "timestamp": "yesterday"}],
            "batch[0].timestamp: 'yesterday' is not an ISO 8601 time",
        ),
        ([track("u", big="x" * 33_000)], "batch[0]: 33,"),
        ("not a list", "batch: must be a list of calls"),
    ],
)
def test_a_bad_call_refuses_the_batch_whole(client, write_key, batch, message):
    response = call(client, "/v1/batch", {"batch": batch}, write_key)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert response.json()["message"].startswith(message)
    assert not ProductEvent.objects.exists()
    assert not Membership.objects.exists()


def test_a_batch_over_500_kb_is_refused(client, write_key):
    batch = [track("u-1", n=n, filler="x" * 20_000) for n in range(30)]

    response = call(client, "/v1/batch", {"batch": batch}, write_key)

    assert response.status_code == 400
    assert "at most 500 KB" in response.json()["message"]


def test_an_unknown_write_key_is_refused(client, write_key):
    response = call(client, "/v1/batch", {"batch": [group("u-1")]}, "wrong")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert not Membership.objects.exists()


def test_the_write_key_may_come_in_the_body(client, write_key):
    body = {"batch": [group("u-1")], "writeKey": write_key}

    response = client.post(
        "/v1/batch", json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 200
    assert Membership.objects.get().user_id == "u-1"


def test_segments_own_library_sends_events_that_move_a_score(
    transactional_db, live_server, cast, now
):
    """The real segment-analytics-python client, batching and gzipping in its
    background thread, pointed at the running server."""
    from segment.analytics import Client
    from segment.analytics import request as segment_request

    _, key = create_source(kind="segment", name="product", settings=RULES, now=now)
    failures = []
    client = Client(
        key,
        host=live_server.url,
        gzip=True,
        max_retries=0,
        on_error=lambda error, batch: failures.append(error),
    )
    moment = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
    for user in ("u-1", "u-2", "u-3"):
        client.group(user, "globex", {"plan": "pro"}, timestamp=moment)
        client.track(user, "Report Created", {"kind": "weekly"}, timestamp=moment)
    client.identify("u-1", {"email": "u1@globex.example"}, timestamp=moment)
    client.flush()
    client.shutdown()
    # The library keeps one HTTP session for the process; closing it ends the
    # server's keep-alive thread, and with it that thread's database session.
    segment_request._session.close()

    assert failures == []
    assert ProductEvent.objects.filter(account__key="globex").count() == 3
    assert stored("weekly_active_users")["weekly_active_users:globex:2026-06-15"] == 3
    assert stored("reports_created")["reports_created:globex:2026-06-15"] == 3
    usage = next(
        c
        for c in AccountScore.objects.get(account__key="globex").criteria
        if c["key"] == "usage"
    )
    assert usage["raw"] == 3
