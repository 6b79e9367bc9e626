"""Importing a CSV file of signals, accounts, contacts or outcomes, at any size.

The file streams through in batches; memory holds one batch and the keys of
the accounts it names, whatever the file's length.

- Without ``skip_bad``, the whole file is checked first and nothing is written
  if any row is bad: every problem is reported by line and column.
- With ``skip_bad``, bad rows go to a rejects file (the file's header and the
  bad rows as they were, ready to fix and import again) beside a summary of
  what was wrong with each; the good rows are imported.
- A ``dry_run`` reads and checks everything and writes nothing.

Each batch is written in its own transaction, and a signal is stored once per
(source, id), with an id derived from its content when the row has none: an
import stopped halfway and run again ends with exactly the file's rows. When
the rows are in, every account the file names is re-scored, in bulk.
"""

import csv
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from scorecards.accounts.models import Account, Contact
from scorecards.accounts.service import upsert_accounts, upsert_contacts
from scorecards.imports.rows import KINDS, Fault, Kind
from scorecards.ingest.service import (
    RejectedBatch,
    check_references,
    store_signals,
    stored_pairs,
)
from scorecards.lib.csvtable import CsvTable, FileProblem
from scorecards.lib.spreadsheet import safe_cell
from scorecards.outcomes.models import Outcome
from scorecards.outcomes.service import upsert_outcomes
from scorecards.scoring.rescore import rescore

logger = logging.getLogger(__name__)

BATCH = 5000
RESCORE_CHUNK = 1000
SHOWN_PROBLEMS = 100  # reported in full; the rest are counted

# (phase, bytes read, bytes in all) as the file goes through.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Options:
    source: str = "csv"
    mapping: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    skip_bad: bool = False
    rejects: Path | None = None  # default: beside the file, FILE.rejects.csv
    batch_size: int = BATCH


@dataclass
class Report:
    kind: str
    file: str
    dry_run: bool
    rows: int = 0
    bad: int = 0
    created: int = 0  # signals stored; accounts or contacts created
    updated: int = 0  # accounts or contacts that existed
    duplicates: int = 0  # signals already stored, or repeated in the file
    rescored: int = 0
    written: bool = False
    problems: list[FileProblem] = field(default_factory=list)
    problem_count: int = 0
    rejects: str | None = None
    summary: str | None = None
    seconds: float = 0.0

    def note(self, problem: FileProblem) -> None:
        self.problem_count += 1
        if len(self.problems) < SHOWN_PROBLEMS:
            self.problems.append(problem)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["problems"] = [
            {"line": p.line, "column": p.column, "message": p.message}
            for p in self.problems
        ]
        return data


@dataclass(slots=True)
class _Entry:
    line: int
    row: list[str]
    item: Any
    faults: list[Fault]


class ImportFailed(Exception):
    """The import could not go on; what was committed before stays."""


def import_file(
    kind_name: str,
    path: Path,
    options: Options,
    *,
    now: datetime,
    name: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """Import ``path`` as ``kind_name`` ("signals", "accounts", "contacts")."""
    kind = KINDS[kind_name]
    started = time.perf_counter()
    report = Report(kind.name, name or str(path), options.dry_run)
    importer = _Importer(kind, options, report, now)

    with CsvTable(path, kind.required, mapping=options.mapping, name=name) as table:
        if table.problems:
            for problem in table.problems:
                report.note(problem)
            return _finish(report, started)
        if options.dry_run or options.skip_bad:
            importer.run(table, write=not options.dry_run, progress=progress)
        else:
            importer.run(table, write=False, progress=progress, phase="checking")
    if options.dry_run or options.skip_bad or report.problem_count:
        return _finish(importer.close(), started)

    checked = report.rows
    report.rows = 0
    with CsvTable(path, kind.required, mapping=options.mapping, name=name) as table:
        try:
            importer.run(table, write=True, progress=progress, checked=True)
        except RejectedBatch:
            report.problem_count += 1  # an account or contact went meanwhile
    if report.problem_count or report.rows != checked:
        raise ImportFailed(
            f"{report.file}, or the accounts it names, changed while it was "
            "imported: check it and import it again (what was written stays, "
            "and is not written twice)"
        )
    return _finish(importer.close(), started)


def _finish(report: Report, started: float) -> Report:
    report.seconds = time.perf_counter() - started
    outcome = ""
    if report.dry_run:
        outcome = " (dry run)"
    elif not report.written:
        outcome = ", nothing written"
    logger.info(
        "import of %s from %s: %d rows, %d bad, %d created, %d updated, "
        "%d duplicates, %d accounts re-scored%s",
        report.kind, report.file, report.rows, report.bad, report.created,
        report.updated, report.duplicates, report.rescored,
        outcome,
    )  # fmt: skip
    return report


class _Importer:
    def __init__(self, kind: Kind, options: Options, report: Report, now: datetime):
        self.kind = kind
        self.options = options
        self.report = report
        self.now = now
        self.touched: set[int] = set()  # accounts named by stored signals
        self.first_line: dict[tuple[str, ...], int] = {}  # accounts, contacts
        self._rejects: _Rejects | None = None

    def run(
        self,
        table: CsvTable,
        *,
        write: bool,
        progress: Progress | None,
        phase: str = "importing",
        checked: bool = False,
    ) -> None:
        """Read the file through, writing its good rows if ``write``. A file
        ``checked`` before has its references checked as it is written."""
        total = table.path.stat().st_size
        if self.options.skip_bad and not self.options.dry_run:
            path = self.options.rejects or _beside(table.path)
            self._rejects = _Rejects(path, table.header)
        rows = table.all_rows()
        columns = list(table.columns.items())
        while batch := list(islice(rows, self.options.batch_size)):
            entries = [self._read(table, columns, line, row) for line, row in batch]
            if not checked:
                self._check_references(entries)
            good = [entry for entry in entries if not entry.faults]
            for entry in entries:
                if entry.faults:
                    self._reject(table, entry)
            self.report.rows += len(entries)
            if write:
                self._write([entry.item for entry in good])
            elif self.options.dry_run:
                self._count([entry.item for entry in good])
            if progress is not None:
                progress(phase, table.position(), total)
        for problem in table.problems:  # an unreadable stretch stops the file
            self.report.note(problem)
        table.problems.clear()

    def close(self) -> Report:
        if self._rejects is not None:
            self.report.rejects, self.report.summary = self._rejects.close()
        if self.touched:
            self._rescore()
        return self.report

    def _read(
        self,
        table: CsvTable,
        columns: list[tuple[str, int]],
        line: int,
        row: list[str],
    ) -> _Entry:
        if len(row) != table.width:
            return _Entry(line, row, None, [(None, table.width_problem(row))])
        fields = {column: row[position].strip() for column, position in columns}
        item, faults = self.kind.read(fields, self.options.source)
        if not faults:
            faults = self._repeated(item, line)
        return _Entry(line, row, item, faults)

    def _repeated(self, item: Any, line: int) -> list[Fault]:
        """An account, contact or outcome listed twice in the file is a mistake:
        which of the two rows should win?"""
        if self.kind.name == "signals":
            return []
        if self.kind.name == "outcomes":
            key: tuple[str, ...] = (item["source"], item["id"])
            column, what = "id", f"outcome {item['id']!r} of {item['source']!r}"
            if item["id"].startswith("sha256:"):
                column = "decided_at"
                what = f"an outcome of account {item['account']!r} at this time"
        elif self.kind.name == "accounts":
            key = (item["key"],)
            column, what = "account", f"account {item['key']!r}"
        else:
            key = (item["account"], item["key"])
            column = "contact"
            what = f"contact {item['key']!r} of account {item['account']!r}"
        first = self.first_line.setdefault(key, line)
        if first != line:
            return [(column, f"{what} is listed twice (first on line {first})")]
        return []

    def _check_references(self, entries: list[_Entry]) -> None:
        valid = [entry for entry in entries if not entry.faults]
        if self.kind.name == "signals":
            for error in check_references([entry.item for entry in valid]):
                valid[error.index].faults.append((error.field, error.message))
        elif self.kind.name in ("contacts", "outcomes"):
            keys = {entry.item["account"] for entry in valid}
            known = set(
                Account.objects.filter(key__in=keys).values_list("key", flat=True)
            )
            for entry in valid:
                if entry.item["account"] not in known:
                    message = f"unknown account {entry.item['account']!r}"
                    entry.faults.append(("account", message))

    def _reject(self, table: CsvTable, entry: _Entry) -> None:
        self.report.bad += 1
        headers = {column: table.header[i] for column, i in table.columns.items()}
        # In the file's order of columns, as a reader scans the row.
        faults = sorted(entry.faults, key=lambda f: table.columns.get(f[0] or "", -1))
        for column, message in faults:
            named = headers.get(column, column) if column is not None else None
            problem = FileProblem(table.name, message, entry.line, named)
            self.report.note(problem)
            if self._rejects is not None:
                self._rejects.explain(problem)
        if self._rejects is not None:
            self._rejects.add(entry.row)

    def _write(self, items: Sequence[Any]) -> None:
        if not items:
            return
        self.report.written = True
        if self.kind.name == "signals":
            # Every row carries its source already (the row's, or --source).
            result = store_signals(items, now=self.now)
            self.report.created += len(result.stored)
            self.report.duplicates += len(items) - len(result.stored)
            self.touched.update(result.accounts)
            return
        if self.kind.name == "outcomes":
            counts = upsert_outcomes(items, now=self.now)
            self.report.created += counts["created"]
            self.report.updated += counts["updated"]
            self.report.duplicates += counts["unchanged"]
            return
        upsert = upsert_accounts if self.kind.name == "accounts" else upsert_contacts
        counts = upsert(items, now=self.now)
        self.report.created += counts["created"]
        self.report.updated += counts["updated"]
        self.report.rescored += counts["created"] + counts["updated"]

    def _count(self, items: Sequence[Any]) -> None:
        """What writing ``items`` would do, for a dry run."""
        if self.kind.name == "signals":
            pairs = {(item.source, item.id) for item in items}
            new = len(pairs - stored_pairs(pairs))
            self.report.created += new
            self.report.duplicates += len(items) - new
            return
        if self.kind.name == "outcomes":
            ids = {(item["source"], item["id"]) for item in items}
            stored = Outcome.objects.filter(
                source__in={source for source, _ in ids},
                external_id__in={ident for _, ident in ids},
            ).values_list("source", "external_id")
            found = len(ids & set(stored))
        elif self.kind.name == "accounts":
            keys = [item["key"] for item in items]
            found = Account.objects.filter(key__in=keys).count()
        else:
            wanted = {(item["account"], item["key"]) for item in items}
            stored = Contact.objects.filter(
                account__key__in={account for account, _ in wanted},
                key__in={key for _, key in wanted},
            ).values_list("account__key", "key")
            found = len(wanted & set(stored))
        self.report.updated += found
        self.report.created += len(items) - found

    def _rescore(self) -> None:
        """Every account the file named, once: also those whose rows were all
        stored before, by a run that stopped before this step."""
        ids = sorted(self.touched)
        for start in range(0, len(ids), RESCORE_CHUNK):
            chunk = ids[start : start + RESCORE_CHUNK]
            rescore(Account.objects.filter(pk__in=chunk), now=self.now)
        self.report.rescored = len(ids)


def _beside(path: Path) -> Path:
    return path.with_name(path.stem + ".rejects.csv")


def _rejected_cell(cell: str) -> str:
    try:
        float(cell)
    except ValueError:
        return safe_cell(cell)
    return cell


class _Rejects:
    """The rejected rows as they were (but for formulas, made text), and a
    summary of what was wrong."""

    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.summary_path = path.with_suffix(".txt")
        self.header = header
        self._rows: TextIO | None = None
        self._summary: TextIO | None = None
        self._writer: Any = None

    def _open(self) -> None:
        # Only once there is something to reject: a clean file leaves no
        # empty rejects behind.
        self._rows = self.path.open("w", newline="", encoding="utf-8")
        self._summary = self.summary_path.open("w", encoding="utf-8")
        self._writer = csv.writer(self._rows)
        self._writer.writerow(self.header)

    def add(self, row: list[str]) -> None:
        if self._rows is None:
            self._open()
        # The file is downloaded and opened in spreadsheets: a cell that would
        # run as a formula is written as text. Numbers stay as they were, so
        # the rows can be fixed and sent again.
        self._writer.writerow([_rejected_cell(cell) for cell in row])

    def explain(self, problem: FileProblem) -> None:
        if self._summary is None:
            self._open()
        assert self._summary is not None
        self._summary.write(f"{problem}\n")

    def close(self) -> tuple[str | None, str | None]:
        if self._rows is None:
            return None, None
        for handle in (self._rows, self._summary):
            if handle is not None:
                handle.close()
        return str(self.path), str(self.summary_path)


def iter_problems(report: Report) -> Iterator[str]:
    yield from (str(problem) for problem in report.problems)
    hidden = report.problem_count - len(report.problems)
    if hidden > 0:
        yield f"... and {hidden} more problems"
