"""What ``scorecards check`` looks for: a production configuration that is
unsafe (a warning) or that could be better (advice).

Each finding names the environment variable that fixes it. The checks read
Django's settings as the server would build them, plus the data folder on disk.
"""

import stat
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from scorecards.config.settings import DEVELOPMENT_SECRET_KEY, SQLITE_ENGINE

MIN_SECRET_LENGTH = 50
MIN_SECRET_CHARACTERS = 5


class Level(StrEnum):
    WARNING = "warning"
    ADVICE = "advice"


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    variable: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.variable}: {self.message}"


def findings(settings: Any) -> list[Finding]:
    found = [
        *_debug(settings),
        *_secret_key(settings),
        *_https(settings),
        *_hosts(settings),
        *_database(settings),
        *_email(settings),
        *_data_dir(settings),
    ]
    return sorted(found, key=lambda finding: finding.level != Level.WARNING)


def _debug(settings: Any) -> list[Finding]:
    if not settings.DEBUG:
        return []
    return [
        Finding(
            Level.WARNING,
            "SCORECARDS_DEBUG",
            "debug mode is on: error pages show code and settings, cookies travel "
            "over plain HTTP, and the development secret key is allowed; never "
            "use it where others can reach the service",
        )
    ]


def _secret_key(settings: Any) -> list[Finding]:
    key = settings.SECRET_KEY
    if key == DEVELOPMENT_SECRET_KEY:
        message = "the development key is in use: anyone can forge a session"
    elif len(key) < MIN_SECRET_LENGTH or len(set(key)) < MIN_SECRET_CHARACTERS:
        message = (
            f"shorter than {MIN_SECRET_LENGTH} characters or too repetitive to be "
            "safe; make one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'"
        )
    else:
        return []
    return [Finding(Level.WARNING, "SCORECARDS_SECRET_KEY", message)]


def _https(settings: Any) -> list[Finding]:
    found = []
    behind_proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is not None
    if not settings.SECURE_SSL_REDIRECT and not behind_proxy:
        found.append(
            Finding(
                Level.WARNING,
                "SCORECARDS_SECURE_SSL_REDIRECT",
                "plain HTTP is served as it comes: passwords and session cookies "
                "can be read on the way; serve over HTTPS (or behind a proxy that "
                "does, with SCORECARDS_TRUST_X_FORWARDED_PROTO=true)",
            )
        )
    if settings.BASE_URL.startswith("http://"):
        found.append(
            Finding(
                Level.WARNING,
                "SCORECARDS_BASE_URL",
                f"{settings.BASE_URL} is not HTTPS: links in emails and survey "
                "invitations would send people to a plain-HTTP address",
            )
        )
    if not settings.SECURE_HSTS_SECONDS:
        found.append(
            Finding(
                Level.ADVICE,
                "SCORECARDS_HSTS_SECONDS",
                "browsers are not told to use HTTPS only; once HTTPS works, set it "
                "(31536000 is a year)",
            )
        )
    return found


def _hosts(settings: Any) -> list[Finding]:
    hosts = list(settings.ALLOWED_HOSTS)
    if "*" in hosts:
        return [
            Finding(
                Level.WARNING,
                "SCORECARDS_ALLOWED_HOSTS",
                "'*' accepts any Host header, which lets links in password and "
                "notification emails be pointed elsewhere; name the hosts",
            )
        ]
    if not hosts and not settings.DEBUG:
        return [
            Finding(
                Level.WARNING,
                "SCORECARDS_ALLOWED_HOSTS",
                "empty: every request is refused with 400; name the host names the "
                "service is reached at",
            )
        ]
    return []


def _database(settings: Any) -> list[Finding]:
    if settings.DATABASES["default"]["ENGINE"] != SQLITE_ENGINE:
        return []
    return [
        Finding(
            Level.ADVICE,
            "DATABASE_URL",
            "SQLite serves one machine well; for several web or worker machines, "
            "and for online backups, use PostgreSQL (docs/operations.md)",
        )
    ]


def _email(settings: Any) -> list[Finding]:
    options = settings.MAILERS["default"].get("OPTIONS", {})
    if not options.get("password"):
        return []
    if options.get("use_tls") or options.get("use_ssl"):
        return []
    return [
        Finding(
            Level.WARNING,
            "SCORECARDS_EMAIL_STARTTLS",
            "the SMTP password is sent without encryption; set "
            "SCORECARDS_EMAIL_STARTTLS=true or SCORECARDS_EMAIL_SSL=true",
        )
    ]


def _data_dir(settings: Any) -> list[Finding]:
    folder = Path(settings.DATA_DIR)
    try:
        mode = folder.stat().st_mode
    except OSError:
        return []
    if not mode & (stat.S_IROTH | stat.S_IWOTH):
        return []
    return [
        Finding(
            Level.WARNING,
            "SCORECARDS_DATA_DIR",
            f"{folder} can be read or written by every user of the machine, and it "
            "holds uploaded files with personal data; run: chmod o-rwx "
            f"{folder}",
        )
    ]
