"""Sign-in settings as an operator gives them: the lockout's limit and cool-off,
trusting X-Forwarded-For, and single sign-on, which stays off until an issuer is
named and then insists on a client id and secret."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from scorecards.config.sso import read_single_sign_on, socialaccount_providers

SHOW_SIGN_IN = """
import json
from scorecards.config import settings

print(json.dumps({
    "limit": settings.AXES_FAILURE_LIMIT,
    "cooloff": settings.AXES_COOLOFF_TIME.total_seconds(),
    "trust": settings.TRUST_X_FORWARDED_FOR,
    "sso": settings.SINGLE_SIGN_ON is not None,
    "providers": settings.SOCIALACCOUNT_PROVIDERS,
    "form_action": settings.SECURE_CSP["form-action"],
}))
"""


def sign_in_settings(cwd: Path, **env: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", SHOW_SIGN_IN],
        env={"SCORECARDS_DEBUG": "true", "SCORECARDS_DATA_DIR": str(cwd), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def test_by_default_five_failures_lock_for_fifteen_minutes_and_no_sso(tmp_path):
    found = sign_in_settings(tmp_path)

    assert found["limit"] == 5
    assert found["cooloff"] == 15 * 60
    assert found["trust"] is False
    assert found["sso"] is False
    assert found["providers"] == {}
    assert found["form_action"] == ["'self'"]


def test_the_operator_sets_the_limit_the_cool_off_and_the_proxy(tmp_path):
    found = sign_in_settings(
        tmp_path,
        SCORECARDS_LOGIN_FAILURE_LIMIT="3",
        SCORECARDS_LOGIN_COOLOFF_MINUTES="60",
        SCORECARDS_TRUST_X_FORWARDED_FOR="true",
    )

    assert (found["limit"], found["cooloff"], found["trust"]) == (3, 3600, True)


def test_an_issuer_turns_single_sign_on_on(tmp_path):
    secret = tmp_path / "oidc-secret"
    secret.write_text("from-a-file\n")

    found = sign_in_settings(
        tmp_path,
        SCORECARDS_OIDC_ISSUER="https://login.acme.example/realms/cs/",
        SCORECARDS_OIDC_CLIENT_ID="scorecards",
        SCORECARDS_OIDC_CLIENT_SECRET_FILE=str(secret),
        SCORECARDS_OIDC_NAME="Acme Login",
    )

    app = found["providers"]["openid_connect"]["APPS"][0]
    assert app["name"] == "Acme Login"
    assert app["secret"] == "from-a-file"
    assert app["settings"] == {"server_url": "https://login.acme.example/realms/cs"}
    assert found["form_action"] == ["'self'", "https://login.acme.example"]


@pytest.fixture
def issuer(monkeypatch):
    monkeypatch.setenv("SCORECARDS_OIDC_ISSUER", "https://login.acme.example")
    monkeypatch.setenv("SCORECARDS_OIDC_CLIENT_ID", "scorecards")
    monkeypatch.setenv("SCORECARDS_OIDC_CLIENT_SECRET", "s3cret")
    return monkeypatch


def test_sso_reads_its_defaults(issuer):
    sso = read_single_sign_on()

    assert sso is not None
    assert (sso.name, sso.groups_claim, sso.default_role) == (
        "single sign-on",
        "groups",
        "viewer",
    )
    assert sso.role_map == {}
    assert sso.scopes == ("openid", "profile", "email")
    assert "s3cret" not in repr(sso)
    assert socialaccount_providers(sso)["openid_connect"]["OAUTH_PKCE_ENABLED"]


def test_the_role_map_and_default_role_are_read(issuer):
    issuer.setenv("SCORECARDS_OIDC_ROLE_MAP", "cs-admins=admin, CS Team = CSM")
    issuer.setenv("SCORECARDS_OIDC_DEFAULT_ROLE", "none")
    issuer.setenv("SCORECARDS_OIDC_SCOPES", "openid,email,groups")

    sso = read_single_sign_on()

    assert sso is not None
    assert sso.role_map == {"cs-admins": "admin", "CS Team": "csm"}
    assert sso.default_role is None
    assert sso.scopes == ("openid", "email", "groups")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SCORECARDS_OIDC_ROLE_MAP", "cs-admins=owner", "SCORECARDS_OIDC_ROLE_MAP"),
        ("SCORECARDS_OIDC_ROLE_MAP", "cs-admins", "SCORECARDS_OIDC_ROLE_MAP"),
        ("SCORECARDS_OIDC_DEFAULT_ROLE", "guest", "SCORECARDS_OIDC_DEFAULT_ROLE"),
        ("SCORECARDS_OIDC_CLIENT_SECRET", "", "SCORECARDS_OIDC_CLIENT_SECRET"),
        ("SCORECARDS_OIDC_ISSUER", "login.acme.example", "SCORECARDS_OIDC_ISSUER"),
    ],
)
def test_a_setting_it_cannot_use_is_refused_by_name(issuer, name, value, message):
    issuer.setenv(name, value)

    with pytest.raises(ImproperlyConfigured, match=message):
        read_single_sign_on()
