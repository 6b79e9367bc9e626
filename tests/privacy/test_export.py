"""Exporting what is held about a contact, or an account: everything about them,
never a survey link's secret, each export in the audit log."""

import json
from typing import Any

from privacy_helpers import ASKED, KIM, NOW, ROBIN, Book

from scorecards.audit.models import AuditEntry
from scorecards.feedback.models import Invitation
from scorecards.lib.jsonstream import json_chunks
from scorecards.privacy.export import export_account, export_contact


def read(chunks: Any) -> Any:
    return json.loads("".join(chunks))


def test_a_contacts_document_holds_everything_about_them(book: Book) -> None:
    document = read(export_contact(contact=book.robin, now=NOW))

    assert document["exported_at"] == "2026-06-15T12:00:00Z"
    assert document["contact"] == {
        "account": "acme",
        "key": "ceo",
        "role": "executive_sponsor",
        "name": "Robin Vale",
        "email": ROBIN,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    assert document["unsubscribed_at"] == "2026-06-05T14:00:00Z"
    [survey] = document["surveys"]
    assert survey["campaign"] == "June pulse"
    assert survey["survey"] == "pulse"
    assert survey["sent_at"] == survey["answered_at"] == "2026-06-05T12:00:00Z"
    assert survey["answer"]["values"] == {"overall": 2}
    assert survey["answer"]["comment"].startswith("Robin Vale here")
    [qbr] = document["qbrs"]
    assert qbr["notes"].startswith("Robin Vale raised pricing")
    assert qbr["held_at"] == "2026-06-05T12:00:00Z"
    signals = {(s["metric"], s["value"]) for s in document["signals"]}
    assert signals == {
        ("nps", 3.0), ("stakeholder_rating", 2.0), ("stakeholder_overall", 2.0),
    }  # fmt: skip
    [event] = document["product_events"]
    assert event["event"] == "Report viewed"
    assert event["properties"]["email"] == ROBIN


def test_no_survey_link_secret_is_ever_exported(book: Book) -> None:
    text = "".join(export_contact(contact=book.robin, now=NOW))

    invitation = Invitation.objects.get(contact=book.robin)
    assert invitation.nonce not in text
    assert invitation.token_hash not in text
    assert "nonce" not in text
    assert "token" not in text


def test_someone_who_never_attended_has_no_qbr(book: Book) -> None:
    document = read(export_contact(contact=book.kim, now=NOW))

    assert document["contact"]["key"] == KIM
    assert document["qbrs"] == []
    assert document["unsubscribed_at"] is None
    assert document["surveys"][0]["answer"] is None


def test_an_accounts_document_holds_its_data_and_every_contact(book: Book) -> None:
    document = read(export_account(account=book.acme, now=NOW))

    assert document["account"]["key"] == "acme"
    assert document["account"]["segment"] == "strategic"
    assert document["score"]["scorecard"] == "strategic"
    assert len(document["score_history"]) >= 3
    assert [c["contact"]["key"] for c in document["contacts"]] == ["ceo", KIM, "ops"]
    assert "account" not in document["contacts"][0]["contact"]
    assert [s["metric"] for s in document["signals"]] == [
        "qbr_score", "qbr_value", "weekly_active_users",
    ]  # fmt: skip
    [override] = document["overrides"]
    assert override["target"] == "usage"
    [qbr] = document["qbrs"]
    assert qbr["attendees"] == ["ceo", "ops"]
    assert document["product_events"] == []  # both events are contacts'
    assert "pat.moss" not in json.dumps(document)


def test_every_export_is_in_the_audit_log_without_personal_data(book: Book) -> None:
    "".join(export_contact(contact=book.kim, now=NOW))
    "".join(export_account(account=book.acme, now=NOW))

    contact, account = AuditEntry.objects.filter(
        action__in=["contact.exported", "account.exported"]
    ).order_by("id")
    assert (contact.action, contact.target) == (
        "contact.exported", f"contact:{book.kim.pk}",
    )  # fmt: skip
    assert contact.detail == {"account": "acme"}
    assert (account.action, account.target) == ("account.exported", "account:acme")
    assert account.detail == {"contacts": 3}
    assert KIM not in json.dumps([contact.detail, account.detail])


def test_long_lists_are_written_as_they_are_read() -> None:
    def numbers() -> Any:
        yield from ({"n": n, "at": ASKED} for n in range(3))

    chunks = json_chunks({"a": [1, {"b": None}], "rows": numbers()})

    assert json.loads("".join(chunks)) == {
        "a": [1, {"b": None}],
        "rows": [{"n": n, "at": "2026-06-05T12:00:00Z"} for n in range(3)],
    }
