"""The demo's team: a CSM login for each CSM the accounts name, in two teams,
each with a manager, and a viewer.

They have no password: an admin sets one on the Settings page (or with
``scorecards manage changepassword``) to look at the product through their
eyes.
"""

from typing import Any

from django.contrib.auth import get_user_model

from scorecards.demo.generate import CSMS
from scorecards.people.models import Role, Team
from scorecards.people.service import set_role

TEAMS = {
    "Strategic and enterprise": ("manager-01", ("strategic", "enterprise")),
    "Mid-market and SMB": ("manager-02", ("mid_market", "smb")),
}


def add_people() -> int:
    """Create the demo's users, roles and teams; returns how many users."""
    created = 0
    for team_name, (manager_name, segments) in TEAMS.items():
        manager, made = _user(manager_name)
        created += made
        set_role(manager, Role.MANAGER)
        team, _ = Team.objects.update_or_create(
            name=team_name, defaults={"manager": manager}
        )
        for segment in segments:
            for csm_name in CSMS[segment]:
                csm, made = _user(csm_name)
                created += made
                set_role(csm, Role.CSM)
                team.members.add(csm)
    viewer, made = _user("viewer-01")
    set_role(viewer, Role.VIEWER)
    return created + made


def _user(username: str) -> tuple[Any, bool]:
    """The user, created without a usable password when missing."""
    user_model = get_user_model()
    found = user_model.objects.filter(username=username).first()
    if found is not None:
        return found, False
    return user_model.objects.create_user(username), True
