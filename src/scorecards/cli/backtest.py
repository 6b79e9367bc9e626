"""``scorecards backtest``: how well a scorecard foretold renewals and churn, from
the same CSV files as ``scorecards score`` and a file of outcomes."""

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scorecards.cli.inputs import (
    Book,
    FileProblem,
    parse_time,
)
from scorecards.cli.score import read_book, read_scorecards, report_problems
from scorecards.engine import Scorecard
from scorecards.lib.csvtable import CsvTable
from scorecards.lib.outcomes import parse_decided, parse_kind

if TYPE_CHECKING:
    from scorecards.evidence import Backtest, Outcome

MAX_LEAD_DAYS = 730


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser(
        "backtest",
        help="measure how well a scorecard foretold renewals and churn",
        description="Score each outcome's account as it stood --lead-days before "
        "the outcome, from the signals observed by then, and report the AUC of "
        "the score for churn, churn by grade and by decile, and weights fitted "
        "to the outcomes. See docs/evidence.md.",
    )
    parser.add_argument(
        "--scorecard", action="append", required=True, type=Path, metavar="FILE",
        help="a scorecard file; repeat for more (the others decide which "
        "accounts the backtested one governs)",
    )  # fmt: skip
    parser.add_argument(
        "--key", metavar="KEY",
        help="the scorecard to backtest, when more than one is given",
    )  # fmt: skip
    parser.add_argument(
        "--signals", required=True, type=Path, metavar="FILE",
        help="CSV: account,metric,value,observed_at[,contact,source,id]",
    )  # fmt: skip
    parser.add_argument(
        "--contacts", type=Path, metavar="FILE",
        help="CSV: account,contact,role[,name,email]",
    )  # fmt: skip
    parser.add_argument(
        "--accounts", type=Path, metavar="FILE",
        help="CSV: account[,name,segment,csm,...]; other columns are attributes",
    )  # fmt: skip
    parser.add_argument(
        "--outcomes", required=True, type=Path, metavar="FILE",
        help="CSV: account,outcome,decided_at; outcome is renewal, churn, "
        "downgrade or expansion; decided_at a day or a time with a zone",
    )  # fmt: skip
    parser.add_argument(
        "--lead-days", type=int, default=90, metavar="N",
        help="score each account N days before its outcome (default: 90)",
    )  # fmt: skip
    parser.add_argument(
        "--downgrade-is-churn", action="store_true",
        help="count downgrades with the churns (default: with the renewals)",
    )  # fmt: skip
    parser.add_argument(
        "--as-of", metavar="TIME",
        help="the time of the backtest: outcomes after it are left out (default: now)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print JSON, not a report")
    parser.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write here, not to stdout"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    problems: list[FileProblem] = []

    cards = read_scorecards(args.scorecard, problems)
    card = _chosen(cards, args.key, problems) if cards else None
    if not 0 <= args.lead_days <= MAX_LEAD_DAYS:
        problems.append(
            FileProblem("--lead-days", f"must be between 0 and {MAX_LEAD_DAYS}")
        )
    if args.as_of is not None:
        try:
            now = parse_time(args.as_of)
        except ValueError as error:
            problems.append(FileProblem("--as-of", str(error)))

    book, known = read_book(args, problems)
    outcomes, outcome_problems = read_outcomes(args.outcomes)
    problems += outcome_problems

    if problems or card is None:
        return report_problems(problems)
    if not known:
        book.accounts = {account: {} for account in book.signals.accounts()}
    return _report(args, card, cards, book, outcomes, now)


def _chosen(
    cards: list[Scorecard], key: str | None, problems: list[FileProblem]
) -> Scorecard | None:
    keys = [card.key for card in cards]
    if key is None and len(cards) == 1:
        return cards[0]
    if key is None:
        message = f"name the scorecard to backtest: one of {', '.join(keys)}"
        problems.append(FileProblem("--key", message))
        return None
    found = next((card for card in cards if card.key == key), None)
    if found is None:
        message = f"{key!r} is none of the scorecards given ({', '.join(keys)})"
        problems.append(FileProblem("--key", message))
    return found


def read_outcomes(path: Path) -> tuple[list["Outcome"], list[FileProblem]]:
    from scorecards.evidence import Outcome

    outcomes = []
    with CsvTable(path, ("account", "outcome", "decided_at")) as table:
        for line, row in table.rows():
            account = table.text(line, row, "account")
            kind = decided_at = None
            try:
                kind = parse_kind(row[table.columns["outcome"]])
            except ValueError as error:
                table.fail(str(error), line, "outcome")
            try:
                decided_at = parse_decided(row[table.columns["decided_at"]])
            except ValueError as error:
                table.fail(str(error), line, "decided_at")
            if account and kind and decided_at:
                outcomes.append(Outcome(account, kind, decided_at))
    return outcomes, table.problems


def _report(
    args: argparse.Namespace,
    card: Scorecard,
    cards: list[Scorecard],
    book: Book,
    outcomes: list["Outcome"],
    now: datetime,
) -> int:
    # Imported only now: numpy and scikit-learn take a moment to load, which
    # `scorecards --help` and the other commands need not wait for.
    from scorecards.evidence import BAD_KINDS, backtest, backtest_json

    bad = BAD_KINDS | {"downgrade"} if args.downgrade_is_churn else BAD_KINDS
    result = backtest(
        scorecard=card,
        outcomes=outcomes,
        accounts=book.accounts,
        histories=book.signals.build(),
        roles=book.roles,
        others=[other for other in cards if other.key != card.key],
        lead=timedelta(days=args.lead_days),
        now=now,
        bad_kinds=frozenset(bad),
    )
    if args.json:
        text = json.dumps(backtest_json(result), indent=2, allow_nan=False) + "\n"
    else:
        text = render_report(result)

    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"{args.output}: cannot write: {error.strerror}", file=sys.stderr)
        return 1
    return 0


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def render_report(result: "Backtest") -> str:
    current = result.current
    lines = [
        f"Backtest of {result.scorecard.key}, {result.lead.days} days before "
        "each outcome",
        "",
        f"Outcomes: {len(result.cases) + result.left_out_count}; scored "
        f"{current.cases} ({current.churned} churned, {current.retained} "
        f"retained); left out {result.left_out_count}",
    ]
    lines += [f"  {item.count} left out: {item.reason}" for item in result.left_out]
    lines += [f"Warning: {warning}" for warning in result.warnings]

    interval = ""
    if current.auc is not None:
        low, high = _number(current.auc_low), _number(current.auc_high)
        interval = f" (95% interval {low} to {high})"
    lines += [
        "",
        f"AUC of the score for churn: {_number(current.auc)}{interval}",
        f"Churn rate: {_rate(current.churn_rate)}; worst decile's lift: "
        f"{_number(current.worst_decile_lift, 1)}x",
        f"Churned while graded {current.healthy_grade or '-'}: "
        f"{current.churned_but_healthy}",
        "",
        "By grade:",
    ]
    lines += _buckets(current.by_grade)
    lines += ["", "By decile of score (1 is the lowest):"]
    lines += _buckets(current.by_decile, scores=True)
    lines += ["", "Each criterion on its own:"]
    lines += _table(
        ["CRITERION", "AUC", "CASES"],
        [[c.path, _number(c.auc), str(c.cases)] for c in current.criteria],
    )
    lines += ["", *_suggestion(result)]
    return "\n".join(lines) + "\n"


def _buckets(buckets: Any, *, scores: bool = False) -> list[str]:
    header = ["", "CASES", "CHURNED", "RATE"] + (["SCORES"] if scores else [])
    rows = []
    for bucket in buckets:
        row = [bucket.label, str(bucket.cases), str(bucket.churned)]
        row.append(_rate(bucket.churn_rate))
        if scores:
            row.append(f"{bucket.low:.1f}-{bucket.high:.1f}")
        rows.append(row)
    return ["  " + line for line in _table(header, rows)]


def _suggestion(result: "Backtest") -> list[str]:
    suggestion = result.suggestion
    lines = ["Suggested weights (of 100; a draft, nothing is changed):"]
    lines += [f"Warning: {warning}" for warning in suggestion.warnings]
    if not suggestion.fitted:
        return lines
    rows = [
        [
            w.path,
            f"{w.current:.1f}",
            f"{w.suggested:.1f}",
            f"{w.low:.1f}-{w.high:.1f}",
            w.note,
        ]
        for w in suggestion.weights
    ]
    lines += _table(["CRITERION", "NOW", "SUGGESTED", "90% INTERVAL", ""], rows)
    fitted = result.fitted.auc if result.fitted else None
    lines += [
        "",
        f"AUC with the suggested weights: {_number(fitted)} on these outcomes, "
        f"{_number(suggestion.cv_auc)} cross-validated "
        f"({suggestion.folds} folds)",
    ]
    return lines
