"""The offline command's three formats: JSON, CSV and a table for the terminal."""

import csv
import io
import json
from collections.abc import Mapping

from scorecards.engine import AccountScore, Status
from scorecards.engine.serialize import account_json


def render_json(results: Mapping[str, AccountScore]) -> str:
    """A JSON array, one account per line, sorted by account key."""
    lines = [
        json.dumps(account_json(account, results[account]), allow_nan=False)
        for account in sorted(results)
    ]
    if not lines:
        return "[]\n"
    return "[\n" + ",\n".join(lines) + "\n]\n"


def render_csv(results: Mapping[str, AccountScore]) -> str:
    """One row per account: the summary, then each criterion's score by path."""
    paths: dict[str, None] = {}
    for result in results.values():
        paths.update((c.path, None) for c in result.criteria)

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["account", "scorecard", "status", "score", "grade", "coverage", *paths]
    )
    for account in sorted(results):
        result = results[account]
        by_path = {c.path: c.score for c in result.criteria}
        writer.writerow(
            [
                account,
                result.scorecard.key if result.scorecard else "",
                result.status,
                _blank(result.total),
                result.grade.name if result.grade else "",
                result.coverage,
                *(_blank(by_path.get(path)) for path in paths),
            ]
        )
    return out.getvalue()


def _blank(value: float | None) -> str | float:
    return "" if value is None else value


_STATUS_ORDER = {Status.SCORED: 0, Status.INSUFFICIENT_DATA: 1, Status.UNSCORED: 2}


def render_table(results: Mapping[str, AccountScore]) -> str:
    """Worst score first; accounts without a score last. Rounded for reading."""

    def worst_first(account: str) -> tuple[int, float, str]:
        result = results[account]
        return (_STATUS_ORDER[result.status], result.total or 0.0, account)

    header = ["ACCOUNT", "SCORE", "GRADE", "COVERAGE", "SCORECARD", "WEAKEST", "NOTES"]
    rows = [header]
    rows.extend(_table_row(a, results[a]) for a in sorted(results, key=worst_first))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n" + _summary(results)


def _table_row(account: str, result: AccountScore) -> list[str]:
    present = [c for c in result.criteria if c.score is not None]
    weakest = min(present, key=lambda c: c.score or 0.0, default=None)
    notes = []
    if result.status is Status.INSUFFICIENT_DATA:
        notes.append("insufficient data")
    elif result.status is Status.UNSCORED:
        notes.append("no scorecard applies")
    stale = [c.path for c in result.criteria if c.stale]
    if stale:
        notes.append("stale: " + ", ".join(stale))
    missing = [c.path for c in result.criteria if c.missing and not c.filled]
    if missing and result.status is Status.SCORED:
        notes.append("missing: " + ", ".join(missing))

    return [
        account,
        f"{result.total:.1f}" if result.total is not None else "-",
        result.grade.name if result.grade else "-",
        f"{result.coverage:.0%}" if result.scorecard else "-",
        result.scorecard.key if result.scorecard else "-",
        f"{weakest.path} {weakest.score:.1f}"
        if weakest and weakest.score is not None
        else "-",
        "; ".join(notes),
    ]


def _summary(results: Mapping[str, AccountScore]) -> str:
    grades: dict[str, int] = {}
    for result in results.values():
        name = result.grade.name if result.grade else str(result.status)
        if result.status is Status.SCORED and result.grade is None:
            name = "no grade"
        grades[name] = grades.get(name, 0) + 1
    counts = ", ".join(f"{name} {count}" for name, count in grades.items())
    if not results:
        return "\nno accounts\n"
    noun = "account" if len(results) == 1 else "accounts"
    return f"\n{len(results)} {noun}: {counts}\n"
