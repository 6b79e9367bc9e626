"""Settings, as an operator configures them through the environment.

Each startup case imports the settings module in a fresh interpreter with only the
variables the test gives it, the way a server process would start.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from scorecards.config.env import env_bool, env_int, env_list

SECRET = "a-long-random-secret-that-only-this-test-knows-0123456789"

SHOW_SETTINGS = """
import json
from scorecards.config import settings

database = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "ENGINE": database["ENGINE"],
    "NAME": database["NAME"],
    "HOST": database.get("HOST"),
    "PORT": database.get("PORT"),
    "OPTIONS": database["OPTIONS"],
    "TIME_ZONE": settings.TIME_ZONE,
    "USE_TZ": settings.USE_TZ,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "LOG_LEVEL": settings.LOGGING["root"]["level"],
}))
"""


def start(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def settings_of(cwd: Path, **env: str) -> dict[str, Any]:
    result = start(cwd, **env)
    assert result.returncode == 0, result.stderr

    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def refusal_of(cwd: Path, **env: str) -> str:
    result = start(cwd, **env)
    assert result.returncode != 0, result.stdout

    assert "ImproperlyConfigured" in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_a_bad_boolean_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCORECARDS_DEBUG", "maybe")

    with pytest.raises(ImproperlyConfigured, match=r"^SCORECARDS_DEBUG .*'maybe'"):
        env_bool("SCORECARDS_DEBUG", default=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("Yes", True),
        ("1", True),
        ("on", True),
        ("false", False),
        ("NO", False),
        ("0", False),
        ("off", False),
    ],
)
def test_booleans_take_the_usual_words(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("SCORECARDS_EXAMPLE", value)

    assert env_bool("SCORECARDS_EXAMPLE", default=not expected) is expected


def test_an_empty_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORECARDS_EXAMPLE", "")

    assert env_bool("SCORECARDS_EXAMPLE", default=True) is True
    assert env_int("SCORECARDS_EXAMPLE", default=7) == 7
    assert env_list("SCORECARDS_EXAMPLE", default=("a",)) == ["a"]


def test_a_bad_number_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCORECARDS_HSTS_SECONDS", "one year")

    with pytest.raises(ImproperlyConfigured, match=r"^SCORECARDS_HSTS_SECONDS .*"):
        env_int("SCORECARDS_HSTS_SECONDS", default=0)


def test_lists_are_split_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORECARDS_ALLOWED_HOSTS", " cs.example.com, .example.org,,")

    hosts = env_list("SCORECARDS_ALLOWED_HOSTS")

    assert hosts == ["cs.example.com", ".example.org"]


def test_it_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import scorecards.config.settings"],
        env={},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        "django.core.exceptions.ImproperlyConfigured: SCORECARDS_SECRET_KEY is not set."
    )


def test_it_refuses_the_development_key_outside_debug(tmp_path: Path) -> None:
    from scorecards.config.settings import DEVELOPMENT_SECRET_KEY

    refusal = refusal_of(tmp_path, SCORECARDS_SECRET_KEY=DEVELOPMENT_SECRET_KEY)

    assert "SCORECARDS_SECRET_KEY is not set" in refusal


def test_a_bad_boolean_stops_startup(tmp_path: Path) -> None:
    refusal = refusal_of(tmp_path, SCORECARDS_DEBUG="maybe")

    assert "SCORECARDS_DEBUG must be a boolean" in refusal


def test_production_is_secure_by_default(tmp_path: Path) -> None:
    settings = settings_of(
        tmp_path,
        SCORECARDS_SECRET_KEY=SECRET,
        SCORECARDS_ALLOWED_HOSTS="cs.example.com",
    )

    assert settings["DEBUG"] is False
    assert settings["SECRET_KEY"] == SECRET
    assert settings["ALLOWED_HOSTS"] == ["cs.example.com"]
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["TIME_ZONE"] == "UTC"
    assert settings["USE_TZ"] is True


def test_debug_mode_runs_on_sqlite_with_nothing_else_set(tmp_path: Path) -> None:
    settings = settings_of(tmp_path, SCORECARDS_DEBUG="true")

    assert settings["DEBUG"] is True
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["ENGINE"] == "django.db.backends.sqlite3"
    assert settings["NAME"] == str(tmp_path / "var" / "scorecards.sqlite3")
    assert (tmp_path / "var").is_dir()


def test_the_data_directory_is_created_where_asked(tmp_path: Path) -> None:
    data_dir = tmp_path / "srv" / "scorecards"

    settings = settings_of(
        tmp_path, SCORECARDS_DEBUG="true", SCORECARDS_DATA_DIR=str(data_dir)
    )

    assert settings["NAME"] == str(data_dir / "scorecards.sqlite3")
    assert data_dir.is_dir()


def test_database_url_selects_postgresql(tmp_path: Path) -> None:
    settings = settings_of(
        tmp_path,
        SCORECARDS_DEBUG="true",
        DATABASE_URL="postgres://cs:pw@db.example.com:5433/scorecards",
    )

    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert (settings["HOST"], settings["PORT"]) == ("db.example.com", 5433)
    assert settings["NAME"] == "scorecards"
    assert settings["OPTIONS"] == {"connect_timeout": 10}


def test_options_in_the_database_url_win(tmp_path: Path) -> None:
    settings = settings_of(
        tmp_path,
        SCORECARDS_DEBUG="true",
        DATABASE_URL="postgres://cs@db.example.com/scorecards?connect_timeout=2",
    )

    assert settings["OPTIONS"] == {"connect_timeout": 2}


def test_other_databases_are_refused_without_echoing_the_password(
    tmp_path: Path,
) -> None:
    url = "mysql://cs:hunter2@db.example.com/scorecards"

    refusal = refusal_of(tmp_path, SCORECARDS_DEBUG="true", DATABASE_URL=url)
    everything_printed = start(tmp_path, SCORECARDS_DEBUG="true", DATABASE_URL=url)

    assert (
        "DATABASE_URL must be a postgres:// or sqlite:// URL, got mysql://" in refusal
    )
    assert "hunter2" not in everything_printed.stderr


def test_the_log_level_is_read(tmp_path: Path) -> None:
    settings = settings_of(
        tmp_path, SCORECARDS_DEBUG="true", SCORECARDS_LOG_LEVEL="warning"
    )

    assert settings["LOG_LEVEL"] == "WARNING"


def test_an_unknown_log_level_is_refused(tmp_path: Path) -> None:
    refusal = refusal_of(tmp_path, SCORECARDS_DEBUG="true", SCORECARDS_LOG_LEVEL="loud")

    assert "SCORECARDS_LOG_LEVEL must be one of DEBUG, INFO" in refusal
