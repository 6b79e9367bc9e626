"""gunicorn's settings for ``scorecards serve``, which adds the address and processes.

gunicorn reads this module's names as its settings (``--config python:...``); an
operator can still change any of them through GUNICORN_CMD_ARGS.
"""

from typing import Any

from gunicorn.glogging import Logger

from scorecards.config.logformat import UTCFormatter

wsgi_app = "scorecards.config.wsgi:application"
logger_class = "scorecards.cli.gunicorn_config.ServiceLogger"

# The control socket is for the gunicornc tool, which nothing here uses; and two
# servers on one machine would fight over its one default path.
control_socket_disable = True

# The line format of the settings' LOGGING, so the web server's own lines read
# like everything else the service logs.
LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ServiceLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, writing its error log in the service's line format."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(UTCFormatter(LINE_FORMAT))
