"""Segment's tracking API, for Segment's own libraries pointed at this server.

``POST /v1/batch`` (what the libraries send) and the single calls
``/v1/track``, ``/v1/page``, ``/v1/screen``, ``/v1/identify``, ``/v1/group``
and ``/v1/alias``. A source's write key is the HTTP Basic user name (or the
body's ``writeKey``). Errors answer ``{"code": ..., "message": ...}``, which
the libraries read; a 4xx is not retried by them, so a bad call is refused
whole and logged for an operator.
"""

import base64
import binascii
import gzip
import io
import json
import logging
import zlib
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from scorecards.sources.models import Source
from scorecards.sources.registry import source_for_key
from scorecards.sources.segment import MAX_BATCH_BYTES, BadCall, read_calls, receive

logger = logging.getLogger(__name__)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message}, status=status)


def _body(request: HttpRequest) -> bytes:
    """The body, unzipped if it came gzipped; ValueError if too big or broken."""
    try:
        body = request.body
    except RequestDataTooBig:  # said so by its length, before any reading
        raise ValueError(
            "the body is too large; a batch may have at most 500 KB"
        ) from None
    if len(body) > MAX_BATCH_BYTES:
        raise ValueError(f"{len(body):,} bytes; a batch may have at most 500 KB")
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as unzipped:
                body = unzipped.read(MAX_BATCH_BYTES + 1)
        except (OSError, EOFError, zlib.error):
            raise ValueError("the body is not valid gzip") from None
        if len(body) > MAX_BATCH_BYTES:
            raise ValueError("unzipped, the batch is over 500 KB")
    return body


def _write_key(request: HttpRequest, payload: Any) -> str:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[0]
    if isinstance(payload, dict) and isinstance(payload.get("writeKey"), str):
        return payload["writeKey"]
    return ""


def _handle(request: HttpRequest, kind: str | None) -> JsonResponse:
    try:
        body = _body(request)
        payload = json.loads(body)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError too
        return _error(400, "invalid_request", f"the body is not usable: {error}")

    source: Source | None = source_for_key("segment", _write_key(request, payload))
    if source is None:
        return _error(401, "unauthorized", "no source has this write key")

    now = timezone.now()
    try:
        if kind is None:
            if not isinstance(payload, dict):
                raise BadCall("the body must be an object with a batch")
            calls = read_calls(payload.get("batch"), received_at=now)
        else:
            if not isinstance(payload, dict):
                raise BadCall("the body must be an object")
            calls = read_calls([{**payload, "type": kind}], received_at=now)
    except BadCall as bad:
        logger.warning("segment source %s: call refused: %s", source.name, bad)
        return _error(400, "invalid_request", str(bad))

    outcome = receive(source, calls, now=now)
    for reason in outcome.skipped:
        logger.warning("segment source %s: %s", source.name, reason)
    return JsonResponse(
        {
            "success": True,
            "events": outcome.events,
            "duplicates": outcome.duplicates,
            "memberships": outcome.memberships,
            "skipped": outcome.skipped,
            "rescored": outcome.rescored,
        }
    )


@csrf_exempt
@require_POST
def batch(request: HttpRequest) -> JsonResponse:
    return _handle(request, None)


def single(kind: str) -> Any:
    @csrf_exempt
    @require_POST
    def view(request: HttpRequest) -> JsonResponse:
        return _handle(request, kind)

    view.__name__ = kind
    return view
