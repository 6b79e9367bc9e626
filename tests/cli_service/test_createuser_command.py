"""`scorecards createuser`: a web login, its password typed or given by a script."""

import getpass
import sys
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import User
from service_helpers import Run

pytestmark = pytest.mark.django_db

Scorecards = Callable[..., Run]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Pretend a person sits at a terminal and types these passwords in turn."""

    def typing(*answers: str) -> None:
        typed: Iterator[str] = iter(answers)
        monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
        monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(typed))

    return typing


def test_a_script_gives_the_password_in_the_environment(
    scorecards: Scorecards, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORECARDS_PASSWORD", PASSWORD)

    run = scorecards(
        "createuser", "--username", "csm-1", "--email", "csm-1@example.com"
    )

    assert run.status == 0
    assert run.stdout == "Created viewer csm-1.\n"
    user = User.objects.get(username="csm-1")
    assert user.email == "csm-1@example.com"
    assert user.check_password(PASSWORD)
    assert not user.is_superuser
    assert not user.is_staff


def test_a_csm_in_a_team(
    scorecards: Scorecards, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORECARDS_PASSWORD", PASSWORD)

    run = scorecards(
        "createuser", "--username", "csm-1", "--role", "csm", "--team", "east"
    )

    assert run.status == 0, run.stderr
    assert run.stdout == "Created csm csm-1.\n"
    user = User.objects.get(username="csm-1")
    assert user.member.role == "csm"
    assert [team.name for team in user.teams.all()] == ["east"]


def test_a_manager_of_a_team(
    scorecards: Scorecards, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORECARDS_PASSWORD", PASSWORD)

    run = scorecards(
        "createuser", "--username", "lead-1", "--role", "manager", "--manages", "east"
    )

    assert run.status == 0, run.stderr
    assert [
        team.name for team in User.objects.get(username="lead-1").managed_teams.all()
    ] == ["east"]


def test_the_password_is_never_shown(
    scorecards: Scorecards, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORECARDS_PASSWORD", PASSWORD)

    run = scorecards("createuser", "--username", "csm-1", "--superuser")

    assert run.status == 0
    assert PASSWORD not in run.stdout + run.stderr
    assert User.objects.get(username="csm-1").password != PASSWORD


def test_a_superuser(scorecards: Scorecards, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORECARDS_PASSWORD", PASSWORD)

    run = scorecards("createuser", "--username", "ops", "--superuser")

    assert run.status == 0
    assert run.stdout == "Created superuser ops.\n"
    ops = User.objects.get(username="ops")
    assert ops.is_superuser
    assert ops.is_staff


def test_a_person_types_the_password_twice(
    scorecards: Scorecards, terminal: Callable[..., None]
) -> None:
    terminal(PASSWORD, PASSWORD)

    run = scorecards("createuser", "--username", "csm-1")

    assert run.status == 0
    assert User.objects.get(username="csm-1").check_password(PASSWORD)


def test_two_different_passwords_create_nobody(
    scorecards: Scorecards, terminal: Callable[..., None]
) -> None:
    terminal(PASSWORD, "correct horse battery stable")

    run = scorecards("createuser", "--username", "csm-1")

    assert run.status == 2
    assert "the passwords differ; nothing was created" in run.stderr
    assert not User.objects.exists()


def test_without_a_terminal_or_the_variable_it_says_what_to_set(
    scorecards: Scorecards, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCORECARDS_PASSWORD", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)

    run = scorecards("createuser", "--username", "csm-1")

    assert run.status == 2
    assert "set SCORECARDS_PASSWORD" in run.stderr
    assert not User.objects.exists()


def test_an_existing_username_is_refused(
    scorecards: Scorecards, monkeypatch: pytest.MonkeyPatch
) -> None:
    User.objects.create_user("csm-1", password="first")
    monkeypatch.setenv("SCORECARDS_PASSWORD", PASSWORD)

    run = scorecards("createuser", "--username", "csm-1")

    assert run.status == 1
    assert "user 'csm-1' already exists" in run.stderr
    assert User.objects.get(username="csm-1").check_password("first")


def test_a_malformed_email_is_refused(
    scorecards: Scorecards, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORECARDS_PASSWORD", PASSWORD)

    run = scorecards("createuser", "--username", "csm-1", "--email", "csm-1@")

    assert run.status == 2
    assert "email: Enter a valid email address." in run.stderr
    assert not User.objects.exists()
