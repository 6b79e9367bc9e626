"""Bearer-token authentication for every API call."""

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from scorecards.api.models import ApiToken
from scorecards.api.tokens import active_token
from scorecards.audit import actors


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>``; the caller becomes ``request.auth``.

    A missing, unknown or revoked token all get the same 401, so a caller
    learns nothing about which tokens exist.
    """

    def __call__(self, request: HttpRequest) -> ApiToken | None:
        # Ninja's own parsing logs a malformed header in debug mode, and that
        # header may well hold a secret; this one never logs it.
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = active_token(token, now=timezone.now())
        if found is not None:
            actors.act_as(actors.token(found.name))
        return found
