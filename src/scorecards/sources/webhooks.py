"""The survey tools' webhooks: ``POST /hooks/{delighted|typeform}/{key}``.

The key in the address is the source's key: it says which source is calling
and proves it may. Each answer is stored and scored before the reply, so the
account's score has moved by the time the tool sees its 200.
"""

import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from scorecards.engine.signals import Signal
from scorecards.ingest.service import RejectedBatch, ingest_signals
from scorecards.sources.models import Source
from scorecards.sources.registry import source_for_key
from scorecards.sources.surveys import (
    Ignored,
    Unusable,
    check_typeform_signature,
    delighted_signal,
    typeform_signal,
)

logger = logging.getLogger(__name__)


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message}]}, status=status)


def _receive(
    request: HttpRequest,
    kind: str,
    key: str,
    read: Callable[[Source, Any], Signal],
    check: Callable[[Source, HttpRequest], bool] | None = None,
) -> JsonResponse:
    source = source_for_key(kind, key)
    if source is None:
        return _refuse(404, "no such webhook")
    try:
        # Refused by its stated length, before any of it is read.
        _ = request.body
    except RequestDataTooBig:
        return _refuse(413, "the body is too large for a webhook")
    if check is not None and not check(source, request):
        logger.warning("%s webhook %s: bad signature, refused", kind, source.name)
        return _refuse(401, "the signature does not match the source's secret")
    try:
        payload = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return _refuse(400, f"the body is not valid JSON: {error}")

    try:
        signal = read(source, payload)
    except Ignored as ignored:
        return JsonResponse({"ignored": str(ignored)})
    except Unusable as unusable:
        logger.warning("%s webhook %s refused: %s", kind, source.name, unusable)
        return _refuse(422, str(unusable))

    try:
        result = ingest_signals([signal], now=timezone.now(), replace=True)
    except RejectedBatch as rejected:
        reasons = "; ".join(error.message for error in rejected.errors)
        logger.warning("%s webhook %s refused: %s", kind, source.name, reasons)
        return JsonResponse(
            {"errors": [{"message": e.message} for e in rejected.errors]}, status=422
        )
    return JsonResponse(
        {
            "accepted": result.accepted,
            "duplicates": result.duplicates,
            "rescored": result.rescored,
        }
    )


@csrf_exempt
@require_POST
def delighted(request: HttpRequest, key: str) -> JsonResponse:
    return _receive(request, "delighted", key, delighted_signal)


def _typeform_signed(source: Source, request: HttpRequest) -> bool:
    header = request.headers.get("Typeform-Signature")
    return check_typeform_signature(source, request.body, header)


@csrf_exempt
@require_POST
def typeform(request: HttpRequest, key: str) -> JsonResponse:
    return _receive(request, "typeform", key, typeform_signal, _typeform_signed)
