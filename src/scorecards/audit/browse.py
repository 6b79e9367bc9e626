"""Finding audit entries: one set of filters for the web page, the CSV export
and the API, and the CSV itself."""

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet

from scorecards.audit.actors import LABELS, ActorKind
from scorecards.audit.models import AuditEntry
from scorecards.lib.spreadsheet import safe_cell

CSV_HEADER = [
    "at", "actor_kind", "actor", "action", "target", "before", "after", "detail",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Filters:
    action: str = ""  # "override" matches every override.* action
    actor: str = ""  # part of a username or token name
    target: str = ""  # part of "kind:key"
    since: date | None = None  # UTC days, both included
    until: date | None = None


def entries(filters: Filters) -> QuerySet[AuditEntry]:
    found = AuditEntry.objects.all()
    if filters.action:
        action = filters.action.strip()
        found = found.filter(action__startswith=action)
    if filters.actor:
        found = found.filter(actor__icontains=filters.actor.strip())
    if filters.target:
        found = found.filter(target__icontains=filters.target.strip())
    if filters.since:
        found = found.filter(at__gte=_midnight(filters.since))
    if filters.until:
        found = found.filter(at__lt=_midnight(filters.until + timedelta(days=1)))
    return found.order_by("-at", "-id")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def actions() -> list[str]:
    """Every action recorded so far, for a filter's choices."""
    return sorted(AuditEntry.objects.values_list("action", flat=True).distinct())


def who(entry: AuditEntry) -> str:
    return f"{LABELS[ActorKind(entry.actor_kind)]} {entry.actor}".strip()


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(found: QuerySet[AuditEntry]) -> Iterator[str]:
    """The entries as CSV rows, a chunk at a time; every text cell neutralized
    against formula injection, since keys and names come from outside."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for entry in found.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                entry.at.astimezone(UTC).isoformat(),
                entry.actor_kind,
                safe_cell(entry.actor),
                entry.action,
                safe_cell(entry.target),
                safe_cell(_json(entry.before)),
                safe_cell(_json(entry.after)),
                safe_cell(_json(entry.detail)),
            ]
        )


def _json(value: Any) -> str:
    if value is None or value == {}:
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
