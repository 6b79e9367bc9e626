"""Product activity in Segment's tracking format, turned into daily metrics.

Calls arrive as Segment's libraries send them (``track``, ``page``, ``screen``,
``identify``, ``group``), each with a ``messageId`` that makes it count once.

- ``group`` ties a user to an account: the account whose key is the groupId,
  or the group trait the source's ``account_trait`` names.
- ``identify`` updates a known contact's name and email from its traits; the
  contact is the one whose key is the userId, in the user's account.
- ``track``, ``page`` and ``screen`` are kept as events of the user's account
  (or of ``context.groupId``'s); those of a user not yet in a group wait, and
  join the account when a ``group`` call places the user.

The source's activity rules turn an account's events into one value per rule
per UTC day (a count, a number of distinct users, a sum of a property), stored
as a signal observed at 00:00 UTC that day, with the id ``metric:account:day``: when a
late event changes a day, the day's signal is replaced, and the account is
scored again before the call returns.
"""

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q

from scorecards.accounts.models import Account, Contact
from scorecards.engine.signals import Signal, check_moment
from scorecards.ingest.service import ingest_signals
from scorecards.lib.csvtable import parse_time
from scorecards.sources.models import Membership, ProductEvent, Source

logger = logging.getLogger(__name__)

MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
EVENT_TYPES = ("track", "page", "screen")
CALL_TYPES = (*EVENT_TYPES, "identify", "group", "alias")
# What a rule's ``events`` calls page and screen views, beside track events' names.
VIEW_NAMES = {"page": "$page", "screen": "$screen"}


class BadCall(Exception):
    """A call that does not follow the tracking spec; says which and why."""


@dataclass
class Outcome:
    events: int = 0
    duplicates: int = 0
    memberships: int = 0
    contacts_updated: int = 0
    skipped: list[str] = field(default_factory=list)
    rescored: int = 0


@dataclass(frozen=True, slots=True)
class Call:
    kind: str
    message_id: str
    user_id: str
    anonymous_id: str
    timestamp: datetime
    event: str
    properties: dict[str, Any]
    traits: dict[str, Any]
    group_id: str
    context_group: str


def read_calls(messages: Any, *, received_at: datetime) -> list[Call]:
    """Check every message of a batch; BadCall names the first bad one."""
    if not isinstance(messages, list):
        raise BadCall("batch: must be a list of calls")
    calls = []
    for index, message in enumerate(messages):
        where = f"batch[{index}]"
        size = len(json.dumps(message, default=str).encode())
        if size > MAX_EVENT_BYTES:
            raise BadCall(f"{where}: {size:,} bytes; a call may have at most 32 KB")
        calls.append(read_call(message, received_at=received_at, where=where))
    return calls


def read_call(message: Any, *, received_at: datetime, where: str = "call") -> Call:
    if not isinstance(message, dict):
        raise BadCall(f"{where}: must be an object")
    kind = message.get("type")
    if kind not in CALL_TYPES:
        raise BadCall(f"{where}.type: must be one of {', '.join(CALL_TYPES)}")
    user_id = _text(message, "userId", where)
    anonymous_id = _text(message, "anonymousId", where)
    if not user_id and not anonymous_id:
        raise BadCall(f"{where}: needs a userId or an anonymousId")

    timestamp = received_at
    if message.get("timestamp") is not None:
        try:
            timestamp = parse_time(str(message["timestamp"]))
        except ValueError as error:
            raise BadCall(f"{where}.timestamp: {error}") from None
    message_id = _text(message, "messageId", where) or _derived_message_id(message)

    context = message.get("context") or {}
    if not isinstance(context, dict):
        raise BadCall(f"{where}.context: must be an object")
    event = _text(message, "event", where)
    if kind == "track" and not event:
        raise BadCall(f"{where}.event: a track call names its event")
    if kind in VIEW_NAMES:
        event = VIEW_NAMES[kind]
    group_id = _text(message, "groupId", where)
    if kind == "group" and not group_id:
        raise BadCall(f"{where}.groupId: a group call names its group")

    return Call(
        kind=kind,
        message_id=message_id,
        user_id=user_id,
        anonymous_id=anonymous_id,
        timestamp=timestamp,
        event=event,
        properties=_object(message, "properties", where),
        traits=_object(message, "traits", where),
        group_id=group_id,
        context_group=str(context.get("groupId") or "")[:200],
    )


def _text(message: dict[str, Any], name: str, where: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadCall(f"{where}.{name}: must be text")
    text = str(value).strip()
    if len(text) > 200:
        raise BadCall(f"{where}.{name}: at most 200 characters")
    return text


def _object(message: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = message.get(name) or {}
    if not isinstance(value, dict):
        raise BadCall(f"{where}.{name}: must be an object")
    return value


def _derived_message_id(message: dict[str, Any]) -> str:
    """A call sent without a messageId still counts once when sent again."""
    text = json.dumps(message, sort_keys=True, default=str)
    return "derived-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def receive(source: Source, calls: Sequence[Call], *, now: datetime) -> Outcome:
    """Store a batch of calls, all or nothing, and bring the metrics they
    change up to date."""
    outcome = Outcome()
    with transaction.atomic():
        changed_days: dict[int, set[date]] = defaultdict(set)
        for call in calls:
            if call.kind == "group":
                _group(source, call, now, outcome, changed_days)
            elif call.kind == "identify":
                _identify(source, call, outcome)
        _store_events(source, calls, now, outcome, changed_days)
        if changed_days:
            outcome.rescored = _refresh_metrics(source, changed_days, now)
    return outcome


def _account_key(source: Source, call: Call) -> str:
    trait = source.settings.get("account_trait")
    if trait:
        return str(call.traits.get(trait) or "").strip()
    return call.group_id


def _group(
    source: Source,
    call: Call,
    now: datetime,
    outcome: Outcome,
    changed_days: dict[int, set[date]],
) -> None:
    key = _account_key(source, call)
    account = Account.objects.filter(key=key).first() if key else None
    if account is None:
        outcome.skipped.append(f"group {call.message_id}: unknown account {key!r}")
        return
    user = call.user_id or call.anonymous_id
    Membership.objects.update_or_create(
        source=source,
        user_id=user,
        defaults={"account": account, "updated_at": now},
    )
    outcome.memberships += 1
    # The user's events that waited for a group join the account now.
    mine = Q(user_id=user) | Q(user_id="", anonymous_id=user)
    waiting = ProductEvent.objects.filter(mine, source=source, account=None)
    days = {stamp.date() for stamp in waiting.values_list("timestamp", flat=True)}
    if days:
        waiting.update(account=account)
        changed_days[account.pk].update(days)


def _identify(source: Source, call: Call, outcome: Outcome) -> None:
    if not call.user_id:
        return
    contacts = Contact.objects.filter(key=call.user_id)
    member = Membership.objects.filter(source=source, user_id=call.user_id).first()
    if member is not None:
        contacts = contacts.filter(account_id=member.account_id)
    found = list(contacts[:2])
    if len(found) != 1:
        return  # not a known contact, or ambiguous without a group
    contact = found[0]
    name = call.traits.get("name") or " ".join(
        str(call.traits[part])
        for part in ("firstName", "lastName")
        if call.traits.get(part)
    )
    email = call.traits.get("email")
    changed = []
    if isinstance(name, str) and name.strip() and name.strip() != contact.name:
        contact.name = name.strip()[:300]
        changed.append("name")
    if isinstance(email, str) and "@" in email and email.strip() != contact.email:
        contact.email = email.strip()[:254]
        changed.append("email")
    if changed:
        contact.save(update_fields=[*changed, "updated_at"])
        outcome.contacts_updated += 1


def _store_events(
    source: Source,
    calls: Sequence[Call],
    now: datetime,
    outcome: Outcome,
    changed_days: dict[int, set[date]],
) -> None:
    events = [call for call in calls if call.kind in EVENT_TYPES]
    if not events:
        return
    users = {call.user_id or call.anonymous_id for call in events}
    members = dict(
        Membership.objects.filter(source=source, user_id__in=users).values_list(
            "user_id", "account_id"
        )
    )
    groups = {call.context_group for call in events if call.context_group}
    named = dict(Account.objects.filter(key__in=groups).values_list("key", "pk"))

    known = set(
        ProductEvent.objects.filter(
            source=source, message_id__in=[call.message_id for call in events]
        ).values_list("message_id", flat=True)
    )
    rows = []
    for call in events:
        if call.message_id in known:
            outcome.duplicates += 1
            continue
        known.add(call.message_id)
        account_id = named.get(call.context_group) or members.get(
            call.user_id or call.anonymous_id
        )
        rows.append(
            ProductEvent(
                source=source,
                message_id=call.message_id,
                kind=call.kind,
                event=call.event[:200],
                user_id=call.user_id,
                anonymous_id=call.anonymous_id,
                account_id=account_id,
                properties=call.properties,
                timestamp=call.timestamp,
                received_at=now,
            )
        )
        if account_id is not None:
            changed_days[account_id].add(call.timestamp.date())
    ProductEvent.objects.bulk_create(rows)
    outcome.events += len(rows)


def _refresh_metrics(
    source: Source, changed_days: dict[int, set[date]], now: datetime
) -> int:
    """Compute every rule's value again for the days the new events reach."""
    rules = source.settings.get("rules") or []
    if not rules:
        return 0
    today = now.date()
    longest = max(rule["days"] for rule in rules)
    keys = dict(Account.objects.filter(pk__in=changed_days).values_list("pk", "key"))
    signals = []
    for account_id, days in changed_days.items():
        first, last = min(days), min(max(days) + timedelta(days=longest - 1), today)
        events = list(
            ProductEvent.objects.filter(
                source=source,
                account_id=account_id,
                timestamp__gte=_midnight(first - timedelta(days=longest - 1)),
                timestamp__lt=_midnight(last + timedelta(days=1)),
            ).values_list("event", "user_id", "anonymous_id", "properties", "timestamp")
        )
        for rule in rules:
            reach = timedelta(days=rule["days"] - 1)
            due = _days_reached(days, reach, today)
            for day in sorted(due):
                value = _value(rule, events, day - reach, day)
                signals.append(
                    Signal(
                        account=keys[account_id],
                        metric=rule["metric"],
                        value=value,
                        observed_at=check_moment(_midnight(day)),
                        source=source.name,
                        id=f"{rule['metric']}:{keys[account_id]}:{day.isoformat()}",
                    )
                )
    if not signals:
        return 0
    return ingest_signals(signals, now=now, replace=True).rescored


def _days_reached(days: Iterable[date], reach: timedelta, today: date) -> set[date]:
    """The days whose window holds one of ``days``: each day and the ``reach``
    after it, up to today."""
    due = set()
    for day in days:
        current = day
        while current <= min(day + reach, today):
            due.add(current)
            current += timedelta(days=1)
    return due


def _value(
    rule: dict[str, Any], events: list[tuple[Any, ...]], first: date, last: date
) -> float:
    wanted = set(rule["events"])
    start, end = _midnight(first), _midnight(last + timedelta(days=1))
    chosen = [
        row
        for row in events
        if start <= row[4] < end and ("*" in wanted or row[0] in wanted)
    ]
    if rule["aggregate"] == "count":
        return float(len(chosen))
    if rule["aggregate"] == "distinct_users":
        return float(len({row[1] or row[2] for row in chosen}))
    total = 0.0
    for row in chosen:
        amount = row[3].get(rule["property"]) if isinstance(row[3], dict) else None
        if isinstance(amount, int | float) and not isinstance(amount, bool):
            total += float(amount)
    return total


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
