"""Reading a batch from a request body: quick when it is right, thorough when not.

A good batch is parsed and validated in one pass of pydantic's JSON parser,
straight into the types the services take. Only a bad batch pays for a second
look, which finds every problem at once: each invalid item's fields, and the
unknown references (accounts, contacts) among the items that were valid, so
a client fixes a batch in one round trip.
"""

from collections.abc import Callable, Sequence
from typing import Any, get_args

import pydantic
import pydantic_core
from django.http import HttpRequest

from scorecards.api.errors import MalformedBody, item_errors
from scorecards.ingest.service import ItemError, RejectedBatch

Check = Callable[[Sequence[Any]], list[ItemError]]


def read_batch[B: pydantic.BaseModel](
    request: HttpRequest, schema: type[B], items: str, *, check: Check | None = None
) -> B:
    """The body as ``schema``, whose list of items is its field ``items``.

    Raises MalformedBody for a body that is not JSON, and RejectedBatch listing
    every problem, in item order, for one that does not fit. ``check`` finds
    the reference problems of a list of valid items; it must not write.
    """
    body = request.body
    try:
        return schema.model_validate_json(body)
    except pydantic.ValidationError as error:
        errors = error.errors(include_url=False)

    unreadable = [e for e in errors if e["type"] == "json_invalid"]
    if unreadable:
        raise MalformedBody(_unreadable(body, unreadable[0]["msg"]))
    problems = item_errors(errors, items)
    if check is not None and all(p.index >= 0 for p in problems):
        problems += _reference_errors(body, schema, items, problems, check)
    raise RejectedBatch(sorted(problems, key=lambda p: p.index))


def _unreadable(body: bytes, message: str) -> str:
    if not body.strip():
        return "the body is empty: expected a JSON object"
    return "the body is not valid JSON: " + message.removeprefix("Invalid JSON: ")


def _reference_errors(
    body: bytes,
    schema: type[pydantic.BaseModel],
    items: str,
    problems: list[ItemError],
    check: Check,
) -> list[ItemError]:
    """``check`` run on the items without a problem, indexed as in the batch."""
    (item_type,) = get_args(schema.model_fields[items].annotation)
    adapter = pydantic.TypeAdapter(item_type)
    invalid = {problem.index for problem in problems}
    raw = pydantic_core.from_json(body)[items]

    # Each item goes back through the JSON parser so that it is read exactly
    # as it was in the batch (times as text, numbers strictly).
    valid = [
        (index, adapter.validate_json(pydantic_core.to_json(item)))
        for index, item in enumerate(raw)
        if index not in invalid
    ]
    return [
        ItemError(valid[e.index][0], e.field, e.message)
        for e in check([item for _, item in valid])
    ]


def json_body(schema: type[pydantic.BaseModel]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of an operation that reads ``schema`` itself."""
    document = schema.model_json_schema()
    definitions = document.pop("$defs", {})
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _inline(document, definitions)}},
        }
    }


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    """``node`` with each ``$ref`` to ``definitions`` replaced by what it names."""
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return _inline(definitions[ref.removeprefix("#/$defs/")], definitions)
    return {key: _inline(value, definitions) for key, value in node.items()}
