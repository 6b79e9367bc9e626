"""One CSV row of each kind of import, read into what the services take.

A row is read on its own, knowing nothing of the database: references to
accounts and contacts are checked by the import, in bulk. Each fault is a
``(column, message)``; the column is ours (``observed_at``), and the import
says it in the file's own words.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pydantic

from scorecards.accounts.api import AccountIn, ContactIn
from scorecards.api.errors import describe
from scorecards.engine.signals import Signal, derived_id
from scorecards.lib.csvtable import parse_number, parse_time
from scorecards.outcomes.rows import read_outcome

Fault = tuple[str | None, str]

# The stored columns' lengths: longer text would fail at the database, midway.
LIMITS = {"account": 200, "metric": 200, "contact": 200, "source": 100, "id": 200}


@dataclass(frozen=True, slots=True)
class Kind:
    """What one kind of import reads: its columns, and how a row becomes an item."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    read: Callable[[dict[str, str], str], tuple[Any, list[Fault]]]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


def read_signal(fields: dict[str, str], source: str) -> tuple[Any, list[Fault]]:
    """A Signal with its source and id always set: a row without an id gets one
    from its content, so the same row imported twice is stored once."""
    faults: list[Fault] = []
    if max(map(len, fields.values())) > min(LIMITS.values()):
        faults = _lengths(fields)
    for column in ("account", "metric", "value", "observed_at"):
        if not fields.get(column):
            faults.append((column, "is empty"))
    value = observed_at = None
    if fields.get("value"):
        try:
            value = parse_number(fields["value"])
        except ValueError as error:
            faults.append(("value", str(error)))
    if fields.get("observed_at"):
        try:
            observed_at = parse_time(fields["observed_at"])
        except ValueError as error:
            faults.append(("observed_at", str(error)))
    if faults or value is None or observed_at is None:
        return None, faults

    account, metric = fields["account"], fields["metric"]
    contact = fields.get("contact") or None
    ident = fields.get("id") or derived_id(account, metric, value, observed_at, contact)
    signal = Signal(
        account=account,
        metric=metric,
        value=value,
        observed_at=observed_at,
        contact=contact,
        source=fields.get("source") or source,
        id=ident,
    )
    return signal, []


def _lengths(fields: dict[str, str]) -> list[Fault]:
    return [
        (column, f"is longer than {limit} characters")
        for column, limit in LIMITS.items()
        if len(fields.get(column, "")) > limit
    ]


ACCOUNT_COLUMNS = ("name", "segment", "tier", "csm", "arr", "renewal_date")


def read_account(fields: dict[str, str], source: str) -> tuple[Any, list[Fault]]:
    """An account's fields; every column we do not know becomes an attribute,
    as in the offline command's accounts file. An empty cell clears the field."""
    item: dict[str, Any] = {"key": fields.get("account", "")}
    attributes = {}
    for column, value in fields.items():
        if column in ACCOUNT_COLUMNS:
            item[column] = value or None
        elif column != "account" and value:
            attributes[column] = value
    item["attributes"] = attributes
    return _validated(AccountIn, item, {"key": "account"})


def read_contact(fields: dict[str, str], source: str) -> tuple[Any, list[Fault]]:
    item = {
        "account": fields.get("account", ""),
        "key": fields.get("contact", ""),
        **{
            column: fields.get(column) or None
            for column in ("role", "name", "email")
            if column in fields
        },
    }
    return _validated(ContactIn, item, {"key": "contact"})


def _validated(
    schema: type[pydantic.BaseModel], item: dict[str, Any], columns: dict[str, str]
) -> tuple[Any, list[Fault]]:
    """``item`` checked by the API's own rules, each fault under its column."""
    try:
        return schema.model_validate(item).model_dump(exclude_unset=True), []
    except pydantic.ValidationError as error:
        faults: list[Fault] = []
        for problem in error.errors(include_url=False):
            loc = [str(part) for part in problem["loc"]]
            column = columns.get(loc[0], loc[0]) if loc else None
            if loc and loc[0] == "attributes" and len(loc) > 1:
                column = loc[1]
            message = describe(problem)
            if problem["type"] == "string_too_short":
                message = "is empty"
            faults.append((column, message))
        return None, faults


SIGNALS = Kind(
    "signals",
    required=("account", "metric", "value", "observed_at"),
    optional=("contact", "source", "id"),
    read=read_signal,
)
ACCOUNTS = Kind("accounts", required=("account",), optional=ACCOUNT_COLUMNS,
                read=read_account)  # fmt: skip
CONTACTS = Kind(
    "contacts",
    required=("account", "contact"),
    optional=("role", "name", "email"),
    read=read_contact,
)
OUTCOMES = Kind(
    "outcomes",
    required=("account", "outcome", "decided_at"),
    optional=("source", "id"),
    read=read_outcome,
)
KINDS = {kind.name: kind for kind in (SIGNALS, ACCOUNTS, CONTACTS, OUTCOMES)}
