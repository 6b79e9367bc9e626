"""NPS answers from survey tools' webhooks, read into signals.

Delighted sends ``survey_response.created`` and ``.updated`` events; an update
carries the same response id, so it replaces the answer stored before.
Typeform sends ``form_response`` events; the NPS answer is the one whose field
has the configured ref, and the account and contact come in hidden fields.

A payload that cannot become a signal raises Unusable with the reason, which
the webhook answers with a 4xx and logs for an operator.
"""

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from scorecards.accounts.models import Contact
from scorecards.engine.signals import Signal, check_moment
from scorecards.lib.csvtable import parse_time
from scorecards.sources.models import Source

DELIGHTED_EVENTS = ("survey_response.created", "survey_response.updated")


class Unusable(Exception):
    """A payload we cannot turn into a signal; the message says why."""


class Ignored(Exception):
    """A well-formed event of a kind that carries no answer (e.g. unsubscribe)."""


def delighted_signal(source: Source, payload: Any) -> Signal:
    settings = source.settings
    event = _field(payload, "event_type", str)
    if event not in DELIGHTED_EVENTS:
        raise Ignored(f"event {event!r} carries no answer")
    data = _field(payload, "event_data", dict)
    response_id = str(_field(data, "id", (str, int), "event_data"))
    score = _field(data, "score", (int, float), "event_data")
    if isinstance(score, bool) or not 0 <= score <= 10:
        raise Unusable("event_data.score: must be a number from 0 to 10")
    created = _field(data, "created_at", (int, float), "event_data")
    try:
        observed_at = check_moment(datetime.fromtimestamp(created, UTC))
    except (OverflowError, OSError, ValueError):
        raise Unusable("event_data.created_at: not a usable time") from None

    properties = data.get("person_properties") or {}
    if not isinstance(properties, dict):
        raise Unusable("event_data.person_properties: must be an object")
    account = properties.get(settings["account_property"])
    if not isinstance(account, str) or not account.strip():
        raise Unusable(
            f"event_data.person_properties.{settings['account_property']}: "
            "no account key (set the person property, or configure "
            "account_property)"
        )
    account = account.strip()

    contact = None
    if settings.get("contact_property"):
        contact = properties.get(settings["contact_property"]) or None
    else:
        person = data.get("person") or {}
        email = person.get("email") if isinstance(person, dict) else None
        if isinstance(email, str) and email:
            contact = (
                Contact.objects.filter(account__key=account, email__iexact=email)
                .values_list("key", flat=True)
                .first()
            )
    return Signal(
        account=account,
        metric=settings["metric"],
        value=float(score),
        observed_at=observed_at,
        contact=str(contact) if contact else None,
        source=source.name,
        id=f"delighted-{response_id}",
    )


def check_typeform_signature(source: Source, body: bytes, header: str | None) -> bool:
    """True when the source has no secret, or the body is signed with it:
    ``Typeform-Signature: sha256=<base64 of HMAC-SHA256(secret, body)>``."""
    if not source.signing_secret:
        return True
    if not header or not header.startswith("sha256="):
        return False
    digest = hmac.new(source.signing_secret.encode(), body, hashlib.sha256).digest()
    expected = "sha256=" + base64.b64encode(digest).decode()
    return hmac.compare_digest(expected, header)


def typeform_signal(source: Source, payload: Any) -> Signal:
    settings = source.settings
    event = _field(payload, "event_type", str)
    if event != "form_response":
        raise Ignored(f"event {event!r} carries no answer")
    response = _field(payload, "form_response", dict)
    token = _field(response, "token", str, "form_response")
    submitted = _field(response, "submitted_at", str, "form_response")
    try:
        observed_at = parse_time(submitted)
    except ValueError as error:
        raise Unusable(f"form_response.submitted_at: {error}") from None

    hidden = response.get("hidden") or {}
    if not isinstance(hidden, dict):
        raise Unusable("form_response.hidden: must be an object")
    account = hidden.get(settings["account_field"])
    if not isinstance(account, str) or not account.strip():
        raise Unusable(
            f"form_response.hidden.{settings['account_field']}: no account key "
            "(add the hidden field to the form's link)"
        )
    contact = hidden.get(settings["contact_field"])

    answers = response.get("answers") or []
    if not isinstance(answers, list):
        raise Unusable("form_response.answers: must be a list")
    ref = settings["nps_field_ref"]
    found = [
        answer
        for answer in answers
        if isinstance(answer, dict)
        and isinstance(answer.get("field"), dict)
        and answer["field"].get("ref") == ref
    ]
    if not found:
        raise Unusable(f"form_response.answers: no answer to the field ref {ref!r}")
    number = found[0].get("number")
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise Unusable(f"form_response.answers: the answer to {ref!r} is not a number")
    if not 0 <= number <= 10:
        raise Unusable(f"form_response.answers: {number} is not an NPS answer (0-10)")

    return Signal(
        account=account.strip(),
        metric=settings["metric"],
        value=float(number),
        observed_at=observed_at,
        contact=contact.strip() if isinstance(contact, str) and contact else None,
        source=source.name,
        id=f"typeform-{token}",
    )


def _field(data: Any, name: str, kind: type | tuple[type, ...], where: str = "") -> Any:
    path = f"{where}.{name}" if where else name
    if not isinstance(data, dict):
        raise Unusable(f"{where or 'the body'}: must be an object")
    if name not in data or data[name] is None:
        raise Unusable(f"{path}: is required")
    value = data[name]
    if not isinstance(value, kind):
        raise Unusable(f"{path}: has the wrong type")
    return value
