"""Single sign-on through OpenID Connect, read from the environment.

Nothing here is on unless ``SCORECARDS_OIDC_ISSUER`` is set; then the client id and
secret are required, and every other variable has a default. docs/security.md
explains each one to an operator.
"""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from scorecards.config.env import env_list, env_str, read_file_or_env

# allauth's name for the provider, in its URLs: /sso/oidc/<PROVIDER_ID>/login/.
PROVIDER_ID = "oidc"

# The values of scorecards.people.models.Role, most powerful first; the settings
# cannot import a model, and a test checks that the two agree.
ROLES = ("admin", "manager", "csm", "viewer")
REFUSE = "none"
DEFAULT_SCOPES = ("openid", "profile", "email")


@dataclass(frozen=True, slots=True)
class SingleSignOn:
    issuer: str
    client_id: str
    secret: str = field(repr=False)
    name: str = "single sign-on"
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    groups_claim: str = "groups"
    role_map: dict[str, str] = field(default_factory=dict)
    # None: refuse people whose groups map to no role.
    default_role: str | None = "viewer"
    team_prefix: str = ""

    @property
    def origin(self) -> str:
        """Where the sign-in button's form is sent on to: the issuer's site."""
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"


def read_single_sign_on() -> SingleSignOn | None:
    issuer = env_str("SCORECARDS_OIDC_ISSUER")
    if not issuer:
        return None

    if not issuer.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            f"SCORECARDS_OIDC_ISSUER must be an https:// URL, got {issuer!r}"
        )
    client_id = env_str("SCORECARDS_OIDC_CLIENT_ID")
    secret = read_file_or_env("SCORECARDS_OIDC_CLIENT_SECRET")
    if not client_id or not secret:
        raise ImproperlyConfigured(
            "SCORECARDS_OIDC_ISSUER is set, so SCORECARDS_OIDC_CLIENT_ID and "
            "SCORECARDS_OIDC_CLIENT_SECRET (or SCORECARDS_OIDC_CLIENT_SECRET_FILE) "
            "must be set too"
        )
    default_role = env_str("SCORECARDS_OIDC_DEFAULT_ROLE", default="viewer").lower()
    if default_role not in (*ROLES, REFUSE):
        raise ImproperlyConfigured(
            f"SCORECARDS_OIDC_DEFAULT_ROLE must be one of {', '.join(ROLES)} or "
            f"{REFUSE}, got {default_role!r}"
        )
    scopes = env_list("SCORECARDS_OIDC_SCOPES", default=DEFAULT_SCOPES)
    return SingleSignOn(
        issuer=issuer.rstrip("/"),
        client_id=client_id,
        secret=secret,
        name=env_str("SCORECARDS_OIDC_NAME", default="single sign-on"),
        scopes=tuple(scopes),
        groups_claim=env_str("SCORECARDS_OIDC_GROUPS_CLAIM", default="groups"),
        role_map=read_role_map("SCORECARDS_OIDC_ROLE_MAP"),
        default_role=None if default_role == REFUSE else default_role,
        team_prefix=env_str("SCORECARDS_OIDC_TEAM_PREFIX"),
    )


def read_role_map(name: str) -> dict[str, str]:
    """``group=role,group=role`` as a dict; group names keep their case."""
    role_map = {}
    for item in env_list(name):
        group, equals, role = (part.strip() for part in item.rpartition("="))
        if not equals or not group or role.lower() not in ROLES:
            raise ImproperlyConfigured(
                f"{name} must be group=role pairs separated by commas, with a role "
                f"among {', '.join(ROLES)}; cannot use {item!r}"
            )
        role_map[group] = role.lower()
    return role_map


def socialaccount_providers(sso: SingleSignOn | None) -> dict[str, Any]:
    """allauth's SOCIALACCOUNT_PROVIDERS: one OpenID Connect app, from the
    environment, so no database row has to be kept in step with it."""
    if sso is None:
        return {}

    return {
        "openid_connect": {
            "SCOPE": list(sso.scopes),
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": PROVIDER_ID,
                    "name": sso.name,
                    "client_id": sso.client_id,
                    "secret": sso.secret,
                    "settings": {"server_url": sso.issuer},
                }
            ],
        }
    }
