"""Erasing a contact or an account: their data goes from every table and file,
the audit log says what went without saying who, and the scores either stay
exactly as they were (anonymise) or follow the data (delete)."""

import json
import logging
from collections.abc import Callable

import pytest
from privacy_helpers import KIM, NOW, PAT, ROBIN, Book

from scorecards.accounts.models import Account, Contact
from scorecards.audit.models import AuditEntry
from scorecards.feedback.models import Answer, Invitation, Qbr, Unsubscribe
from scorecards.ingest.models import Signal
from scorecards.privacy.erasure import erase_account, erase_contact
from scorecards.scoring.models import AccountScore, ScorePoint
from scorecards.sources.models import Membership, ProductEvent

Everywhere = Callable[[str], list[str]]


def score_of(key: str) -> tuple[float | None, list[dict[str, object]]]:
    score = AccountScore.objects.get(account__key=key)
    return score.total, score.criteria


def test_the_book_holds_robins_address_in_every_kind_of_place(
    book: Book, everywhere: Everywhere
) -> None:
    found = everywhere(ROBIN)

    for place in (
        "accounts_contact.email",
        "feedback_answer.comment",
        "feedback_qbr.notes",
        "ingest_signal.external_id",
        "sources_productevent.properties",
        "scoring_override.reason",
        "audit_auditentry.after",
        "django_tasks_database_dbtaskresult.traceback",
    ):
        assert place in found
    assert any(place.startswith("imports/") for place in found)


@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_after_an_erasure_the_address_and_name_are_nowhere(
    book: Book, everywhere: Everywhere, mode: str
) -> None:
    erase_contact(contact=book.robin, now=NOW, mode=mode)

    assert everywhere(ROBIN) == []
    assert everywhere("Robin Vale") == []


@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_a_contact_keyed_by_their_address_is_erased_everywhere(
    book: Book, everywhere: Everywhere, mode: str
) -> None:
    assert everywhere(KIM)

    erase_contact(contact=book.kim, now=NOW, mode=mode)

    assert everywhere(KIM) == []
    assert everywhere("Kim Lowe") == []


def test_anonymising_keeps_every_score_and_the_answers_numbers(book: Book) -> None:
    before = score_of("acme")
    points = ScorePoint.objects.count()
    signals = Signal.objects.count()

    erase_contact(contact=book.robin, now=NOW, mode="anonymise")

    placeholder = Contact.objects.get(pk=book.robin.pk)
    assert placeholder.key == f"erased-{book.robin.pk}"
    assert (placeholder.role, placeholder.name, placeholder.email) == (
        "executive_sponsor", "", "",
    )  # fmt: skip
    answer = Answer.objects.get(invitation__contact=placeholder)
    assert (answer.values, answer.comment) == ({"overall": 2}, "")
    invitation = Invitation.objects.get(contact=placeholder)
    assert (invitation.token_hash, invitation.nonce) == (None, "")
    assert invitation.answered_at is not None
    assert not Unsubscribe.objects.filter(contact=placeholder).exists()
    assert Qbr.objects.get().attendees == ["ops", placeholder.key]
    assert (
        Qbr.objects.get().notes == "[erased] raised pricing; follow up with [erased]."
    )
    assert set(ProductEvent.objects.values_list("user_id", flat=True)) == {
        placeholder.key, "ops",
    }  # fmt: skip
    assert Membership.objects.get().user_id == placeholder.key
    assert ProductEvent.objects.get(user_id=placeholder.key).anonymous_id == ""

    assert score_of("acme") == before
    assert ScorePoint.objects.count() == points
    assert Signal.objects.count() == signals


def test_deleting_the_answers_scores_the_account_again(book: Book) -> None:
    total_before, _ = score_of("acme")
    globex_before = score_of("globex")

    erasure = erase_contact(contact=book.robin, now=NOW, mode="delete")

    assert not Contact.objects.filter(pk=book.robin.pk).exists()
    assert not Signal.objects.filter(external_id__startswith="nps-robin").exists()
    assert not Signal.objects.filter(external_id__startswith="nps-[erased]").exists()
    assert Answer.objects.filter(invitation__account=book.acme).count() == 1
    assert Qbr.objects.get().attendees == ["ops"]
    total_after, criteria = score_of("acme")
    assert total_after != total_before
    nps = next(c for c in criteria if c["key"] == "nps")
    assert nps["raw"] == pytest.approx(100.0)  # only ops's 9 is left
    assert ScorePoint.objects.filter(account=book.acme, at=NOW).exists()
    assert score_of("globex") == globex_before
    assert erasure.removed["answers"] == 1
    assert erasure.removed["signals"] == 3  # the nps, and the survey's two


def test_the_audit_entry_says_what_went_but_not_who(book: Book) -> None:
    erasure = erase_contact(contact=book.robin, now=NOW, mode="anonymise")

    entry = AuditEntry.objects.get(action="contact.erased")
    assert entry.target == f"contact:{book.robin.pk}" == erasure.target
    assert entry.at == NOW
    assert entry.detail["account"] == "acme"
    assert entry.detail["mode"] == "anonymise"
    removed = entry.detail["removed"]
    assert removed["comments"] == 1
    assert removed["survey_links"] == 1
    assert removed["unsubscribes"] == 1
    assert removed["qbr_attendances"] == removed["qbr_notes"] == 1
    assert removed["product_events"] == removed["memberships"] == 1
    assert removed["mentions"] >= 4  # signal id, event, override, task, audit...
    assert removed["file_rows"] == 2  # a rejected row, a row waiting
    written = json.dumps([entry.target, entry.before, entry.after, entry.detail])
    for personal in (ROBIN, "Robin", "ceo"):
        assert personal not in written


def test_other_contacts_keep_their_data(book: Book, everywhere: Everywhere) -> None:
    erase_contact(contact=book.robin, now=NOW, mode="delete")

    assert "accounts_contact.email" in everywhere(PAT)
    assert "accounts_contact.email" in everywhere("sam.ode@acme.example")
    assert Answer.objects.filter(comment="Great team.").exists()
    assert any(path.startswith("imports/") for path in everywhere(PAT))
    assert Invitation.objects.filter(contact=book.pat).exclude(token_hash=None)


def test_erasing_an_account_leaves_nothing_but_the_audit_entry(
    book: Book, everywhere: Everywhere
) -> None:
    globex_before = score_of("globex")

    erasure = erase_account(account=book.acme, now=NOW)

    assert not Account.objects.filter(key="acme").exists()
    assert not Signal.objects.filter(account_id=book.acme.pk).exists()
    assert not ScorePoint.objects.filter(account_id=book.acme.pk).exists()
    for text in (ROBIN, KIM, "sam.ode@acme.example", "Robin Vale", "Sam Ode"):
        assert everywhere(text) == [], text
    assert score_of("globex") == globex_before
    assert any(path.startswith("imports/") for path in everywhere(PAT))

    entry = AuditEntry.objects.get(action="account.erased")
    assert entry.target == "account:acme" == erasure.target
    removed = entry.detail["removed"]
    assert removed["contacts"] == 3
    assert removed["accounts"] == 1
    assert removed["answers"] == 2
    assert removed["signals"] > 0
    assert "Robin" not in json.dumps(entry.detail)


def test_an_erasure_logs_ids_and_counts_only(
    book: Book, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    erase_contact(contact=book.robin, now=NOW, mode="delete")
    erase_account(account=book.acme, now=NOW)

    said = "\n".join(record.getMessage() for record in caplog.records)
    assert f"contact {book.robin.pk} of account acme erased (delete)" in said
    assert "account acme erased" in said
    for personal in (ROBIN, KIM, "Robin", "Kim Lowe", "ceo"):
        assert personal not in said
