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
from typing import TYPE_CHECKING, BinaryIO

from scorecards.engine import HistoryBuilder
from scorecards.engine.signals import check_moment, check_value, derived_id

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
    signals: HistoryBuilder[str] = field(default_factory=HistoryBuilder)
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
    try:
        return check_moment(moment.astimezone(UTC))
    except OverflowError:
        raise ValueError(f"{text!r} is out of range (1900 to 9000)") from None


def parse_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    return check_value(value)


class _NotUtf8(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def _decoded_lines(handle: BinaryIO) -> Iterator[str]:
    """The file's lines as text, decoded one by one so a bad byte has a line."""
    for number, raw in enumerate(handle, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _NotUtf8(number) from None
        yield line.removeprefix("\ufeff") if number == 1 else line


class _Table:
    """A CSV file read row by row, its header matched to the columns we need.

    Open it in a ``with`` block; if the file or its header is unusable,
    ``columns`` is empty and the problems say why.
    """

    def __init__(self, path: Path, required: tuple[str, ...]) -> None:
        self.path = path
        self.name = str(path)
        self.required = required
        self.problems: list[FileProblem] = []
        self.columns: dict[str, int] = {}
        self._handle: BinaryIO | None = None
        self._reader: _csv.Reader | None = None

    def __enter__(self) -> "_Table":
        try:
            self._handle = self.path.open("rb")
        except OSError as error:
            self.fail(f"cannot read the file: {error.strerror}")
            return self
        self._reader = csv.reader(_decoded_lines(self._handle))
        self._read_header(self._reader)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._handle is not None:
            self._handle.close()

    def fail(
        self, message: str, line: int | None = None, column: str | None = None
    ) -> None:
        self.problems.append(FileProblem(self.name, message, line, column))

    def _read_header(self, reader: "_csv.Reader") -> None:
        try:
            header = next(reader, None)
        except csv.Error as error:
            self.fail(f"not a readable CSV file: {error}", 1)
            return
        except _NotUtf8 as error:
            self.fail("is not UTF-8 text", error.line)
            return
        if header is None:
            self.fail("is empty: expected a header row", 1)
            return

        names = [name.strip().lower() for name in header]
        missing = [name for name in self.required if name not in names]
        for name in missing:
            self.fail(f"missing column {name!r}", 1)
        repeated = sorted({name for name in names if names.count(name) > 1})
        for name in repeated:
            self.fail(f"column {name!r} appears more than once", 1)
        if not missing and not repeated:
            self.columns = {name: i for i, name in enumerate(names)}

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(line number, fields)`` for each row with the header's field count."""
        reader = self._reader
        if reader is None or not self.columns:
            return

        width = len(self.columns)
        try:
            for row in reader:
                if len(row) == width:
                    yield reader.line_num, row
                elif row and row != [""]:
                    found = f"expected {width} fields, found {len(row)}"
                    self.fail(found, reader.line_num)
        except csv.Error as error:
            self.fail(f"not a readable CSV file: {error}", reader.line_num)
        except _NotUtf8 as error:
            self.fail("is not UTF-8 text", error.line)

    def text(self, line: int, row: list[str], column: str) -> str | None:
        value = row[self.columns[column]].strip()
        if not value:
            self.fail("is empty", line, column)
            return None
        return value

    def optional(self, row: list[str], column: str) -> str | None:
        position = self.columns.get(column)
        if position is None:
            return None
        return row[position].strip() or None


def read_accounts(path: Path, book: Book) -> list[FileProblem]:
    """Every column but ``account`` becomes an attribute that ``applies_to`` matches."""
    first_seen: dict[str, int] = {}
    with _Table(path, ("account",)) as table:
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
    with _Table(path, ("account", "contact", "role")) as table:
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
    with _Table(path, ("account", "metric", "value", "observed_at")) as table:
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


def _signal(table: _Table, line: int, row: list[str]) -> _SignalRow | None:
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
