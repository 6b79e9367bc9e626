"""``scorecards import``: signals, accounts, contacts or outcomes from a CSV file."""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scorecards.cli.django_setup import CommandFailed, require_migrated, setup_django
from scorecards.lib.csvtable import parse_mapping

# Named here, not imported from the service, to keep `--help` free of Django.
KINDS = ("accounts", "contacts", "outcomes", "signals")


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "import",
        help="import signals, accounts, contacts or outcomes from a CSV file",
        description="Import a CSV file into the service. Headers are matched "
        "without regard to case; every bad row is reported by line and column, "
        "and nothing is written unless every row is good (or --skip-bad is "
        "given). Importing the same file again adds nothing.",
        epilog="Columns: signals: account,metric,value,observed_at"
        "[,contact,source,id]; accounts: account[,name,segment,tier,csm,arr,"
        "renewal_date,...] (other columns become attributes); contacts: "
        "account,contact[,role,name,email]; outcomes: account,outcome,decided_at"
        "[,source,id] (outcome: renewal, churn, downgrade or expansion).",
    )
    parser.add_argument("kind", choices=KINDS, help="what the file holds")
    parser.add_argument("file", type=Path, metavar="FILE.csv")
    parser.add_argument(
        "--map", action="append", default=[], metavar="COLUMN=HEADER",
        help="read COLUMN from the file's HEADER, e.g. account=ACCOUNTID; repeat",
    )  # fmt: skip
    parser.add_argument(
        "--source", default="csv",
        help="the source of signals whose row names none (default: csv)",
    )  # fmt: skip
    parser.add_argument(
        "--dry-run", action="store_true",
        help="check the file and say what would happen; write nothing",
    )  # fmt: skip
    parser.add_argument(
        "--skip-bad", action="store_true",
        help="import the good rows; put the bad ones in a rejects file",
    )  # fmt: skip
    parser.add_argument(
        "--rejects", type=Path, metavar="FILE",
        help="where --skip-bad puts bad rows (default: FILE.rejects.csv beside "
        "the file, with a summary in FILE.rejects.txt)",
    )  # fmt: skip
    parser.add_argument(
        "--batch-size", type=int, default=5000, metavar="N",
        help="rows per transaction (default: 5000)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        mapping = parse_mapping(args.map)
    except ValueError as error:
        raise CommandFailed(f"--map: {error}", status=2) from None
    if args.batch_size < 1:
        raise CommandFailed("--batch-size: must be at least 1", status=2)
    if not args.file.is_file():
        raise CommandFailed(f"{args.file}: no such file", status=2)
    source = args.source.strip()
    if not source or len(source) > 100:
        raise CommandFailed("--source: must be 1 to 100 characters", status=2)

    setup_django()
    require_migrated()
    from datetime import UTC, datetime

    from scorecards.imports.runs import execute, start_run
    from scorecards.imports.service import ImportFailed, Options, iter_problems

    options = Options(
        source=source,
        mapping=mapping,
        dry_run=args.dry_run,
        skip_bad=args.skip_bad,
        rejects=args.rejects,
        batch_size=args.batch_size,
    )
    now = datetime.now(UTC)
    record = start_run(
        args.kind, str(args.file), options, requested_by="command line", now=now
    )
    with ProgressBar(enabled=sys.stderr.isatty() and not args.json) as bar:
        try:
            report = execute(record, args.file, options, progress=bar.update)
        except ImportFailed as error:
            raise CommandFailed(str(error)) from None

    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print(summary(report))
        for line in iter_problems(report):
            print(line, file=sys.stderr)
    # Bad rows are an error unless the user said to skip them.
    return 2 if report.problem_count and not args.skip_bad else 0


def summary(report: Any) -> str:
    verb = "Would import" if report.dry_run else "Imported"
    lines = []
    if report.problem_count and not report.written and not report.dry_run:
        lines.append(
            f"Nothing imported: {report.bad:,} of {report.rows:,} rows are bad "
            "(fix them, or import the good rows with --skip-bad)."
        )
        return "\n".join(lines)
    if report.kind == "outcomes":
        lines.append(
            f"{verb} {report.rows - report.bad:,} outcomes from {report.file}: "
            f"{report.created:,} new, {report.updated:,} updated, "
            f"{report.duplicates:,} already stored."
        )
    elif report.kind == "signals":
        lines.append(
            f"{verb} {report.rows - report.bad:,} signals from {report.file}: "
            f"{report.created:,} new, {report.duplicates:,} already stored."
        )
    else:
        lines.append(
            f"{verb} {report.rows - report.bad:,} {report.kind} from {report.file}: "
            f"{report.created:,} new, {report.updated:,} updated."
        )
    if report.bad:
        lines.append(f"{report.bad:,} bad rows skipped.")
    if report.rejects:
        lines.append(f"Rejected rows: {report.rejects} (why: {report.summary})")
    if report.rescored and not report.dry_run:
        lines.append(f"Re-scored {report.rescored:,} accounts.")
    if not report.dry_run:
        lines.append(f"Took {report.seconds:.1f} s.")
    return "\n".join(lines)


class ProgressBar:
    """A progress bar on a terminal (by bytes of the file read); nothing elsewhere."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._phase = ""

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def update(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if phase != self._phase:
            if self._bar is not None:
                self._bar.close()
            self._bar = tqdm(
                total=total, desc=phase, unit="B", unit_scale=True, file=sys.stderr
            )
            self._phase = phase
        self._bar.update(done - self._bar.n)
