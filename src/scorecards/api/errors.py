"""How the API answers bad input: a 4xx naming every problem, never a 500.

Every error body is ``{"errors": [...]}``, each entry with a ``message``. A
problem with a request's data also says where it is: ``index`` (the item of a
batch, or null) and ``field``; a problem with a scorecard says its ``path``
in the file, as the engine reports it.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from scorecards.config.unavailable import unavailable
from scorecards.engine import ScorecardError
from scorecards.ingest.service import ItemError, RejectedBatch

# Our wording for pydantic's commonest complaints; the rest keep pydantic's.
MESSAGES = {
    "missing": "is required",
    "missing_argument": "is required",
    "extra_forbidden": "is not a known field",
    "unexpected_keyword_argument": "is not a known field",
    "timezone_aware": "has no time zone (add Z or +00:00)",
    "finite_number": "must be a finite number",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "dataclass_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be a list",
}


class MalformedBody(Exception):
    """A body that cannot be read at all: not JSON, not UTF-8, not the right type."""

    def __init__(self, message: str, status: int = 400) -> None:
        self.message = message
        self.status = status
        super().__init__(message)


class InvalidInput(Exception):
    """One request parameter that parsed but makes no sense, such as a future time."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def describe(error: Any) -> str:
    """A pydantic error's message, in the API's words."""
    kind = error["type"]
    if kind == "value_error":
        return str(error["ctx"]["error"])  # our own validators' words, as they are
    if kind == "too_long":
        context = error.get("ctx", {})
        found = context.get("actual_length")
        return f"at most {context.get('max_length')} items, got {found}"
    message = MESSAGES.get(kind, error["msg"])
    return message[:1].lower() + message[1:]


def item_errors(errors: Sequence[Any], items: str) -> list[ItemError]:
    """Pydantic's errors for a batch body as ``ItemError``s.

    An error under ``items[i]`` gets index i and the field inside the item;
    any other error (the envelope, the list itself) gets index -1.
    """
    found = []
    for error in errors:
        loc = tuple(error["loc"])
        if len(loc) >= 2 and loc[0] == items and isinstance(loc[1], int):
            index, place = loc[1], loc[2:]
        else:
            index, place = -1, loc
        field = ".".join(str(part) for part in place)
        found.append(ItemError(index, field, describe(error)))
    return found


def item_json(error: ItemError) -> dict[str, Any]:
    return {
        "index": error.index if error.index >= 0 else None,
        "field": error.field or None,
        "message": error.message,
    }


def answer(errors: list[dict[str, Any]], status: int) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status)


def unauthorized(request: HttpRequest, exc: Exception) -> JsonResponse:
    message = "a valid API token is required: Authorization: Bearer <token>"
    response = answer([{"message": message}], 401)
    response["WWW-Authenticate"] = "Bearer"
    return response


def http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
    return answer([{"message": exc.message}], exc.status_code)


def not_found(request: HttpRequest, exc: Exception) -> JsonResponse:
    return answer([{"message": str(exc) or "not found"}], 404)


def too_big(request: HttpRequest, exc: Exception) -> JsonResponse:
    message = "the body is too large; send the batch in smaller parts"
    return answer([{"message": message}], 413)


def malformed(request: HttpRequest, exc: MalformedBody) -> JsonResponse:
    return answer([{"message": exc.message}], exc.status)


def invalid_parameters(request: HttpRequest, exc: ValidationError) -> JsonResponse:
    errors = [ItemError(-1, _place(e["loc"]), describe(e)) for e in exc.errors]
    return answer([item_json(e) for e in errors], 422)


def _place(loc: Sequence[Any]) -> str:
    """Where in the request: ninja puts where a parameter came from first,
    ("query", "as_of"); a JSON body (our operations call it ``body``) is not a
    field the client wrote, so its fields are named from its top."""
    place = list(loc[1:])
    if loc[:2] in (("body", "body"), ["body", "body"]):
        place = place[1:]
    return ".".join(str(part) for part in place)


def invalid_input(request: HttpRequest, exc: InvalidInput) -> JsonResponse:
    return answer([item_json(ItemError(-1, exc.field, exc.message))], 422)


def rejected_batch(request: HttpRequest, exc: RejectedBatch) -> JsonResponse:
    return answer([item_json(e) for e in exc.errors], 422)


NUL_IN_TEXT = "the text holds a NUL character (\\u0000), which cannot be stored"


def unstorable(request: HttpRequest, exc: ValueError) -> JsonResponse:
    """PostgreSQL stores no NUL character in text; psycopg refuses it before
    sending, with a ValueError. Any other ValueError is a bug: a 500."""
    if "NUL (0x00)" not in str(exc):
        raise exc
    return answer([{"message": NUL_IN_TEXT}], 422)


def does_not_fit(request: HttpRequest, exc: DataError) -> JsonResponse:
    """A value the schema let through but the column cannot hold (PostgreSQL
    says which type: "value too long for type character varying(200)"). The
    schemas should refuse it first, by field; this keeps one they miss a 422."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no reason"
    return answer(
        [{"message": f"a value does not fit where it is stored: {reason}"}], 422
    )


def bad_scorecard(request: HttpRequest, exc: ScorecardError) -> JsonResponse:
    errors = [{"path": p.path, "message": p.message} for p in exc.problems]
    return answer(errors, 422)


HANDLERS: list[tuple[type[Exception], Callable[..., JsonResponse]]] = [
    (AuthenticationError, unauthorized),
    (HttpError, http_error),
    (Http404, not_found),
    (RequestDataTooBig, too_big),
    (MalformedBody, malformed),
    (ValidationError, invalid_parameters),
    (InvalidInput, invalid_input),
    (RejectedBatch, rejected_batch),
    (ScorecardError, bad_scorecard),
    # The database went away: a 503 with Retry-After, see config/unavailable.py.
    (OperationalError, unavailable),
    (InterfaceError, unavailable),
    (DataError, does_not_fit),
    (ValueError, unstorable),
]


def install_handlers(api: NinjaAPI) -> None:
    """Answer each kind of bad input as above; anything else is a bug, a 500."""
    for exception, handler in HANDLERS:
        api.add_exception_handler(exception, handler)
