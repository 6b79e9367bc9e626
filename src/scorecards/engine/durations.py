"""Durations as scorecards write them: ``<n>h``, ``<n>d`` or ``<n>w``."""

import re
from datetime import timedelta

_DURATION = re.compile(r"^(?P<count>[0-9]+)(?P<unit>[hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_LONGEST = timedelta(days=36525)


def parse_duration(text: str) -> timedelta:
    """Turn ``14d`` into a timedelta; raise ValueError for anything else."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 90d, 12h or 2w")

    count = int(match["count"])
    if count == 0:
        raise ValueError(f"{text!r} must be longer than zero")
    duration = count * _UNITS[match["unit"]] if count < 10**7 else _LONGEST * 2
    if duration > _LONGEST:
        raise ValueError(f"{text!r} is longer than the longest window, 100 years")
    return duration


def format_duration(value: timedelta) -> str:
    """The shortest of ``<n>w``, ``<n>d`` or ``<n>h`` that says exactly ``value``."""
    seconds = int(value.total_seconds())
    for unit in ("w", "d", "h"):
        size = int(_UNITS[unit].total_seconds())
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds / 3600:g}h"
