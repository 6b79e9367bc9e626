"""Reading the offline command's CSV files, with every bad row reported by place.

Header names are matched without regard to case or surrounding spaces, so an
export from a CRM that upper-cases its columns reads as it is.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from scorecards.engine import HistoryBuilder
from scorecards.engine.signals import derived_id
from scorecards.lib.csvtable import (
    CsvTable,
    FileProblem,
    parse_number,
    parse_time,
)

# Re-exported for the score command.
__all__ = ["Book", "FileProblem", "parse_time"]


@dataclass
class Book:
    """What the offline command scores: accounts, their contacts and signals."""

    accounts: dict[str, dict[str, str]] = field(default_factory=dict)
    roles: dict[str, dict[str, str]] = field(default_factory=dict)
    signals: HistoryBuilder[str] = field(default_factory=HistoryBuilder)
    signal_count: int = 0
    repeated: int = 0


def read_accounts(path: Path, book: Book) -> list[FileProblem]:
    """Every column but ``account`` becomes an attribute that ``applies_to`` matches."""
    first_seen: dict[str, int] = {}
    with CsvTable(path, ("account",)) as table:
        names = list(table.columns)
        for line, row in table.rows():
            account = table.text(line, row, "account")
            if account is None:
                continue
            if account in first_seen:
                where = f"first on line {first_seen[account]}"
                table.fail(
                    f"account {account!r} is listed twice ({where})", line, "account"
                )
                continue

            first_seen[account] = line
            book.accounts[account] = {
                name: value.strip()
                for name, value in zip(names, row, strict=True)
                if name != "account" and value.strip()
            }
    return table.problems


def read_contacts(path: Path, book: Book, *, known_accounts: bool) -> list[FileProblem]:
    with CsvTable(path, ("account", "contact", "role")) as table:
        for line, row in table.rows():
            account = table.text(line, row, "account")
            contact = table.text(line, row, "contact")
            if account is None or contact is None:
                continue
            if known_accounts and account not in book.accounts:
                table.fail(f"unknown account {account!r}", line, "account")
                continue

            roles = book.roles.setdefault(account, {})
            if contact in roles:
                twice = f"contact {contact!r} of {account!r} is listed twice"
                table.fail(twice, line, "contact")
                continue
            roles[contact] = table.optional(row, "role") or ""
    return table.problems


def read_signals(path: Path, book: Book, *, known_accounts: bool) -> list[FileProblem]:
    """Signals in file order, which is their receipt order.

    A row repeating an earlier row's (source, id) is a retried delivery: it is
    counted once, and ``book.repeated`` says how many were passed over. A row
    without an id gets one derived from its content, as the service does, so
    the same row twice counts once here as it does there.
    """
    seen_ids: dict[str, set[str]] = {}
    with CsvTable(path, ("account", "metric", "value", "observed_at")) as table:
        for line, row in table.rows():
            signal = _signal(table, line, row)
            if signal is None:
                continue
            account, metric, value, observed_at, contact, source, external_id = signal
            if known_accounts and account not in book.accounts:
                table.fail(f"unknown account {account!r}", line, "account")
                continue

            if external_id is None:
                when = datetime.fromtimestamp(observed_at, UTC)
                external_id = derived_id(account, metric, value, when, contact)
            ids = seen_ids.setdefault(source, set())
            if external_id in ids:
                book.repeated += 1
                continue
            ids.add(external_id)

            book.signals.add(account, metric, observed_at, value, contact)
            book.signal_count += 1
    return table.problems


_SignalRow = tuple[str, str, float, float, str | None, str, str | None]


def _signal(table: CsvTable, line: int, row: list[str]) -> _SignalRow | None:
    """One row's fields, parsed; None (with the problems noted) if any is bad."""
    account = table.text(line, row, "account")
    metric = table.text(line, row, "metric")
    value = observed_at = None
    try:
        value = parse_number(row[table.columns["value"]])
    except ValueError as error:
        table.fail(str(error), line, "value")
    try:
        observed_at = parse_time(row[table.columns["observed_at"]]).timestamp()
    except ValueError as error:
        table.fail(str(error), line, "observed_at")
    if account is None or metric is None or value is None or observed_at is None:
        return None

    contact = table.optional(row, "contact")
    source = table.optional(row, "source") or "csv"
    return (
        account,
        metric,
        value,
        observed_at,
        contact,
        source,
        table.optional(row, "id"),
    )
