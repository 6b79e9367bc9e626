"""Who a rule or a playbook step means by ``csm``, ``manager``, ``team:<name>``
and ``user:<username>``.

An account names its CSM by username or email address; the CSM's manager is
the manager of any team the CSM belongs to. A name that finds nobody finds
nobody: the caller decides whether that deserves a warning.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from scorecards.people.models import Team

RECIPIENT_PATTERN = r"^(csm|manager|team:.+|user:.+)$"
# Email may also go to a plain address.
EMAIL_RECIPIENT_PATTERN = r"^(csm|manager|team:.+|user:.+|[^@\s]+@[^@\s]+)$"


def users_for(to: str, account: Any) -> list[Any]:
    """The active users ``to`` names, for ``account``; [] for an address."""
    user_model = get_user_model()
    if to == "csm":
        return list(csm_users(account))
    if to == "manager":
        teams = Team.objects.filter(members__in=csm_users(account)).exclude(
            manager=None
        )
        return list(
            user_model.objects.filter(
                is_active=True, managed_teams__in=teams
            ).distinct()
        )
    if to.startswith("team:"):
        return list(
            user_model.objects.filter(
                is_active=True, teams__name=to.removeprefix("team:")
            ).distinct()
        )
    if to.startswith("user:"):
        return list(
            user_model.objects.filter(is_active=True, username=to.removeprefix("user:"))
        )
    return []


def csm_users(account: Any) -> Any:
    """The users the account's ``csm`` names, as a queryset."""
    name = account.csm.strip()
    if not name:
        return get_user_model().objects.none()
    return get_user_model().objects.filter(
        Q(username__iexact=name) | Q(email__iexact=name), is_active=True
    )


def emails_for(to: str, account: Any) -> list[str]:
    """The addresses ``to`` means: its users' emails, or ``to`` itself when it
    is an address. The CSM field may itself be an address."""
    if "@" in to:
        return [to]
    if to == "csm" and "@" in account.csm:
        return [account.csm.strip()]
    return sorted({user.email for user in users_for(to, account) if user.email})
