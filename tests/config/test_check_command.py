"""`scorecards check`: what an operator is told about an unsafe configuration.

Each case runs the command in a fresh interpreter with only the variables the
test gives it, as a deployment pipeline would.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

SECRET = "kq3V9xZ2mB7nR4tW8yL1pF6hJ0dS5gA2cE9uI3oK7wQ1zX4vN8bM6"

SAFE = {
    "SCORECARDS_SECRET_KEY": SECRET,
    "SCORECARDS_ALLOWED_HOSTS": "cs.example.com",
    "SCORECARDS_BASE_URL": "https://cs.example.com",
    "SCORECARDS_HSTS_SECONDS": "31536000",
    "DATABASE_URL": "postgres://scorecards@db.internal/scorecards",
}


def check(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    data = folder / "data"
    if not data.exists():
        data.mkdir(mode=0o700)
    return subprocess.run(
        [sys.executable, "-m", "scorecards.cli.main", "check"],
        env={"PATH": os.environ["PATH"], "SCORECARDS_DATA_DIR": str(data), **env},
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def warned(run: subprocess.CompletedProcess[str]) -> list[str]:
    return [
        line.split(":")[1].strip()
        for line in run.stdout.splitlines()
        if line.startswith("warning:")
    ]


def test_a_safe_production_configuration_passes(tmp_path):
    run = check(tmp_path, **SAFE)

    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == "No problems found."


def test_debug_mode_and_the_development_key_are_warned_about(tmp_path):
    run = check(tmp_path, **(SAFE | {"SCORECARDS_DEBUG": "true"}))
    del_key = {k: v for k, v in SAFE.items() if k != "SCORECARDS_SECRET_KEY"}
    dev = check(tmp_path, **(del_key | {"SCORECARDS_DEBUG": "true"}))

    assert run.returncode == 1
    # Debug mode also stops redirecting plain HTTP, which is warned about too.
    assert warned(run) == ["SCORECARDS_DEBUG", "SCORECARDS_SECURE_SSL_REDIRECT"]
    assert warned(dev) == [
        "SCORECARDS_DEBUG", "SCORECARDS_SECRET_KEY", "SCORECARDS_SECURE_SSL_REDIRECT"
    ]  # fmt: skip
    assert "anyone can forge a session" in dev.stdout


@pytest.mark.parametrize("weak", ["short-key", "a" * 60])
def test_a_weak_secret_key_is_warned_about(tmp_path, weak):
    run = check(tmp_path, **(SAFE | {"SCORECARDS_SECRET_KEY": weak}))

    assert warned(run) == ["SCORECARDS_SECRET_KEY"]
    assert "secrets.token_urlsafe" in run.stdout


def test_no_https_and_any_host_are_warned_about(tmp_path):
    run = check(
        tmp_path,
        **SAFE
        | {
            "SCORECARDS_SECURE_SSL_REDIRECT": "false",
            "SCORECARDS_BASE_URL": "http://cs.example.com",
            "SCORECARDS_ALLOWED_HOSTS": "*",
        },
    )

    assert warned(run) == [
        "SCORECARDS_SECURE_SSL_REDIRECT",
        "SCORECARDS_BASE_URL",
        "SCORECARDS_ALLOWED_HOSTS",
    ]
    assert "3 warnings to fix" in run.stdout


def test_https_at_a_trusted_proxy_counts_as_https(tmp_path):
    run = check(
        tmp_path,
        **SAFE,
        SCORECARDS_SECURE_SSL_REDIRECT="false",
        SCORECARDS_TRUST_X_FORWARDED_PROTO="true",
    )

    assert run.returncode == 0, run.stdout


def test_a_password_sent_to_smtp_in_the_clear_is_warned_about(tmp_path):
    secret = tmp_path / "smtp-password"
    secret.write_text("hunter2-but-longer\n")

    run = check(
        tmp_path,
        **SAFE,
        SCORECARDS_EMAIL_USER="mailer",
        SCORECARDS_EMAIL_PASSWORD_FILE=str(secret),
    )
    tls = check(
        tmp_path,
        **SAFE,
        SCORECARDS_EMAIL_USER="mailer",
        SCORECARDS_EMAIL_PASSWORD_FILE=str(secret),
        SCORECARDS_EMAIL_STARTTLS="true",
    )

    assert warned(run) == ["SCORECARDS_EMAIL_STARTTLS"]
    assert "hunter2" not in run.stdout + run.stderr
    assert tls.returncode == 0


def test_a_data_folder_others_can_read_is_warned_about(tmp_path):
    (tmp_path / "data").mkdir(mode=0o700)
    (tmp_path / "data").chmod(0o755)

    run = check(tmp_path, **SAFE)

    assert warned(run) == ["SCORECARDS_DATA_DIR"]
    assert "chmod o-rwx" in run.stdout


def test_sqlite_and_no_hsts_are_advice_not_warnings(tmp_path):
    env = {k: v for k, v in SAFE.items() if k not in ("DATABASE_URL",)}
    env["SCORECARDS_HSTS_SECONDS"] = "0"

    run = check(tmp_path, **env)

    assert run.returncode == 0
    assert warned(run) == []
    assert "advice: DATABASE_URL" in run.stdout
    assert "advice: SCORECARDS_HSTS_SECONDS" in run.stdout


def test_the_secret_key_may_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret-key"
    key_file.write_text(SECRET + "\n")
    env = {k: v for k, v in SAFE.items() if k != "SCORECARDS_SECRET_KEY"}

    run = check(tmp_path, **env, SCORECARDS_SECRET_KEY_FILE=str(key_file))

    assert run.returncode == 0, run.stdout + run.stderr


def test_a_configuration_that_cannot_load_is_an_error_naming_the_variable(tmp_path):
    env = {k: v for k, v in SAFE.items() if k != "SCORECARDS_SECRET_KEY"}

    run = check(tmp_path, **env)

    assert run.returncode == 2
    assert run.stdout.startswith("error: SCORECARDS_SECRET_KEY is not set")
