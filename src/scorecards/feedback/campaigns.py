"""Campaigns: ask the chosen contacts by email, remind those who did not answer,
and turn each answer into signals at once.

1. ``launch_campaign`` invites every contact with an email in the chosen
   accounts and roles (but those who unsubscribed), and queues the sending.
2. ``send_due`` sends each invitation not yet sent; ``remind_due`` reminds the
   non-responders after the campaign's pause, at most its number of times.
   Each claims its invitation with a conditional update first, so several
   workers never send one email twice.
3. ``answer`` stores (or, before the campaign closes, replaces) an answer and
   its signals: the account's score has moved when it returns.

A link is ``/r/<token>``, the token an HMAC of the invitation under the secret
key: unguessable, different for each contact, and stored only as a hash.
Changing the secret key ends every link not yet answered.
"""

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F

from scorecards.accounts.models import Account, Contact
from scorecards.audit.log import record
from scorecards.feedback.forms import answer_signals, check_answer
from scorecards.feedback.models import (
    Answer,
    Campaign,
    CampaignStatus,
    FormKind,
    FormVersion,
    Invitation,
    Qbr,
    SurveyForm,
    Unsubscribe,
)
from scorecards.ingest.service import ingest_signals

logger = logging.getLogger(__name__)


class CampaignError(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


def token_for(invitation: Invitation) -> str:
    key = settings.SECRET_KEY.encode()
    mac = hmac.new(
        key, f"invitation:{invitation.pk}:{invitation.nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_for(token: str) -> Invitation | None:
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related(
            "campaign__version__form", "account", "contact"
        )
        .filter(token_hash=token_hash(token))
        .first()
    )


def link_for(invitation: Invitation) -> str:
    return f"{settings.BASE_URL}/r/{token_for(invitation)}"


def audience(spec: dict[str, list[str]], roles: list[str]) -> Any:
    accounts = Account.objects.all()
    if spec.get("segments"):
        accounts = accounts.filter(segment__in=spec["segments"])
    if spec.get("csms"):
        accounts = accounts.filter(csm__in=spec["csms"])
    if spec.get("accounts"):
        accounts = accounts.filter(key__in=spec["accounts"])
    contacts = Contact.objects.filter(account__in=accounts).exclude(email="")
    if spec.get("contacts"):
        contacts = contacts.filter(key__in=spec["contacts"])
    if roles:
        contacts = contacts.filter(role__in=roles)
    return contacts.filter(unsubscribed__isnull=True).select_related("account")


def launch_campaign(
    *,
    name: str,
    form: SurveyForm,
    segments: list[str],
    csms: list[str],
    accounts: list[str],
    roles: list[str],
    remind_after_days: int,
    max_reminders: int,
    closes_at: datetime,
    by: str,
    now: datetime,
    contacts: list[str] | None = None,
) -> Campaign:
    if form.current is None:
        raise CampaignError("survey", "has no questions yet")
    if closes_at <= now:
        raise CampaignError("closes_at", "must be in the future")
    spec = {
        "segments": segments,
        "csms": csms,
        "accounts": accounts,
        "contacts": contacts or [],
    }
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            version=form.current,
            audience=spec,
            roles=roles,
            remind_after_days=remind_after_days,
            max_reminders=max_reminders,
            closes_at=closes_at,
            created_by=by[:200],
            created_at=now,
        )
        invitations = Invitation.objects.bulk_create(
            Invitation(
                campaign=campaign,
                contact=contact,
                account=contact.account,
                nonce=secrets.token_hex(16),
            )
            for contact in audience(spec, roles)
        )
        for invitation in invitations:
            invitation.token_hash = token_hash(token_for(invitation))
        Invitation.objects.bulk_update(invitations, ["token_hash"])
        # Contacts are counted, never named: the log outlives an erasure.
        record(
            "campaign.launched",
            target=f"campaign:{campaign.pk}",
            after={
                "name": name,
                "survey": form.key,
                "segments": segments,
                "csms": csms,
                "accounts": accounts,
                "roles": roles,
                "closes_at": closes_at.isoformat(),
            },
            detail={"invited": len(invitations)},
            at=now,
        )
        from scorecards.feedback.tasks import send_invitations

        transaction.on_commit(lambda: send_invitations.enqueue())
    logger.info(
        "campaign %d (%s) launched by %s: %d contacts invited",
        campaign.pk,
        form.key,
        by,
        len(invitations),
    )
    return campaign


def send_due(*, now: datetime) -> int:
    """Send every invitation not sent yet, once; returns how many went."""
    due = Invitation.objects.filter(
        sent_at=None, claimed_at=None, campaign__status=CampaignStatus.OPEN
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due[:500]):
        if not Invitation.objects.filter(pk=pk, claimed_at=None).update(claimed_at=now):
            continue  # another worker has it
        invitation = Invitation.objects.select_related(
            "campaign__version__form", "account", "contact"
        ).get(pk=pk)
        if _email(invitation, reminder=False):
            Invitation.objects.filter(pk=pk).update(sent_at=now)
            sent += 1
        else:
            Invitation.objects.filter(pk=pk).update(claimed_at=None)  # again later
    if sent:
        logger.info("survey invitations: %d sent", sent)
    return sent


def remind_due(*, now: datetime) -> int:
    """Remind each invited contact who has not answered, after the campaign's
    pause, at most its number of times; returns how many were reminded."""
    due = Invitation.objects.filter(
        answered_at=None,
        sent_at__isnull=False,
        campaign__status=CampaignStatus.OPEN,
        reminders_sent__lt=F("campaign__max_reminders"),
        contact__unsubscribed__isnull=True,
    ).select_related("campaign")
    reminded = 0
    for invitation in list(due[:1000]):
        pause = timedelta(days=invitation.campaign.remind_after_days)
        last = invitation.last_reminded_at or invitation.sent_at
        if last is None or now - last < pause:
            continue
        claimed = Invitation.objects.filter(
            pk=invitation.pk, reminders_sent=invitation.reminders_sent
        ).update(reminders_sent=F("reminders_sent") + 1, last_reminded_at=now)
        if not claimed:
            continue
        full = Invitation.objects.select_related(
            "campaign__version__form", "account", "contact"
        ).get(pk=invitation.pk)
        if _email(full, reminder=True):
            reminded += 1
        else:
            Invitation.objects.filter(pk=invitation.pk).update(
                reminders_sent=F("reminders_sent") - 1, last_reminded_at=last
            )
    if reminded:
        logger.info("survey reminders: %d sent", reminded)
    return reminded


def close_due(*, now: datetime) -> int:
    closed = Campaign.objects.filter(
        status=CampaignStatus.OPEN, closes_at__lte=now
    ).update(status=CampaignStatus.CLOSED)
    if closed:
        logger.info("survey campaigns closed: %d", closed)
    return closed


def _email(invitation: Invitation, *, reminder: bool) -> bool:
    account = invitation.account.name or invitation.account.key
    form = invitation.campaign.version.form
    link = link_for(invitation)
    subject = f"{'Reminder: ' if reminder else ''}{form.title} ({account})"
    body = (
        f"Hello,\n\nWe would value your view of how our work with {account} is "
        f"going. It takes a minute:\n\n{link}\n\nThe link is yours alone and works "
        f"until {invitation.campaign.closes_at:%Y-%m-%d}.\n\n"
        f"To not be asked again: {link}/unsubscribe\n"
    )
    try:
        send_mail(subject[:200], body, None, [invitation.contact.email])
    except OSError as error:
        # The error names no address: logs carry no personal data.
        logger.warning(
            "invitation %d: the email failed: %s", invitation.pk, type(error).__name__
        )
        return False
    return True


@dataclass(frozen=True)
class Answered:
    invitation: Invitation
    replaced: bool


def is_open(invitation: Invitation, now: datetime) -> bool:
    campaign = invitation.campaign
    return campaign.status == CampaignStatus.OPEN and campaign.closes_at > now


def answer(
    *, invitation: Invitation, values: dict[str, Any], comment: str, now: datetime
) -> Answered:
    """Store the answer and its signals (the score moves now); an answer given
    again before the campaign closes replaces the first."""
    if not is_open(invitation, now):
        raise CampaignError("campaign", "is closed")
    version: FormVersion = invitation.campaign.version
    kind = version.form.kind
    numbers = check_answer(kind, version, values)
    with transaction.atomic():
        stored, created = Answer.objects.update_or_create(
            invitation=invitation,
            defaults={"values": numbers, "comment": comment[:4000], "updated_at": now},
            create_defaults={
                "values": numbers,
                "comment": comment[:4000],
                "answered_at": now,
                "updated_at": now,
            },
        )
        if created:
            invitation.answered_at = now
            invitation.save(update_fields=["answered_at"])
        signals = answer_signals(
            kind=kind,
            version=version,
            values=numbers,
            account=invitation.account.key,
            contact=invitation.contact.key,
            ident=f"invitation-{invitation.pk}",
            at=stored.answered_at,
        )
        ingest_signals(signals, now=now, replace=True)
    logger.info("invitation %d answered%s", invitation.pk, "" if created else " again")
    return Answered(invitation, replaced=not created)


def unsubscribe(*, invitation: Invitation, now: datetime) -> None:
    _, created = Unsubscribe.objects.get_or_create(
        contact=invitation.contact, defaults={"at": now}
    )
    if created:
        logger.info("contact %d unsubscribed from surveys", invitation.contact_id)


def coverage(
    account: Account, *, now: datetime, executive_days: int = 180
) -> dict[str, Any]:
    """Who was asked, who answered, by role and when; and whether an executive
    has been heard lately."""
    roles: dict[str, dict[str, Any]] = {}
    for contact in account.contacts.all():
        entry = roles.setdefault(
            contact.role or "none",
            {
                "role": contact.role or "none",
                "contacts": 0,
                "asked": 0,
                "answered": 0,
                "last_asked_at": None,
                "last_answered_at": None,
            },
        )
        entry["contacts"] += 1
    invitations = Invitation.objects.filter(account=account, sent_at__isnull=False)
    for role, sent_at, answered_at in invitations.values_list(
        "contact__role", "sent_at", "answered_at"
    ):
        entry = roles[role or "none"]
        entry["asked"] += 1
        entry["last_asked_at"] = max(filter(None, [entry["last_asked_at"], sent_at]))
        if answered_at is not None:
            entry["answered"] += 1
            entry["last_answered_at"] = max(
                filter(None, [entry["last_answered_at"], answered_at])
            )
    executive = roles.get("executive_sponsor", {}).get("last_answered_at")
    return {
        "roles": sorted(roles.values(), key=lambda r: r["role"]),
        "executive_heard_at": executive,
        "no_executive_voice": executive is None
        or now - executive > timedelta(days=executive_days),
    }


def record_qbr(
    *,
    account: Account,
    form: SurveyForm,
    held_at: datetime,
    attendees: list[str],
    notes: str,
    ratings: dict[str, Any],
    invite_attendees: bool,
    closes_at: datetime,
    by: str,
    now: datetime,
) -> Qbr:
    """Store a QBR and the CSM's rating of its rubric as signals (``qbr_score``
    and one per item); and, if asked, send the attendees the same form."""
    version = form.current
    if version is None or form.kind != FormKind.QBR:
        raise CampaignError("survey", "must be a survey of kind qbr")
    known = set(account.contacts.values_list("key", flat=True))
    strangers = sorted(set(attendees) - known)
    if strangers:
        raise CampaignError(
            "attendees", f"not contacts of {account.key}: " + ", ".join(strangers)
        )
    numbers = check_answer(FormKind.QBR, version, ratings)
    with transaction.atomic():
        qbr = Qbr.objects.create(
            account=account,
            version=version,
            held_at=held_at,
            attendees=attendees,
            notes=notes[:10000],
            ratings=numbers,
            recorded_by=by[:200],
            recorded_at=now,
        )
        signals = answer_signals(
            kind=FormKind.QBR,
            version=version,
            values=numbers,
            account=account.key,
            contact=None,
            ident=f"qbr-{qbr.pk}",
            at=held_at,
            source="qbr",
        )
        ingest_signals(signals, now=now, replace=True)
        if invite_attendees and attendees:
            qbr.campaign = launch_campaign(
                name=f"QBR {account.key} {held_at:%Y-%m-%d}",
                form=form,
                segments=[],
                csms=[],
                accounts=[account.key],
                roles=[],
                remind_after_days=5,
                max_reminders=1,
                closes_at=closes_at,
                by=by,
                now=now,
                contacts=attendees,
            )
            qbr.save(update_fields=["campaign"])
    logger.info(
        "account %s: QBR of %s recorded by %s",
        account.key,
        held_at.date().isoformat(),
        by,
    )
    return qbr
