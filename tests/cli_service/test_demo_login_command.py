"""`scorecards demo-login`: the login `make run` prints, made once and kept."""

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from pytest_django import Settings
from service_helpers import Run

pytestmark = pytest.mark.django_db

Scorecards = Callable[..., Run]


@pytest.fixture
def development(settings: Settings, tmp_path: Path) -> Path:
    settings.DEBUG = True
    settings.DATA_DIR = tmp_path
    return tmp_path


def printed_password(run: Run) -> str:
    assert run.status == 0, run.stderr
    prefix = "Log in as demo with the password "
    assert run.stdout.startswith(prefix)
    return run.stdout.removeprefix(prefix).strip()


def test_it_makes_the_demo_login_and_shows_the_same_one_every_time(
    scorecards: Scorecards, development: Path
) -> None:
    first = printed_password(scorecards("demo-login"))
    again = printed_password(scorecards("demo-login"))

    assert again == first
    assert len(first) == 12
    assert User.objects.get(username="demo").check_password(first)


def test_only_its_owner_can_read_the_kept_password(
    scorecards: Scorecards, development: Path
) -> None:
    scorecards("demo-login")

    mode = (development / "demo-password").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_a_changed_password_is_not_shown_wrongly(
    scorecards: Scorecards, development: Path
) -> None:
    printed_password(scorecards("demo-login"))
    demo = User.objects.get(username="demo")
    demo.set_password("changed by hand")
    demo.save()

    run = scorecards("demo-login")

    assert run.status == 0
    assert "its password is not the one kept" in run.stdout
    assert "scorecards manage changepassword demo" in run.stdout


def test_it_refuses_outside_a_development_setup(
    scorecards: Scorecards, settings: Settings
) -> None:
    settings.DEBUG = False

    run = scorecards("demo-login")

    assert run.status == 2
    assert "SCORECARDS_DEBUG=true" in run.stderr
    assert not User.objects.exists()
