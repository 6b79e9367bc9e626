"""Writing audit entries; ``scorecards.audit.actors`` knows who is acting."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from scorecards.audit.actors import SYSTEM, Actor, acting_as, current_actor, user
from scorecards.audit.models import AuditEntry

logger = logging.getLogger(__name__)


def record(
    action: str,
    *,
    target: str = "",
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
    actor: Actor | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Write one entry; inside the caller's transaction, so a change rolled
    back leaves no entry and an entry never lacks its change.

    ``before`` and ``after`` must be JSON: the caller chooses what of the state
    is worth keeping, and never a secret.
    """
    who = actor or current_actor()
    with transaction.atomic():
        entry = AuditEntry.objects.create(
            at=at or datetime.now(UTC),
            actor_kind=who.kind,
            actor=who.name[:200],
            action=action,
            target=target[:300],
            before=before,
            after=after,
            detail=detail or {},
        )
    logger.debug("audit: %s %s by %s", action, target, who)
    return entry


class ActorMiddleware:
    """The signed-in user acts for the request; the API's token check replaces
    them with the token (see ``scorecards.api.auth``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        person = getattr(request, "user", None)
        signed_in = person is not None and person.is_authenticated
        with acting_as(user(person) if signed_in else SYSTEM):
            return self.get_response(request)
