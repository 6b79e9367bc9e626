"""A database that cannot be reached is a 503 the client can retry, never a 500.

When PostgreSQL restarts, fails over or drops connections (or a SQLite file
stays locked past the timeout), every query raises Django's OperationalError or
InterfaceError. That is not a bug in the request: the same call will succeed
once the database is back, so the answer says so, with ``Retry-After``, in
JSON. Nothing was written: each request's writes are one transaction, and a
transaction that lost its connection is rolled back by the database.

Django closes a connection that failed at the end of its request, and checks a
kept one before the next request uses it, so the service recovers by itself.
"""

import logging

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = "the database is not available right now; try again shortly"
UNAVAILABLE = (OperationalError, InterfaceError)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Briefly unavailable</title></head>
<body><h1>Briefly unavailable</h1>
<p>Scorecards cannot reach its database right now. Try again in a few seconds.</p>
</body></html>
"""


def unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The 503 for a request that could not reach the database: JSON, or a
    short page for a browser outside the API."""
    # The driver's words can name hosts and users: they go to the log only.
    logger.warning(
        "%s %s: %s database unavailable: %s",
        request.method,
        request.path,
        connection.vendor,
        exc,
    )
    response: HttpResponse
    if _wants_page(request):
        response = HttpResponse(PAGE, status=503, content_type="text/html")
    else:
        response = JsonResponse({"errors": [{"message": MESSAGE}]}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _wants_page(request: HttpRequest) -> bool:
    accepts = request.headers.get("Accept", "")
    return not request.path.startswith("/api/") and "text/html" in accepts


class DatabaseUnavailableMiddleware:
    """Answer 503 for a view that lost the database: the web app and the
    survey pages (a page for a browser), webhooks and tracking calls (JSON).
    The JSON API has its own handler."""

    def __init__(self, get_response: object) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)  # type: ignore[operator]
        return response

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if isinstance(exception, UNAVAILABLE):
            return unavailable(request, exception)
        return None
