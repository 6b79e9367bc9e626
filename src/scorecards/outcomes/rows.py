"""Reading an outcome from text, as the CSV import and the API both receive it."""

from typing import Any

from scorecards.lib.outcomes import derived_id, parse_decided, parse_kind

Fault = tuple[str | None, str]

LIMITS = {"account": 200, "source": 100, "id": 200}


def read_outcome(fields: dict[str, str], source: str) -> tuple[Any, list[Fault]]:
    """One CSV row as the item ``upsert_outcomes`` takes, or its faults."""
    faults: list[Fault] = [
        (column, f"is longer than {limit} characters")
        for column, limit in LIMITS.items()
        if len(fields.get(column, "")) > limit
    ]
    for column in ("account", "outcome", "decided_at"):
        if not fields.get(column):
            faults.append((column, "is empty"))
    kind = decided_at = None
    if fields.get("outcome"):
        try:
            kind = parse_kind(fields["outcome"])
        except ValueError as error:
            faults.append(("outcome", str(error)))
    if fields.get("decided_at"):
        try:
            decided_at = parse_decided(fields["decided_at"])
        except ValueError as error:
            faults.append(("decided_at", str(error)))
    if faults or kind is None or decided_at is None:
        return None, faults

    account = fields["account"]
    item = {
        "account": account,
        "kind": kind,
        "decided_at": decided_at,
        "source": fields.get("source") or source,
        "id": fields.get("id") or derived_id(account, decided_at),
    }
    return item, []
