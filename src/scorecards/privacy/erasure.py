"""Erasing a contact, or a whole account: their personal data, everywhere.

A contact's name, address, survey comments, survey links, unsubscribe, place
in QBR attendee lists and product activity under their key go in every case.
Their answers and the signals made from them go by the setting
``SCORECARDS_ERASURE_ANSWERS``:

- ``anonymise`` (the default): the answers' numbers and the signals stay,
  attached to what is left of the contact, a placeholder keyed
  ``erased-<id>`` with the same role and no name or address. Every score,
  past and present, stays as it was, since the stakeholder roll-up weighs a
  voice by its role.
- ``delete``: the answers and the contact's signals are deleted with the
  contact, and the account is scored again at once.

An account's erasure deletes the account and everything under it. What
remains is the audit log: entries that name the account by its key (the
erasure's own with counts of what went), never a contact's data.

Each erasure is one transaction, recorded in the audit log without the
erased data. It cannot be undone.
"""

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from scorecards.accounts.models import Account, Contact
from scorecards.audit.log import record
from scorecards.feedback.models import Answer, Invitation, Qbr, Unsubscribe
from scorecards.privacy.sweep import (
    REPLACEMENT,
    is_address,
    scrub_import_files,
    sweep,
)
from scorecards.scoring.rescore import rescore
from scorecards.sources.models import Membership, ProductEvent

logger = logging.getLogger(__name__)

ANONYMISE = "anonymise"
DELETE = "delete"
MODES = (ANONYMISE, DELETE)


@dataclass(frozen=True, slots=True)
class Erasure:
    target: str  # as the audit log names it: "contact:12", "account:acme"
    mode: str
    removed: dict[str, int] = field(default_factory=dict)


def addresses_of(contacts: Sequence[Contact]) -> set[str]:
    """What identifies these people anywhere: their addresses, and their keys
    where a CRM keys contacts by address."""
    found = {contact.email.strip() for contact in contacts if contact.email.strip()}
    found |= {contact.key for contact in contacts if is_address(contact.key)}
    return found


def placeholder_key(contact_id: int) -> str:
    return f"erased-{contact_id}"


def erase_contact(
    *, contact: Contact, now: datetime, mode: str | None = None
) -> Erasure:
    """Erase one contact; ``mode`` defaults to the setting."""
    mode = mode or settings.ERASURE_ANSWERS
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")

    with transaction.atomic():
        # Locked as ingest locks, so a batch of signals for the account waits
        # and cannot attach an answer to a contact half erased.
        account = Account.objects.select_for_update().get(pk=contact.account_id)
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        pk, key, needles = contact.pk, contact.key, addresses_of([contact])

        removed = _surveys(contact, mode)
        removed |= _qbrs(contact, mode)
        removed |= _activity(contact)
        if mode == DELETE:
            removed["signals"] = contact.signals.all().delete()[0]
            contact.delete()
            rescore(Account.objects.filter(pk=account.pk), now=now)
        else:
            removed["signals"] = 0
            _make_placeholder(contact, now)
        removed["mentions"] = sweep(needles, skip=[Contact])
        removed["file_rows"] = scrub_import_files(
            needles=needles, rows_with=[(account.key, key)]
        )

        erasure = Erasure(f"contact:{pk}", mode, removed)
        record(
            "contact.erased",
            target=erasure.target,
            detail={"account": account.key, "mode": mode, "removed": removed},
            at=now,
        )
    logger.info(
        "contact %d of account %s erased (%s): %s",
        pk,
        account.key,
        mode,
        counts_text(removed),
    )
    return erasure


def _surveys(contact: Contact, mode: str) -> dict[str, int]:
    invitations = Invitation.objects.filter(contact=contact)
    answers = Answer.objects.filter(invitation__contact=contact)
    counts = {"answers": 0, "comments": 0, "invitations": 0, "survey_links": 0}
    if mode == DELETE:
        counts["answers"] = answers.count()
        counts["comments"] = answers.exclude(comment="").count()
        counts["invitations"] = invitations.count()
        counts["survey_links"] = invitations.exclude(token_hash=None).count()
        invitations.delete()
    else:
        counts["comments"] = answers.exclude(comment="").update(comment="")
        # An invitation never answered adds nothing to a score: it goes, so
        # no reminder is ever due to the placeholder.
        unanswered = invitations.filter(answer__isnull=True)
        counts["invitations"] = unanswered.count()
        counts["survey_links"] = invitations.exclude(token_hash=None).count()
        unanswered.delete()
        invitations.update(token_hash=None, nonce="")
    counts["unsubscribes"] = Unsubscribe.objects.filter(contact=contact).delete()[0]
    return counts


def _qbrs(contact: Contact, mode: str) -> dict[str, int]:
    """Out of the attendee lists (or in as the placeholder), and no longer named
    in the notes."""
    names = [contact.name.strip()] if len(contact.name.strip()) >= 3 else []
    words = [re.escape(text) for text in addresses_of([contact])]
    words += [rf"\b{re.escape(name)}\b" for name in names]
    pattern = re.compile("|".join(words), re.IGNORECASE) if words else None
    stand_in = [] if mode == DELETE else [placeholder_key(contact.pk)]

    attended = notes = 0
    for qbr in Qbr.objects.filter(account_id=contact.account_id):
        changed = []
        if contact.key in qbr.attendees:
            qbr.attendees = [
                key for key in qbr.attendees if key != contact.key
            ] + stand_in
            attended += 1
            changed.append("attendees")
        if pattern is not None and pattern.search(qbr.notes):
            qbr.notes = pattern.sub(REPLACEMENT, qbr.notes)
            notes += 1
            changed.append("notes")
        if changed:
            qbr.save(update_fields=changed)
    return {"qbr_attendances": attended, "qbr_notes": notes}


def _activity(contact: Contact) -> dict[str, int]:
    """Product activity under the contact's key (Segment's userId) keeps
    counting for the account, under the placeholder's key."""
    stand_in = placeholder_key(contact.pk)
    events = ProductEvent.objects.filter(
        account_id=contact.account_id, user_id=contact.key
    ).update(user_id=stand_in, anonymous_id="")
    memberships = Membership.objects.filter(
        account_id=contact.account_id, user_id=contact.key
    ).update(user_id=stand_in)
    return {"product_events": events, "memberships": memberships}


def _make_placeholder(contact: Contact, now: datetime) -> None:
    contact.key = placeholder_key(contact.pk)
    contact.name = ""
    contact.email = ""
    contact.updated_at = now
    contact.save(update_fields=["key", "name", "email", "updated_at"])


def erase_account(*, account: Account, now: datetime) -> Erasure:
    """Erase an account and everything under it."""
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        key = account.key
        needles = addresses_of(list(account.contacts.all()))

        _, deleted = account.delete()
        removed = {_kind(label): count for label, count in sorted(deleted.items())}
        removed["mentions"] = sweep(needles, skip=[Contact])
        removed["file_rows"] = scrub_import_files(needles=needles, rows_with=[(key,)])

        erasure = Erasure(f"account:{key}", "delete", removed)
        record(
            "account.erased",
            target=erasure.target,
            detail={"removed": removed},
            at=now,
        )
    logger.info("account %s erased: %s", key, counts_text(removed))
    return erasure


def _kind(label: str) -> str:
    """``ingest.Signal`` -> ``signals``: the audit entry's words for what went."""
    name = label.rpartition(".")[2]
    words = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return words + ("es" if words.endswith("s") else "s")


def counts_text(counts: dict[str, Any]) -> str:
    shown = [
        f"{count} {kind.replace('_', ' ')}" for kind, count in counts.items() if count
    ]
    return ", ".join(shown) or "nothing"
