"""Reading CSV files row by row, every fault reported by line and column.

Header names are matched without regard to case or surrounding spaces, so an
export from a CRM that upper-cases its columns reads as it is; and a column can
be taken from a header of another name (``--map account=ACCOUNT_ID__C``).
The file is read as it streams, never whole, so its size does not matter.
"""

import csv
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from scorecards.engine.signals import check_moment, check_value

if TYPE_CHECKING:
    import _csv

# The largest field we read. csv's own limit is 128 KiB; a field that long in
# a file of signals is a broken quote swallowing lines, reported at its line.
csv.field_size_limit(1 << 20)


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


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``COLUMN=HEADER`` pairs as {column: header}; ValueError names a bad one."""
    mapping = {}
    for pair in pairs:
        column, sep, header = pair.partition("=")
        if not sep or not column.strip() or not header.strip():
            raise ValueError(f"{pair!r} is not COLUMN=HEADER")
        mapping[column.strip().lower()] = header.strip().lower()
    return mapping


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


class CsvTable:
    """A CSV file read row by row, its header matched to the columns we need.

    Open it in a ``with`` block; if the file or its header is unusable,
    ``columns`` is empty and ``problems`` says why. ``mapping`` takes a column
    from a header of another name: {column: header}.
    """

    def __init__(
        self,
        path: Path,
        required: tuple[str, ...],
        *,
        mapping: Mapping[str, str] | None = None,
        name: str | None = None,
    ) -> None:
        self.path = path
        self.name = name or str(path)
        self.required = required
        self.mapping = dict(mapping or {})
        self.problems: list[FileProblem] = []
        self.columns: dict[str, int] = {}
        self.header: list[str] = []
        self._handle: BinaryIO | None = None
        self._reader: _csv.Reader | None = None

    def __enter__(self) -> "CsvTable":
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

    @property
    def width(self) -> int:
        return len(self.header)

    def position(self) -> int:
        """How many bytes of the file have been read so far."""
        return self._handle.tell() if self._handle is not None else 0

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

        self.header = header
        names = [name.strip().lower() for name in header]
        for column, wanted in self.mapping.items():
            if wanted not in names:
                self.fail(f"no column {wanted!r} to take {column!r} from", 1)
        renamed = {header: column for column, header in self.mapping.items()}
        names = [renamed.get(name, name) for name in names]
        missing = [name for name in self.required if name not in names]
        for name in missing:
            self.fail(f"missing column {name!r}", 1)
        repeated = sorted({name for name in names if names.count(name) > 1})
        for name in repeated:
            self.fail(f"column {name!r} appears more than once", 1)
        if not self.problems:
            self.columns = {name: i for i, name in enumerate(names)}

    def all_rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(line number, fields)`` for each row that is not blank, whatever its
        field count; a file that stops being readable stops, with its problem."""
        reader = self._reader
        if reader is None or not self.columns:
            return
        try:
            for row in reader:
                if row and row != [""]:
                    yield reader.line_num, row
        except csv.Error as error:
            self.fail(f"not a readable CSV file: {error}", reader.line_num)
        except _NotUtf8 as error:
            self.fail("is not UTF-8 text", error.line)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(line number, fields)`` for each row with the header's field count;
        the others are noted as problems."""
        width = self.width
        for line, row in self.all_rows():
            if len(row) == width:
                yield line, row
            else:
                self.fail(self.width_problem(row), line)

    def width_problem(self, row: list[str]) -> str:
        return f"expected {self.width} fields, found {len(row)}"

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
