"""Log line format shared by every process: the web server, workers and commands."""

import logging
from datetime import UTC, datetime


class UTCFormatter(logging.Formatter):
    """Stamp records in UTC with an explicit Z, whatever the host's local zone is."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        if datefmt:
            return moment.strftime(datefmt)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
