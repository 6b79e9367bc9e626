"""``GET /audit``: the audit log, newest first, filtered and a page at a time.

There is no route to change or delete an entry.
"""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from pydantic import BaseModel, ConfigDict, Field

from scorecards.audit.browse import Filters, entries
from scorecards.audit.models import AuditEntry

router = Router(tags=["audit"])


class AuditFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(
        default="", max_length=60,
        description="an action, or its start: `override` finds override.set, "
        "override.ended and override.expired",
    )  # fmt: skip
    actor: str = Field(default="", max_length=200, description="part of a name")
    target: str = Field(
        default="", max_length=300, description="part of the target, `kind:key`"
    )
    since: date | None = Field(default=None, description="first UTC day, included")
    until: date | None = Field(default=None, description="last UTC day, included")
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=10**9)


class EntryOut(BaseModel):
    id: int
    at: datetime
    actor_kind: str = Field(description="user, token, command or system")
    actor: str = Field(description="the username or token name; empty for system")
    action: str
    target: str
    before: Any = Field(description="the state before the change, where it had one")
    after: Any = Field(description="the state after the change, where it has one")
    detail: dict[str, Any]


class AuditPage(BaseModel):
    total: int
    limit: int
    offset: int
    entries: list[EntryOut]


@router.get("/audit", response=AuditPage, summary="The audit log")
def list_entries(request: HttpRequest, filters: Query[AuditFilters]) -> dict[str, Any]:
    """Who changed configuration or what a score says, newest first."""
    found = entries(
        Filters(
            action=filters.action,
            actor=filters.actor,
            target=filters.target,
            since=filters.since,
            until=filters.until,
        )
    )
    page = found[filters.offset : filters.offset + filters.limit]
    return {
        "total": found.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "entries": [_out(entry) for entry in page],
    }


def _out(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "at": entry.at,
        "actor_kind": entry.actor_kind,
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
        "detail": entry.detail,
    }
