"""Log line format shared by every process: the web server, workers and commands."""

import logging
import sys
from datetime import UTC, datetime


class UTCFormatter(logging.Formatter):
    """Stamp records in UTC with an explicit Z, whatever the host's local zone is."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        if datefmt:
            return moment.strftime(datefmt)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when each record arrives.

    A handler that holds on to the stderr it was configured with breaks once
    that stream is swapped and closed, as a test's captured output is.
    """

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass
