"""`scorecards manage`: Django's own commands, for the operator who needs one."""

from collections.abc import Callable

import pytest
from service_helpers import Run, Site

Scorecards = Callable[..., Run]


def test_everything_after_manage_goes_to_django_even_help(
    scorecards: Scorecards,
) -> None:
    run = scorecards("manage", "--help")

    assert run.status == 0
    assert "Type 'scorecards manage help <subcommand>'" in run.stdout
    assert "changepassword" in run.stdout
    assert "db_worker" in run.stdout


@pytest.mark.django_db
def test_it_runs_a_command_on_the_services_database(scorecards: Scorecards) -> None:
    run = scorecards("manage", "showmigrations", "scoring")

    assert run.status == 0
    assert "[X] 0002_scheduledrun" in run.stdout


def test_a_bad_setting_is_named_not_dumped_as_a_traceback(site: Site) -> None:
    result = site.command("manage", "check", env={"SCORECARDS_DEBUG": "maybe"})

    assert result.returncode == 2
    assert result.stderr.startswith("scorecards manage: SCORECARDS_DEBUG must be")
    assert "Traceback" not in result.stderr
