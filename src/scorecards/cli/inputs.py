"""Reading the offline command's CSV files, with every bad row reported by place.

Header names are matched without regard to case or surrounding spaces, so an
export from a CRM that upper-cases its columns reads as it is.
"""

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scorecards.engine import HistoryBuilder

if TYPE_CHECKING:
    import _csv


@dataclass(frozen=True, slots=True)
class FileProblem:
    """One fault in an input file, at a line and column where there is one."""

    file: str
    message: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        place = self.file
        if self.line is not None:
            place += f":{self.line}"
        if self.column is not None:
            place += f": column {self.column!r}"
        return f"{place}: {self.message}"


class InputError(Exception):
    def __init__(self, problems: list[FileProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Book:
    """What the offline command scores: accounts, their contacts and signals."""

    accounts: dict[str, dict[str, str]] = field(default_factory=dict)
    roles: dict[str, dict[str, str]] = field(default_factory=dict)
    signals: HistoryBuilder = field(default_factory=HistoryBuilder)
    signal_count: int = 0
    repeated: int = 0


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with a zone, as UTC; a time without a zone is refused."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone (add Z or +00:00)")
    return moment.astimezone(UTC)


def parse_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return value


class _Rows:
    """A CSV file's rows as dicts keyed by lower-cased header, with line numbers."""

    def __init__(self, path: Path, required: tuple[str, ...]) -> None:
        self.path = path
        self.name = str(path)
        self.required = required
        self.problems: list[FileProblem] = []

    def fail(
        self, message: str, line: int | None = None, column: str | None = None
    ) -> None:
        self.problems.append(FileProblem(self.name, message, line, column))

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        try:
            handle = self.path.open(newline="", encoding="utf-8-sig")
        except OSError as error:
            self.fail(f"cannot read the file: {error.strerror}")
            return

        with handle:
            reader = csv.reader(handle)
            try:
                yield from self._rows(reader)
            except csv.Error as error:
                self.fail(f"not a readable CSV file: {error}", reader.line_num)
            except UnicodeDecodeError:
                self.fail("is not UTF-8 text", reader.line_num + 1)

    def _rows(self, reader: "_csv.Reader") -> Iterator[tuple[int, dict[str, str]]]:
        header = next(reader, None)
        if header is None:
            self.fail("is empty: expected a header row", 1)
            return

        names = [name.strip().lower() for name in header]
        missing = [name for name in self.required if name not in names]
        for name in missing:
            self.fail(f"missing column {name!r}", 1)
        repeated = {name for name in names if names.count(name) > 1}
        for name in sorted(repeated):
            self.fail(f"column {name!r} appears more than once", 1)
        if missing or repeated:
            return

        for row in reader:
            if not row or row == [""]:
                continue
            if len(row) != len(names):
                self.fail(
                    f"expected {len(names)} fields, found {len(row)}", reader.line_num
                )
                continue
            yield reader.line_num, dict(zip(names, row, strict=True))

    def text(self, line: int, row: dict[str, str], column: str) -> str | None:
        value = row[column].strip()
        if not value:
            self.fail("is empty", line, column)
            return None
        return value


def read_accounts(path: Path, book: Book) -> list[FileProblem]:
    """Every column but ``account`` becomes an attribute that ``applies_to`` matches."""
    rows = _Rows(path, ("account",))
    first_seen: dict[str, int] = {}
    for line, row in rows:
        account = rows.text(line, row, "account")
        if account is None:
            continue
        if account in first_seen:
            rows.fail(
                f"account {account!r} is listed twice (first on line "
                f"{first_seen[account]})",
                line,
                "account",
            )
            continue
        first_seen[account] = line
        book.accounts[account] = {
            name: value.strip()
            for name, value in row.items()
            if name != "account" and value.strip()
        }
    return rows.problems


def read_contacts(path: Path, book: Book, *, known_accounts: bool) -> list[FileProblem]:
    rows = _Rows(path, ("account", "contact", "role"))
    for line, row in rows:
        account = rows.text(line, row, "account")
        contact = rows.text(line, row, "contact")
        if account is None or contact is None:
            continue
        if known_accounts and account not in book.accounts:
            rows.fail(f"unknown account {account!r}", line, "account")
            continue

        roles = book.roles.setdefault(account, {})
        if contact in roles:
            rows.fail(
                f"contact {contact!r} of {account!r} is listed twice", line, "contact"
            )
            continue
        roles[contact] = row["role"].strip()
    return rows.problems


def read_signals(path: Path, book: Book, *, known_accounts: bool) -> list[FileProblem]:
    """Signals in file order, which is their receipt order.

    A row repeating an earlier row's (source, id) is a retried delivery: it is
    counted once, and ``book.repeated`` says how many were passed over.
    """
    rows = _Rows(path, ("account", "metric", "value", "observed_at"))
    seen_ids: set[tuple[str, str]] = set()
    for line, row in rows:
        parsed = _signal(rows, line, row)
        if parsed is None:
            continue
        account, metric, value, observed_at, contact, external_id = parsed
        if known_accounts and account not in book.accounts:
            rows.fail(f"unknown account {account!r}", line, "account")
            continue

        if external_id is not None:
            if external_id in seen_ids:
                book.repeated += 1
                continue
            seen_ids.add(external_id)

        book.signals.add(account, metric, observed_at.timestamp(), value, contact)
        book.signal_count += 1
    return rows.problems


def _signal(
    rows: _Rows, line: int, row: dict[str, str]
) -> tuple[str, str, float, datetime, str | None, tuple[str, str] | None] | None:
    account = rows.text(line, row, "account")
    metric = rows.text(line, row, "metric")
    value = observed_at = None
    try:
        value = parse_number(row["value"].strip())
    except ValueError as error:
        rows.fail(str(error), line, "value")
    try:
        observed_at = parse_time(row["observed_at"])
    except ValueError as error:
        rows.fail(str(error), line, "observed_at")
    if account is None or metric is None or value is None or observed_at is None:
        return None

    contact = row.get("contact", "").strip() or None
    external_id = row.get("id", "").strip() or None
    source = row.get("source", "").strip() or "csv"
    pair = (source, external_id) if external_id is not None else None
    return account, metric, value, observed_at, contact, pair
