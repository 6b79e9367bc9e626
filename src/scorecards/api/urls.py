"""The JSON API under /api/v1/; the routes themselves live beside each capability."""

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from django.urls import path
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from scorecards.accounts.api import router as accounts
from scorecards.alerts.api import router as alerts
from scorecards.api.auth import BearerToken
from scorecards.api.errors import install_handlers
from scorecards.audit.api import router as audit
from scorecards.engine.serialize import iso
from scorecards.feedback.api import router as surveys
from scorecards.imports.api import router as imports
from scorecards.ingest.api import router as signals
from scorecards.outcomes.api import router as outcomes
from scorecards.privacy.api import router as privacy
from scorecards.scoring.api import router as scoring


class Encoder(NinjaJSONEncoder):
    """Times in UTC with a ``Z`` and every digit, as the offline command writes
    them (Django's encoder drops microseconds); money as plain numbers."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return iso(o.astimezone(UTC))
        if isinstance(o, Decimal):
            return float(o)
        return super().default(o)


class Renderer(JSONRenderer):
    encoder_class = Encoder
    # A NaN would be invalid JSON; better a loud failure than a body no client
    # can read.
    json_dumps_params: Mapping[str, Any] = MappingProxyType({"allow_nan": False})


api = NinjaAPI(
    title="Scorecards",
    version="1",
    description="Live, weighted customer health scores. Every call needs "
    "`Authorization: Bearer <token>`; create one with `scorecards token create`.",
    auth=BearerToken(),
    renderer=Renderer(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api",
)
install_handlers(api)
api.add_router("", accounts)
api.add_router("", signals)
api.add_router("", scoring)
api.add_router("", imports)
api.add_router("", alerts)
api.add_router("", surveys)
api.add_router("", outcomes)
api.add_router("", privacy)
api.add_router("", audit)

urlpatterns = [path("", api.urls)]
