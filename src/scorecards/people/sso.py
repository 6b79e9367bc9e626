"""Single sign-on: who may come in through the identity provider, and with what role.

On every sign-in through OpenID Connect the groups the identity provider names
decide the user's role (and, with a team prefix, their teams), so a change made
there takes effect here at the next sign-in. A user whose groups map to no role
gets the default role, or is refused when the operator chose to refuse.
"""

import logging
from collections.abc import Iterable
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.manage_email import assess_unique_email
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from scorecards.audit.actors import Actor, ActorKind, acting_as
from scorecards.audit.log import record
from scorecards.config.sso import ROLES, SingleSignOn
from scorecards.people.models import Member, Role, Team
from scorecards.people.service import record_created, set_role

logger = logging.getLogger(__name__)

SIGN_IN = Actor(ActorKind.SYSTEM, "single sign-on")


def role_for_groups(
    groups: Iterable[str], *, role_map: dict[str, str], default_role: str | None
) -> Role | None:
    """The most powerful role any of ``groups`` maps to; else the default, which
    is None when such people are refused."""
    matched = {role_map[group] for group in groups if group in role_map}
    for role in ROLES:
        if role in matched:
            return Role(role)
    return Role(default_role) if default_role else None


def teams_for_groups(groups: Iterable[str], *, prefix: str) -> list[str]:
    """The teams named by groups that start with ``prefix``, without it."""
    if not prefix:
        return []
    named = {
        group.removeprefix(prefix).strip()
        for group in groups
        if group.startswith(prefix)
    }
    return sorted(named - {""})


def groups_in(claims: dict[str, Any], claim: str) -> list[str]:
    """The claim as a list of group names; a single name counts as one group."""
    value = claims.get(claim)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(group) for group in value]
    return []


def claims_of(sociallogin: SocialLogin) -> dict[str, Any]:
    """What the provider said: the ID token's claims, overlaid by userinfo's."""
    extra = sociallogin.account.extra_data or {}
    return {**extra.get("id_token", {}), **extra.get("userinfo", {})}


def refuse(request: HttpRequest, reason: str, *, status: int = 403) -> HttpResponse:
    return render(request, "web/sso_refused.html", {"reason": reason}, status=status)


class AccountAdapter(DefaultAccountAdapter):
    """allauth's account side: no sign-up with a password, ever."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def respond_user_inactive(self, request: HttpRequest, user: Any) -> HttpResponse:
        logger.info("single sign-on refused for %s: deactivated", user.get_username())
        return refuse(request, "This user has been deactivated. Ask an admin.")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Maps the identity provider's groups to a role on every sign-in."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return settings.SINGLE_SIGN_ON is not None

    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: Any) -> bool:
        # allauth would otherwise offer its sign-up form when the address is
        # taken by a user here and the provider did not say it is verified.
        for address in sociallogin.email_addresses[:1]:
            if assess_unique_email(address.email) is False:
                raise ImmediateHttpResponse(
                    refuse(
                        request,
                        "A user here already has this email address, and the "
                        "identity provider did not say it is verified. Ask an admin.",
                    )
                )
        return True

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        sso: SingleSignOn = settings.SINGLE_SIGN_ON
        groups = groups_in(claims_of(sociallogin), sso.groups_claim)
        role = role_for_groups(
            groups, role_map=sso.role_map, default_role=sso.default_role
        )
        if role is None:
            logger.info(
                "single sign-on refused for %s: no group maps to a role",
                sociallogin.account.uid,
            )
            raise ImmediateHttpResponse(
                refuse(
                    request,
                    f"Your account at {sso.name} is not in a group that may use "
                    "Scorecards. Ask an admin to add you to one.",
                )
            )

        sociallogin.scorecards_role = role
        sociallogin.scorecards_teams = teams_for_groups(groups, prefix=sso.team_prefix)
        if sociallogin.is_existing:
            apply_groups(sociallogin.user, sociallogin)

    def save_user(
        self, request: HttpRequest, sociallogin: Any, form: Any = None
    ) -> Any:
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            apply_groups(user, sociallogin, new=True)
        logger.info("single sign-on added user %s", user.get_username())
        return user

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        name = getattr(provider, "name", "the identity provider")
        if error == "cancelled":
            reason = f"Signing in with {name} was cancelled."
        else:
            logger.warning(
                "single sign-on with %s failed: %s %s",
                name,
                error,
                type(exception).__name__ if exception else "",
            )
            reason = f"Signing in with {name} did not work. Please try again."
        raise ImmediateHttpResponse(refuse(request, reason, status=401))


def apply_groups(user: Any, sociallogin: Any, *, new: bool = False) -> None:
    """Give ``user`` the role (and teams) worked out from their groups; the audit
    log says single sign-on did it."""
    role: Role = sociallogin.scorecards_role
    with acting_as(SIGN_IN), transaction.atomic():
        earlier = Member.objects.filter(user=user).values_list("role", flat=True)
        if earlier.first() != role:
            set_role(user, role)
        if settings.SINGLE_SIGN_ON.team_prefix:
            join_only(user, sociallogin.scorecards_teams, audit=not new)
        if new:
            record_created(user)


def join_only(user: Any, names: list[str], *, audit: bool) -> None:
    """Make ``user`` a member of exactly the teams named, creating those missing."""
    before = sorted(team.name for team in user.teams.all())
    teams = [Team.objects.get_or_create(name=name[:100])[0] for name in names]
    user.teams.set(teams)
    after = sorted(team.name for team in teams)
    if audit and before != after:
        record(
            "user.teams_changed",
            target=f"user:{user.get_username()}",
            before={"teams": before},
            after={"teams": after},
        )
