"""Survey tools' webhooks: each answer becomes an NPS signal, scored at once.

Two sources: ``delighted-nps`` (Delighted; the account in the person property
``account``, the contact found by email) and ``typeform-nps`` (Typeform; signed
with a secret, the account and contact in hidden fields).
"""

import base64
import hashlib
import hmac
import json
import logging

import pytest

from scorecards.accounts.service import upsert_contacts
from scorecards.ingest.models import Signal
from scorecards.scoring.models import AccountScore
from scorecards.sources.registry import create_source, revoke_source

pytestmark = pytest.mark.django_db

SECRET = "a-shared-typeform-secret"
CREATED_AT = 1781438400  # 2026-06-14T12:00:00Z


@pytest.fixture
def hooks(cast, now):
    upsert_contacts(
        [{"account": "globex", "key": "buyer", "email": "Buyer@Globex.example"}],
        now=now,
    )
    _, delighted = create_source(kind="delighted", name="delighted-nps", now=now)
    _, typeform = create_source(
        kind="typeform", name="typeform-nps", signing_secret=SECRET, now=now
    )
    return {"delighted": delighted, "typeform": typeform}


def delighted_event(score=9, *, event="survey_response.created", account="globex",
                    response="5435", email="buyer@globex.example"):  # fmt: skip
    return {
        "event_type": event,
        "event_id": f"evt-{response}-{score}",
        "event_data": {
            "id": response,
            "person": {"id": "77", "email": email, "name": "A. Buyer"},
            "survey_type": "nps",
            "score": score,
            "comment": "Works well for us.",
            "created_at": CREATED_AT,
            "updated_at": CREATED_AT + 60,
            "person_properties": {"account": account, "Delighted Source": "Email"},
        },
    }


def typeform_event(number=10, *, hidden=None, ref="nps", token="a3a12ec67a13"):
    return {
        "event_id": "01GXYZ",
        "event_type": "form_response",
        "form_response": {
            "form_id": "lT4Z3j",
            "token": token,
            "submitted_at": "2026-06-14T12:00:00Z",
            "hidden": {"account": "globex", "contact": "buyer"}
            if hidden is None
            else hidden,
            "answers": [
                {"type": "text", "text": "fine", "field": {"id": "a", "ref": "why"}},
                {
                    "type": "number",
                    "number": number,
                    "field": {"id": "b", "type": "nps", "ref": ref},
                },
            ],
        },
    }


def send(client, path, payload, headers=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(path, body, content_type="application/json",
                       headers=headers or {})  # fmt: skip


def signed(payload, secret=SECRET):
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return body, {"Typeform-Signature": "sha256=" + base64.b64encode(digest).decode()}


def nps_score(account="globex"):
    criteria = AccountScore.objects.get(account__key=account).criteria
    return next(c for c in criteria if c["key"] == "nps")


def test_a_delighted_answer_is_stored_with_its_contact_and_moves_the_score(
    client, hooks
):
    response = send(client, f"/hooks/delighted/{hooks['delighted']}", delighted_event())

    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0, "rescored": 1}
    signal = Signal.objects.get()
    assert (signal.source, signal.external_id, signal.value) == (
        "delighted-nps",
        "delighted-5435",
        9,
    )
    assert signal.contact.key == "buyer"
    assert signal.observed_at.isoformat() == "2026-06-14T12:00:00+00:00"
    assert nps_score()["raw"] == 100


def test_an_updated_delighted_answer_replaces_the_first(client, hooks):
    path = f"/hooks/delighted/{hooks['delighted']}"
    send(client, path, delighted_event(9))

    response = send(client, path, delighted_event(2, event="survey_response.updated"))

    assert response.json()["accepted"] == 1
    assert list(Signal.objects.values_list("value", flat=True)) == [2]
    assert nps_score()["raw"] == -100


def test_a_delivery_retried_counts_once(client, hooks):
    path = f"/hooks/delighted/{hooks['delighted']}"
    send(client, path, delighted_event())

    again = send(client, path, delighted_event())

    assert again.json() == {"accepted": 0, "duplicates": 1, "rescored": 0}
    assert Signal.objects.count() == 1


def test_an_answer_for_an_unknown_account_is_refused_and_logged(client, hooks, caplog):
    caplog.set_level(logging.WARNING, logger="scorecards.sources.webhooks")

    response = send(
        client,
        f"/hooks/delighted/{hooks['delighted']}",
        delighted_event(account="hooli"),
    )

    assert response.status_code == 422
    assert response.json() == {"errors": [{"message": "unknown account 'hooli'"}]}
    assert not Signal.objects.exists()
    assert "delighted webhook delighted-nps refused: unknown account 'hooli'" in (
        caplog.text
    )
    assert "buyer@globex.example" not in caplog.text.lower()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"score": 11}, "event_data.score: must be a number from 0 to 10"),
        ({"score": "9"}, "event_data.score: has the wrong type"),
        ({"id": None}, "event_data.id: is required"),
        (
            {"person_properties": {}},
            "event_data.person_properties.account: no account key (set the person "
            "property, or configure account_property)",
        ),
    ],
)
def test_a_delighted_payload_we_cannot_use_is_told_why(client, hooks, change, message):
    event = delighted_event()
    event["event_data"].update(change)

    response = send(client, f"/hooks/delighted/{hooks['delighted']}", event)

    assert response.status_code == 422
    assert response.json() == {"errors": [{"message": message}]}
    assert not Signal.objects.exists()


def test_an_event_without_an_answer_is_acknowledged_and_ignored(client, hooks):
    event = {"event_type": "unsubscribe.created", "event_data": {}}

    response = send(client, f"/hooks/delighted/{hooks['delighted']}", event)

    assert response.status_code == 200
    ignored = "event 'unsubscribe.created' carries no answer"
    assert response.json() == {"ignored": ignored}


def test_a_body_that_is_not_json_is_refused(client, hooks):
    response = send(client, f"/hooks/delighted/{hooks['delighted']}", b"{not json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith(
        "the body is not valid JSON"
    )


def test_a_wrong_or_revoked_key_learns_nothing(client, hooks, now):
    assert send(client, "/hooks/delighted/src_nope", delighted_event()).status_code == (
        404
    )
    # A key of one kind does not open another kind's hook.
    wrong_kind = send(client, f"/hooks/typeform/{hooks['delighted']}", typeform_event())
    assert wrong_kind.status_code == 404
    revoke_source(name="delighted-nps", now=now)
    revoked = send(client, f"/hooks/delighted/{hooks['delighted']}", delighted_event())
    assert revoked.status_code == 404
    assert not Signal.objects.exists()


def test_a_signed_typeform_response_is_stored_from_its_hidden_fields(client, hooks):
    body, headers = signed(typeform_event(10))

    response = send(client, f"/hooks/typeform/{hooks['typeform']}", body, headers)

    assert response.status_code == 200, response.content
    signal = Signal.objects.get()
    assert (signal.source, signal.external_id, signal.value, signal.contact.key) == (
        "typeform-nps",
        "typeform-a3a12ec67a13",
        10,
        "buyer",
    )
    assert nps_score()["raw"] == 100


@pytest.mark.parametrize("secret", [None, "another-secret"])
def test_a_typeform_call_unsigned_or_signed_with_another_secret_is_refused(
    client, hooks, secret
):
    if secret is None:
        body, headers = json.dumps(typeform_event()).encode(), {}
    else:
        body, headers = signed(typeform_event(), secret)

    response = send(client, f"/hooks/typeform/{hooks['typeform']}", body, headers)

    assert response.status_code == 401
    assert not Signal.objects.exists()


def test_a_typeform_body_changed_after_signing_is_refused(client, hooks):
    body, headers = signed(typeform_event(10))
    tampered = body.replace(b'"number": 10', b'"number": 0')

    response = send(client, f"/hooks/typeform/{hooks['typeform']}", tampered, headers)

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            typeform_event(ref="score"),
            "form_response.answers: no answer to the field ref 'nps'",
        ),
        (
            typeform_event(hidden={}),
            "form_response.hidden.account: no account key "
            "(add the hidden field to the form's link)",
        ),
        (
            typeform_event(hidden={"account": "globex", "contact": "ghost"}),
            "unknown contact 'ghost' of account 'globex'",
        ),
    ],
)
def test_a_typeform_response_we_cannot_use_is_told_why(client, hooks, event, message):
    body, headers = signed(event)

    response = send(client, f"/hooks/typeform/{hooks['typeform']}", body, headers)

    assert response.status_code == 422
    assert response.json() == {"errors": [{"message": message}]}
    assert not Signal.objects.exists()
