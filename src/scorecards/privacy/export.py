"""Everything held about a contact, or an account, as one JSON document.

A contact's document holds their own fields, their survey invitations (dates,
never the link's token) with their answers and comments, the QBRs they
attended, the signals attributed to them, their product activity and their
unsubscribe. An account's holds its fields, score, history, overrides,
outcomes, alerts, recovery plans, QBRs, the signals and product activity of
no contact, and each contact's document.

Long lists (signals, history, product events) are read while the document is
written, so an account with years of data is never held in memory at once.
Every export is recorded in the audit log.
"""

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.http import StreamingHttpResponse

from scorecards.accounts.models import Account, Contact
from scorecards.alerts.models import Alert, RecoveryPlan
from scorecards.audit.log import record
from scorecards.feedback.models import Invitation, Qbr, Unsubscribe
from scorecards.ingest.models import Signal
from scorecards.lib.jsonstream import json_chunks
from scorecards.outcomes.models import Outcome
from scorecards.scoring.models import Override, ScorePoint, stored_score
from scorecards.sources.models import ProductEvent

ROWS = 2000  # read from the database at a time, for the long lists


def export_contact(*, contact: Contact, now: datetime) -> Iterator[str]:
    """The contact's document as JSON text, in pieces; recorded at once."""
    record(
        "contact.exported",
        target=f"contact:{contact.pk}",
        detail={"account": contact.account.key},
        at=now,
    )
    document = {"exported_at": now, **contact_document(contact)}
    return json_chunks(document)


def export_account(*, account: Account, now: datetime) -> Iterator[str]:
    """The account's document as JSON text, in pieces; recorded at once."""
    record(
        "account.exported",
        target=f"account:{account.key}",
        detail={"contacts": account.contacts.count()},
        at=now,
    )
    return json_chunks({"exported_at": now, **account_document(account)})


def download(chunks: Iterator[str], name: str) -> StreamingHttpResponse:
    """A document as a file to save, kept out of any cache on the way."""
    response = StreamingHttpResponse(chunks, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def file_safe(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", key)[:100]


def contact_document(contact: Contact) -> dict[str, Any]:
    unsubscribed = Unsubscribe.objects.filter(contact=contact).first()
    return {
        "contact": {
            "account": contact.account.key,
            "key": contact.key,
            "role": contact.role,
            "name": contact.name,
            "email": contact.email,
            "created_at": contact.created_at,
            "updated_at": contact.updated_at,
        },
        "unsubscribed_at": unsubscribed.at if unsubscribed else None,
        "surveys": _invitations(contact),
        "qbrs": [
            {
                "held_at": qbr.held_at,
                "survey": qbr.version.form.key,
                "notes": qbr.notes,
                "recorded_by": qbr.recorded_by,
            }
            for qbr in _qbrs(contact.account).iterator()
            if contact.key in qbr.attendees
        ],
        "signals": _signals(Signal.objects.filter(contact=contact)),
        "product_events": _events(
            ProductEvent.objects.filter(
                account_id=contact.account_id, user_id=contact.key
            )
        ),
    }


def _invitations(contact: Contact) -> list[dict[str, Any]]:
    invitations = (
        Invitation.objects.filter(contact=contact)
        .select_related("campaign__version__form", "answer")
        .order_by("campaign__created_at", "pk")
    )
    return [
        {
            "campaign": invitation.campaign.name,
            "survey": invitation.campaign.version.form.key,
            "sent_at": invitation.sent_at,
            "reminders_sent": invitation.reminders_sent,
            "last_reminded_at": invitation.last_reminded_at,
            "answered_at": invitation.answered_at,
            "answer": _answer(invitation),
        }
        for invitation in invitations
    ]


def _answer(invitation: Invitation) -> dict[str, Any] | None:
    answer = getattr(invitation, "answer", None)
    if answer is None:
        return None
    return {
        "values": answer.values,
        "comment": answer.comment,
        "answered_at": answer.answered_at,
        "updated_at": answer.updated_at,
    }


def _qbrs(account: Account) -> Any:
    return Qbr.objects.filter(account=account).select_related("version__form")


def _signals(signals: Any) -> Iterator[dict[str, Any]]:
    rows = signals.order_by("observed_at", "pk").values_list(
        "metric", "value", "observed_at", "received_at", "source", "external_id"
    )
    for metric, value, observed_at, received_at, source, ident in rows.iterator(
        chunk_size=ROWS
    ):
        yield {
            "metric": metric,
            "value": value,
            "observed_at": observed_at,
            "received_at": received_at,
            "source": source,
            "id": ident,
        }


def _events(events: Any) -> Iterator[dict[str, Any]]:
    rows = events.order_by("timestamp", "pk").values_list(
        "source__name", "kind", "event", "user_id", "timestamp", "properties"
    )
    for source, kind, event, user, timestamp, properties in rows.iterator(
        chunk_size=ROWS
    ):
        yield {
            "source": source,
            "kind": kind,
            "event": event,
            "user_id": user,
            "timestamp": timestamp,
            "properties": properties,
        }


def account_document(account: Account) -> dict[str, Any]:
    contacts = account.contacts.order_by("key")
    keys = list(contacts.values_list("key", flat=True))
    return {
        "account": {
            "key": account.key,
            "name": account.name,
            "segment": account.segment,
            "tier": account.tier,
            "csm": account.csm,
            "arr": account.arr,
            "renewal_date": account.renewal_date,
            "attributes": account.attributes,
            "created_at": account.created_at,
            "updated_at": account.updated_at,
        },
        "score": _score(account),
        "score_history": _history(account),
        "overrides": _overrides(account),
        "outcomes": [
            {
                "kind": o.kind,
                "decided_at": o.decided_at,
                "source": o.source,
                "id": o.external_id,
            }
            for o in Outcome.objects.filter(account=account)
        ],
        "alerts": _alerts(account),
        "recovery_plans": _plans(account),
        "qbrs": [
            {
                "held_at": qbr.held_at,
                "survey": qbr.version.form.key,
                "attendees": qbr.attendees,
                "notes": qbr.notes,
                "ratings": qbr.ratings,
                "recorded_by": qbr.recorded_by,
            }
            for qbr in _qbrs(account)
        ],
        "contacts": (_without_account(contact) for contact in contacts.iterator()),
        "signals": _signals(Signal.objects.filter(account=account, contact=None)),
        "product_events": _events(
            ProductEvent.objects.filter(account=account).exclude(user_id__in=keys)
        ),
    }


def _without_account(contact: Contact) -> dict[str, Any]:
    document = contact_document(contact)
    del document["contact"]["account"]
    return document


def _score(account: Account) -> dict[str, Any] | None:
    score = stored_score(account)
    if score is None:
        return None
    version = score.version
    return {
        "scorecard": version.scorecard.key if version else None,
        "version": version.number if version else None,
        "status": score.status,
        "total": score.total,
        "grade": score.grade or None,
        "coverage": score.coverage,
        "criteria": score.criteria,
        "overridden": score.overridden,
        "scored_at": score.scored_at,
    }


def _history(account: Account) -> Iterator[dict[str, Any]]:
    rows = (
        ScorePoint.objects.filter(account=account)
        .order_by("at", "pk")
        .values_list("at", "kind", "status", "total", "grade", "coverage")
    )
    for at, kind, status, total, grade, coverage in rows.iterator(chunk_size=ROWS):
        yield {"at": at, "kind": kind, "status": status, "total": total,
               "grade": grade or None, "coverage": coverage}  # fmt: skip


def _overrides(account: Account) -> list[dict[str, Any]]:
    return [
        {
            "target": o.target,
            "value": o.value,
            "reason": o.reason,
            "set_by": o.set_by,
            "set_at": o.set_at,
            "expires_at": o.expires_at,
            "replaced": o.replaced,
            "ended_at": o.ended_at,
            "ended_by": o.ended_by,
            "ended_reason": o.ended_reason,
        }
        for o in Override.objects.filter(account=account).order_by("set_at", "pk")
    ]


def _alerts(account: Account) -> list[dict[str, Any]]:
    alerts = Alert.objects.filter(account=account).select_related("rule")
    return [
        {
            "rule": alert.rule.name,
            "state": alert.state,
            "reason": alert.reason,
            "opened_at": alert.opened_at,
            "fired_at": alert.fired_at,
            "closed_at": alert.closed_at,
            "acknowledged_by": alert.acknowledged_by,
        }
        for alert in alerts.order_by("opened_at", "pk")
    ]


def _plans(account: Account) -> list[dict[str, Any]]:
    plans = (
        RecoveryPlan.objects.filter(account=account)
        .select_related("playbook")
        .prefetch_related("tasks")
        .order_by("opened_at", "pk")
    )
    return [
        {
            "playbook": plan.playbook.name,
            "status": plan.status,
            "opened_by": plan.opened_by,
            "opened_at": plan.opened_at,
            "closed_at": plan.closed_at,
            "tasks": [
                {
                    "title": task.title,
                    "owner": task.owner,
                    "due_at": task.due_at,
                    "done_at": task.done_at,
                    "done_by": task.done_by,
                }
                for task in plan.tasks.all()
            ],
        }
        for plan in plans
    ]
