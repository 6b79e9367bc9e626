"""The Salesforce connector: accounts, contacts and metrics from a Salesforce org.

A sync reads everything first and writes after, in one transaction: when
Salesforce answers with an error (or cannot be reached) halfway, nothing is
written and the data from the last good sync stays as it was.

- Accounts and contacts are read incrementally, by ``SystemModstamp`` since the
  last good sync, following ``nextRecordsUrl`` pages (the client's
  ``query_all``). An account's key is its ``accounts.key`` field (``Id`` by
  default); its Salesforce Id is kept as the attribute ``salesforce_id``, which
  is how contacts and metric records find it.
- Each metric query is read whole (a count of open cases is about now, not
  about what changed) and becomes one signal per linked account, with the id
  ``metric:account:YYYY-MM-DD``: synced again the same day, the day's value is replaced.
- With ``outcomes`` set, closed renewal opportunities are read whole and become
  outcomes (renewal, churn, ...) by their stage, each stored once by its
  Opportunity Id: a closed deal synced again is the same outcome.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from scorecards.accounts.models import Account
from scorecards.accounts.service import upsert_accounts, upsert_contacts
from scorecards.engine.signals import Signal
from scorecards.ingest.service import MAX_BATCH, ingest_signals
from scorecards.lib.secrets import SecretUnavailable, read_secret
from scorecards.outcomes.service import upsert_outcomes
from scorecards.sources.models import Source, SourceKind, SyncRun, SyncStatus

logger = logging.getLogger(__name__)

SF_ID = "salesforce_id"


class SyncFailed(Exception):
    """Salesforce could not be read; nothing was written."""


@dataclass
class SyncReport:
    source: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def new_session() -> requests.Session | None:
    """The HTTP session the client uses; None lets it make its own. Tests put
    a session here that reaches a local stand-in for Salesforce."""
    return None


def _secret(reference: dict[str, str] | None, what: str) -> str:
    try:
        return read_secret(reference, what)
    except SecretUnavailable as error:
        raise SyncFailed(str(error)) from None


def connect(settings: dict[str, Any]) -> Salesforce:
    login = settings["login"]
    common: dict[str, Any] = {"domain": login["domain"], "version": login["version"]}
    session = new_session()
    if session is not None:
        common["session"] = session
    try:
        if login["method"] == "password":
            return Salesforce(
                username=login["username"],
                password=_secret(login["password"], "login.password"),
                security_token=_secret(login["security_token"], "login.security_token"),
                **common,
            )
        return Salesforce(
            consumer_key=login["consumer_key"],
            consumer_secret=_secret(login["consumer_secret"], "login.consumer_secret"),
            **common,
        )
    except (SalesforceError, requests.RequestException) as error:
        raise SyncFailed(f"login failed: {_describe(error)}") from None


def _describe(error: Exception) -> str:
    """What Salesforce said, in a line; never the credentials."""
    content = getattr(error, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        return f"{first.get('errorCode', 'error')}: {first.get('message', '')}"
    message = getattr(error, "auth_message", None) or str(error)
    return f"{type(error).__name__}: {message}"[:500]


@dataclass
class _Fetched:
    accounts: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    roles: list[dict[str, Any]]
    metrics: dict[str, list[dict[str, Any]]]
    outcomes: list[dict[str, Any]] = field(default_factory=list)


def sync(source: Source, *, now: datetime) -> SyncReport:
    """Run one sync of ``source``; SyncFailed (recorded, logged) when it cannot."""
    started = time.perf_counter()
    run = SyncRun.objects.create(
        source=source, status=SyncStatus.RUNNING, started_at=now
    )
    settings = source.settings
    try:
        client = connect(settings)
        fetched = _fetch(client, settings, source.state)
        with transaction.atomic():
            counts = _write(source, settings, fetched, now)
    except SyncFailed as failure:
        _finish(run, SyncStatus.FAILED, error=str(failure))
        logger.warning(
            "salesforce %s: sync failed, nothing changed: %s", source.name, failure
        )
        raise
    except (SalesforceError, requests.RequestException) as error:
        message = _describe(error)
        _finish(run, SyncStatus.FAILED, error=message)
        logger.warning(
            "salesforce %s: sync failed, nothing changed: %s", source.name, message
        )
        raise SyncFailed(message) from None
    except Exception as error:
        _finish(run, SyncStatus.FAILED, error=f"stopped by an error: {error}")
        raise

    report = SyncReport(source.name, counts, time.perf_counter() - started)
    _finish(run, SyncStatus.DONE, counts=counts)
    logger.info(
        "salesforce %s: synced in %.1f s: %s",
        source.name,
        report.seconds,
        ", ".join(f"{name} {count}" for name, count in counts.items()),
    )
    return report


def _finish(
    run: SyncRun,
    status: SyncStatus,
    *,
    error: str = "",
    counts: dict[str, int] | None = None,
) -> None:
    run.status, run.error = status, error
    run.counts = counts or {}
    run.finished_at = datetime.now(UTC)
    run.save(update_fields=["status", "error", "counts", "finished_at"])


def _fetch(
    client: Salesforce, settings: dict[str, Any], state: dict[str, Any]
) -> _Fetched:
    fields = settings["accounts"]
    wanted = {"Id", "SystemModstamp", fields["key"], fields["name"]}
    wanted.update(
        fields[name]
        for name in ("segment", "tier", "arr", "renewal_date")
        if fields[name]
    )
    wanted.update(fields["attributes"].values())
    if fields["csm_owner_email"]:
        wanted.add("Owner.Email")
    accounts = _query(client, "Account", wanted, state.get("accounts_since"))

    contacts: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    people = settings["contacts"]
    if people["sync"]:
        wanted = {"Id", "AccountId", "SystemModstamp", "Name", "Email", people["key"]}
        if people["role"]:
            wanted.add(people["role"])
        contacts = _query(client, "Contact", wanted, state.get("contacts_since"))
        if not people["role"]:
            roles = _query(
                client,
                "AccountContactRole",
                {"Id", "AccountId", "ContactId", "Role", "SystemModstamp"},
                state.get("roles_since"),
            )

    metrics = {
        query["metric"]: client.query_all(query["soql"])["records"]
        for query in settings["metrics"]
    }
    outcomes = []
    if settings.get("outcomes"):
        outcomes = client.query_all(settings["outcomes"]["soql"])["records"]
    return _Fetched(accounts, contacts, roles, metrics, outcomes)


def _query(
    client: Salesforce, sobject: str, fields: Iterable[str], since: str | None
) -> list[dict[str, Any]]:
    soql = f"SELECT {', '.join(sorted(fields))} FROM {sobject}"
    if since:
        soql += f" WHERE SystemModstamp > {since}"
    records: list[dict[str, Any]] = client.query_all(soql)["records"]
    return records


def _write(
    source: Source, settings: dict[str, Any], fetched: _Fetched, now: datetime
) -> dict[str, int]:
    counts = {"accounts": 0, "contacts": 0, "roles": 0, "signals": 0}
    if fetched.accounts:
        counts["accounts"] = _write_accounts(
            settings["accounts"], fetched.accounts, now
        )
    linked = _linked_accounts()
    if fetched.contacts or fetched.roles:
        counts["contacts"], counts["roles"] = _write_contacts(
            settings["contacts"], fetched, linked, now
        )
    if fetched.metrics:
        signals = _metric_signals(
            source, settings["metrics"], fetched.metrics, linked, now
        )
        for start in range(0, len(signals), MAX_BATCH):
            ingest_signals(signals[start : start + MAX_BATCH], now=now, replace=True)
        counts["signals"] = len(signals)
    if settings.get("outcomes"):
        items = _outcomes(source, settings["outcomes"], fetched.outcomes, linked)
        if items:
            upsert_outcomes(items, now=now)
        counts["outcomes"] = len(items)

    state = dict(source.state)
    for name, records in (
        ("accounts_since", fetched.accounts),
        ("contacts_since", fetched.contacts),
        ("roles_since", fetched.roles),
    ):
        latest = max(
            (r["SystemModstamp"] for r in records if r.get("SystemModstamp")),
            key=_instant,
            default=None,
        )
        if latest is not None:
            state[name] = _soql_time(_instant(latest))
    source.state = state
    source.save(update_fields=["state"])
    return counts


def _write_accounts(
    fields: dict[str, Any], records: list[dict[str, Any]], now: datetime
) -> int:
    keys = [
        str(record[fields["key"]]) for record in records if record.get(fields["key"])
    ]
    existing = dict(
        Account.objects.filter(key__in=keys).values_list("key", "attributes")
    )
    items = []
    for record in records:
        key = record.get(fields["key"])
        if not key:
            continue
        key = str(key)
        attributes = dict(existing.get(key) or {})
        attributes[SF_ID] = record["Id"]
        for ours, theirs in fields["attributes"].items():
            attributes[ours] = _value(record, theirs)
        item: dict[str, Any] = {
            "key": key,
            "name": str(_value(record, fields["name"]) or ""),
            "attributes": attributes,
        }
        for ours in ("segment", "tier"):
            if fields[ours]:
                item[ours] = str(_value(record, fields[ours]) or "")
        if fields["arr"]:
            item["arr"] = _money(_value(record, fields["arr"]))
        if fields["renewal_date"]:
            item["renewal_date"] = _day(_value(record, fields["renewal_date"]))
        if fields["csm_owner_email"]:
            item["csm"] = str(_value(record, "Owner.Email") or "")
        items.append(item)
    for start in range(0, len(items), 1000):
        upsert_accounts(items[start : start + 1000], now=now)
    return len(items)


def _linked_accounts() -> dict[str, str]:
    """Salesforce Account Id -> our account key, for every synced account."""
    linked = Account.objects.filter(attributes__has_key=SF_ID).values_list(
        "key", "attributes"
    )
    return {attributes[SF_ID]: key for key, attributes in linked}


def _write_contacts(
    fields: dict[str, Any],
    fetched: _Fetched,
    linked: dict[str, str],
    now: datetime,
) -> tuple[int, int]:
    """Contacts of synced accounts; their role from their own field, or from
    AccountContactRole. A role that changed on its own updates its contact
    (found by Id, so only when contacts are keyed by their Id)."""
    roles = {
        (role.get("AccountId"), role.get("ContactId")): _role(fields, role.get("Role"))
        for role in fetched.roles
    }
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for record in fetched.contacts:
        account = linked.get(record.get("AccountId") or "")
        key = record.get(fields["key"])
        if account is None or not key:
            continue  # a contact of an account we do not sync
        item: dict[str, Any] = {
            "account": account,
            "key": str(key),
            "name": record.get("Name") or "",
            "email": record.get("Email") or None,
        }
        if fields["role"]:
            item["role"] = _role(fields, record.get(fields["role"]))
        elif (record["AccountId"], record["Id"]) in roles:
            item["role"] = roles[(record["AccountId"], record["Id"])]
        items[(account, str(key))] = item
    contacts = len(items)

    if fields["key"] == "Id":
        for (account_id, contact_id), role in roles.items():
            account = linked.get(account_id or "")
            if account is not None and contact_id:
                items.setdefault(
                    (account, contact_id),
                    {"account": account, "key": contact_id, "role": role},
                )
    batch = list(items.values())
    for start in range(0, len(batch), 1000):
        upsert_contacts(batch[start : start + 1000], now=now)
    return contacts, len(roles)


def _outcomes(
    source: Source,
    query: dict[str, Any],
    records: list[dict[str, Any]],
    linked: dict[str, str],
) -> list[dict[str, Any]]:
    """Outcomes of synced accounts, from records at a stage the settings name."""
    items = []
    for record in records:
        account = linked.get(_value(record, query["account_field"]) or "")
        kind = query["stages"].get(str(_value(record, query["stage_field"])))
        closed = _value(record, query["date_field"])
        if account is None or kind is None or not closed:
            continue
        items.append(
            {
                "account": account,
                "kind": kind,
                "decided_at": _instant(closed),
                "source": source.name,
                "id": str(record["Id"]),
            }
        )
    return items


def _role(fields: dict[str, Any], role: Any) -> str:
    if not role:
        return ""
    text = str(role)
    mapped = fields["roles"].get(text)
    if mapped:
        return mapped
    return text.strip().lower().replace(" ", "_")[:100]


def _metric_signals(
    source: Source,
    queries: list[dict[str, Any]],
    results: dict[str, list[dict[str, Any]]],
    linked: dict[str, str],
    now: datetime,
) -> list[Signal]:
    signals = []
    day = now.astimezone(UTC).date().isoformat()
    for query in queries:
        grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in results[query["metric"]]:
            account_id = _value(record, query["account_field"])
            if account_id in linked:
                grouped[account_id].append(record)
        # A count is about every synced account: none found is a zero.
        accounts = linked if query["aggregate"] == "count" else grouped
        for account_id in accounts:
            value = _aggregate(query, grouped.get(account_id, []), now)
            if value is None:
                continue
            signals.append(
                Signal(
                    account=linked[account_id],
                    metric=query["metric"],
                    value=value,
                    observed_at=now,
                    source=source.name,
                    id=f"{query['metric']}:{linked[account_id]}:{day}",
                )
            )
    return signals


def _aggregate(
    query: dict[str, Any], records: list[dict[str, Any]], now: datetime
) -> float | None:
    """One account's value from its records; None when there is nothing to say."""
    if query["aggregate"] == "count":
        return float(len(records))
    raw = [_value(record, query["field"]) for record in records]
    if query["aggregate"] == "days_since":
        moments = [_instant(value) for value in raw if value]
        if not moments:
            return None
        return max((now - max(moments)).total_seconds() / 86400, 0.0)
    if query["aggregate"] == "latest":
        # The last record in the query's own order: write ORDER BY for it.
        return _number(query, raw[-1]) if raw else None
    numbers = [n for n in (_number(query, value) for value in raw) if n is not None]
    if not numbers:
        return None
    if query["aggregate"] == "sum":
        return float(sum(numbers))
    return min(numbers) if query["aggregate"] == "min" else max(numbers)


def _number(query: dict[str, Any], value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if query.get("values") and str(value) in query["values"]:
        return float(query["values"][str(value)])
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _value(record: dict[str, Any], path: str) -> Any:
    """A field of a record, following relationships: ``Owner.Email``."""
    current: Any = record
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


def _money(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _day(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _instant(text: str) -> datetime:
    """A Salesforce time (``2026-11-30T10:00:00.000+0000``, or a date) in UTC."""
    text = str(text)
    if len(text) == 10:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    if text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _soql_time(moment: datetime) -> str:
    """A time as a SOQL datetime literal."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def enqueue_due_syncs(*, now: datetime) -> list[str]:
    """Queue a sync of every Salesforce source whose time has come; each is
    claimed by one update, so two workers looking at once queue it once."""
    queued = []
    due = Source.objects.filter(kind=SourceKind.SALESFORCE, revoked_at=None).filter(
        Q(next_sync_at=None) | Q(next_sync_at__lte=now)
    )
    for source in due:
        every = timedelta(minutes=source.settings.get("every_minutes", 60))
        claimed = (
            Source.objects.filter(pk=source.pk)
            .filter(Q(next_sync_at=None) | Q(next_sync_at__lte=now))
            .update(next_sync_at=now + every)
        )
        if claimed:
            run_sync.enqueue(source.pk)
            queued.append(source.name)
            logger.info("salesforce %s: sync queued", source.name)
    return queued


@task()
def run_sync(source_id: int) -> dict[str, int]:
    source = Source.objects.get(pk=source_id)
    try:
        return sync(source, now=datetime.now(UTC)).counts
    except SyncFailed:
        return {}  # recorded on the SyncRun and logged
