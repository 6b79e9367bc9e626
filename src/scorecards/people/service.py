"""Adding people, giving them roles, putting them in teams."""

import logging
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from scorecards.audit.log import record
from scorecards.people.access import role_of
from scorecards.people.models import Member, Role, Team

logger = logging.getLogger(__name__)


@transaction.atomic
def add_person(
    username: str,
    *,
    role: Role | str,
    email: str = "",
    password: str | None = None,
    teams: Sequence[str] = (),
) -> Any:
    """A new user with a role, in the named teams (created when missing).

    Without a password the user cannot sign in with one until an admin sets it.
    """
    user_model = get_user_model()
    user = user_model.objects.create_user(username, email=email, password=password)
    set_role(user, role)
    join_teams(user, teams)
    record_created(user)
    return user


def described(user: Any) -> dict[str, Any]:
    """A user as the audit log keeps them: name, role, teams; never a password."""
    return {
        "username": user.get_username(),
        "role": role_of(user).value,
        "teams": sorted(team.name for team in user.teams.all()),
        "manages": sorted(team.name for team in user.managed_teams.all()),
    }


def record_created(user: Any) -> None:
    record("user.created", target=f"user:{user.get_username()}", after=described(user))


def join_teams(user: Any, names: Sequence[str]) -> None:
    """Make ``user`` a member of each team named, creating those missing."""
    for name in names:
        team, _ = Team.objects.get_or_create(name=name.strip()[:100])
        team.members.add(user)


def manage_teams(user: Any, names: Sequence[str]) -> None:
    """Make ``user`` the manager of each team named, creating those missing."""
    for name in names:
        Team.objects.update_or_create(
            name=name.strip()[:100], defaults={"manager": user}
        )


def set_role(user: Any, role: Role | str) -> None:
    """Give ``user`` a role; a change of an existing user's role is audited (a
    new user's first role is part of their creation)."""
    role = Role(role)
    earlier = Member.objects.filter(user=user).values_list("role", flat=True).first()
    Member.objects.update_or_create(user=user, defaults={"role": role})
    if earlier is not None and earlier != role:
        record(
            "user.role_changed",
            target=f"user:{user.get_username()}",
            before={"role": earlier},
            after={"role": role.value},
        )
    logger.info("user %s now has the role %s", user.get_username(), role.value)
