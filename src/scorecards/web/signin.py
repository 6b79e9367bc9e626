"""Signing in: the page, the lockout after repeated failed passwords, and whose
address a request comes from.

django-axes counts failed passwords per username and address (settings.py) and
refuses further tries until the cool-off has passed; this module gives it the
page it shows and the address it counts by.
"""

import ipaddress
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from scorecards.config.sso import PROVIDER_ID

logger = logging.getLogger(__name__)


class SignInView(LoginView):
    """Django's password sign-in, with a button for single sign-on when the
    service has an identity provider."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        sso = settings.SINGLE_SIGN_ON
        if sso is not None:
            context["sso_name"] = sso.name
            context["sso_url"] = reverse(
                "openid_connect_login", kwargs={"provider_id": PROVIDER_ID}
            )
        return context


def client_ip(request: HttpRequest) -> str:
    """The address failed sign-ins are counted against.

    Behind a proxy every request comes from the proxy's own address, so when the
    operator says to trust X-Forwarded-For, the last address in it is used: the
    one the proxy appended. Anything before it came from the client and may be
    made up.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    if not settings.TRUST_X_FORWARDED_FOR:
        return remote

    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.rpartition(",")[2].strip()
    try:
        return str(ipaddress.ip_address(last))
    except ValueError:
        return remote


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The page a locked-out sign-in gets, instead of the library's plain text."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = render(
        request,
        "web/locked_out.html",
        {"minutes": max(1, seconds // 60)},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def log_lockout(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str, **_: Any
) -> None:
    """One warning per refused sign-in while locked; never the password."""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures:
        logger.warning(
            "sign-in locked for %s from %s after %d failed passwords",
            username,
            ip_address,
            failures,
        )
    else:
        logger.warning(
            "sign-in refused for %s from %s: locked out", username, ip_address
        )
