"""Reading an outcome's words and times, alike in the service and offline."""

import hashlib
from datetime import UTC, date, datetime

from scorecards.engine.signals import check_moment
from scorecards.lib.csvtable import parse_time

KINDS = ("renewal", "churn", "downgrade", "expansion")


def parse_kind(text: str) -> str:
    """One of KINDS, whatever its case; ValueError names the choices."""
    kind = text.strip().lower()
    if kind not in KINDS:
        raise ValueError(f"{text!r} is not one of {', '.join(KINDS)}")
    return kind


def parse_decided(text: str) -> datetime:
    """A day (``2026-03-31``, taken as its start in UTC) or an ISO 8601 time with
    a zone, as UTC; ValueError says what is wrong."""
    text = text.strip()
    if len(text) != 10:
        return parse_time(text)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    return check_moment(datetime.combine(day, datetime.min.time(), UTC))


def derived_id(account: str, decided_at: datetime) -> str:
    """The id of an outcome that came without one: one outcome per account and time."""
    content = f"{account}\x1f{decided_at.astimezone(UTC).isoformat()}"
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()[:40]
