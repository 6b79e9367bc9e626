"""A JSON document written a piece at a time, for downloads too large to build
in memory first.

Any iterator in the document (a generator over a query, say) is written as a
list, item by item, when the writer reaches it; everything else is encoded as
``json.dumps`` would, with times in UTC and a ``Z``.
"""

import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from scorecards.engine.serialize import iso


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default, allow_nan=False, ensure_ascii=False)


def json_chunks(value: Any) -> Iterator[str]:
    """``value`` as JSON text, in pieces; iterators become lists, read lazily."""
    if isinstance(value, Mapping):
        yield "{"
        for number, (key, item) in enumerate(value.items()):
            yield ("," if number else "") + dumps(str(key)) + ":"
            yield from json_chunks(item)
        yield "}"
    elif isinstance(value, Iterator | list | tuple):
        yield "["
        for number, item in enumerate(value):
            if number:
                yield ","
            yield from json_chunks(item)
        yield "]"
    else:
        yield dumps(value)
