"""The health check that load balancers and container probes call."""

import logging

from django.db import Error, connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> HttpResponse:
    """Answer 200 once the database has run a query, 503 when it cannot."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Error as error:
        # The reason stays in the log: the endpoint is public and the driver's
        # message can name hosts and users.
        logger.warning(
            "health check: %s database did not answer: %s", connection.vendor, error
        )
        body = {
            "status": "error",
            "database": connection.vendor,
            "error": "database unavailable",
        }
        return no_store(JsonResponse(body, status=503))

    return no_store(JsonResponse({"status": "ok", "database": connection.vendor}))


def no_store(response: HttpResponse) -> HttpResponse:
    # A cached "ok" would hide an outage from the probe that asked.
    response["Cache-Control"] = "no-store"
    return response
