"""What a signed-in user may change, decided once per request.

Reading is open to everyone signed in; changing is by role:

- an admin may change everything, configuration included;
- a manager may change the accounts of their own and their teams' CSMs, and
  may set overrides on those;
- a CSM may change their own accounts (contacts, QBRs, alerts, plan tasks);
- a viewer changes nothing.

The server checks every change with these rules; hiding a button is a
courtesy, never the protection.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from scorecards.people.models import Member, Role, Team


@dataclass(frozen=True, slots=True)
class Access:
    role: Role
    names: frozenset[str]  # how accounts name this user as their CSM
    managed: frozenset[str]  # how accounts name the CSMs of the teams they manage

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def may_change_anything(self) -> bool:
        return self.role != Role.VIEWER

    def owns(self, account: Any) -> bool:
        return _name(account.csm) in self.names

    def can_edit(self, account: Any) -> bool:
        """May change the account's contacts, QBRs, alerts and plan tasks."""
        if self.role == Role.ADMIN:
            return True
        if self.role == Role.MANAGER:
            return self.owns(account) or _name(account.csm) in self.managed
        if self.role == Role.CSM:
            return self.owns(account)
        return False

    def can_override(self, account: Any) -> bool:
        """May set the account's score by hand."""
        return self.role == Role.ADMIN or (
            self.role == Role.MANAGER and self.can_edit(account)
        )

    def mine(self) -> Q:
        """The accounts this user looks after, for a queryset's filter."""
        return _csm_in(self.names)

    def in_my_teams(self) -> Q:
        return _csm_in(self.names | self.managed)


def access(request: HttpRequest) -> Access:
    """The signed-in user's access, worked out once per request."""
    found = getattr(request, "_scorecards_access", None)
    if found is None:
        found = access_of(request.user)
        request._scorecards_access = found  # type: ignore[attr-defined]
    return found


def access_of(user: Any) -> Access:
    if not user.is_authenticated or not user.is_active:
        return Access(Role.VIEWER, frozenset(), frozenset())
    return Access(role_of(user), names_of(user), _managed_names(user))


def role_of(user: Any) -> Role:
    if user.is_superuser:
        return Role.ADMIN
    member = Member.objects.filter(user=user).first()
    return Role(member.role) if member else Role.VIEWER


def names_of(user: Any) -> frozenset[str]:
    """The names an account's ``csm`` may give this user: username or email."""
    return frozenset(_name(name) for name in (user.username, user.email) if name)


def _managed_names(user: Any) -> frozenset[str]:
    names: set[str] = set()
    for team in Team.objects.filter(manager=user).prefetch_related("members"):
        for member in team.members.all():
            names |= names_of(member)
    return frozenset(names)


def _name(csm: str) -> str:
    return csm.strip().lower()


def _csm_in(names: frozenset[str]) -> Q:
    query = Q(pk__in=[])
    for name in names:
        query |= Q(csm__iexact=name)
    return query


def require(
    allowed: Callable[[Access], bool],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view for signed-in users whose access passes ``allowed``; 403 for others."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not allowed(access(request)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(checked)

    return decorate


admin_page = require(lambda found: found.is_admin)
