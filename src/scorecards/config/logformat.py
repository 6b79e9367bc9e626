"""Log line format shared by every process: the web server, workers and commands."""

import logging
import time


class UTCFormatter(logging.Formatter):
    """Stamp records in UTC with an explicit Z, whatever the host's local zone is."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"
