"""`scorecards retention`: what it removed, or would, said per kind."""

from typing import Any

import pytest
from privacy_helpers import Book

from scorecards.audit.models import AuditEntry
from scorecards.cli.main import main
from scorecards.feedback.models import Answer


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["retention", *argv])
    return status, capsys.readouterr().out


def test_a_dry_run_says_what_would_go_and_removes_nothing(
    book: Book, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.RETAIN_COMMENTS_DAYS = 5
    settings.RETAIN_SIGNALS_DAYS = 30

    status, out = run(capsys, "--dry-run")

    assert status == 0
    assert out.splitlines() == [
        "Note: signals are kept 211 days, not 30: the longest window in use is "
        "180 days (scorecard strategic), plus 31 days.",
        "Would remove 0 signals from before 2025-11-16 12:00 UTC.",
        "Would remove 0 product events from before 2025-11-16 12:00 UTC.",
        "Would remove 3 survey comments from before 2026-06-10 12:00 UTC.",
        "Kept all audit entries: SCORECARDS_RETAIN_AUDIT_DAYS is 0.",
    ]
    assert "" not in Answer.objects.values_list("comment", flat=True)
    assert not AuditEntry.objects.filter(action="retention.applied").exists()


def test_it_removes_and_records_what_it_removed(
    book: Book, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.RETAIN_COMMENTS_DAYS = 5

    status, out = run(capsys)

    assert status == 0
    assert "Removed 3 survey comments from before 2026-06-10 12:00 UTC." in out
    assert "Kept all signals: SCORECARDS_RETAIN_SIGNALS_DAYS is 0." in out
    entry = AuditEntry.objects.get(action="retention.applied")
    assert (entry.actor_kind, entry.detail["removed"]) == ("command", {"comments": 3})


def test_with_nothing_to_remove_it_says_so(
    book: Book, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys)

    assert status == 0
    assert out == "Nothing to remove: every kind is kept for ever (see --help).\n"
