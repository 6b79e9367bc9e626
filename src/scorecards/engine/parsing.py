"""Reading scorecard files: YAML or JSON in, a validated Scorecard out.

Validation collects every problem before giving up, each named by its path in
the file (``criteria[2].normalize.linear``), so a user fixes a file in one pass.
"""

import json
import math
import re
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import Any, Literal

import yaml

from scorecards.engine.aggregates import (
    SIMPLE_AGGREGATES,
    Aggregate,
    Count,
    DecayedMean,
    Stakeholder,
)
from scorecards.engine.durations import parse_duration
from scorecards.engine.normalize import Linear, Normalizer, Points
from scorecards.engine.problems import Problem, ScorecardError
from scorecards.engine.scorecard import (
    Criterion,
    FillScore,
    FillValue,
    Grade,
    Group,
    Item,
    MissingRule,
    Scorecard,
)

Format = Literal["yaml", "json"]

MIN_CONTACT_WEIGHT = 1e-6
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SCORECARD_FIELDS = {
    "key", "name", "description", "applies_to", "priority", "min_coverage",
    "grades", "criteria",
}  # fmt: skip
_CRITERION_FIELDS = {
    "key", "name", "description", "metric", "weight", "aggregate", "window",
    "min_count", "missing", "stale_after", "normalize",
}  # fmt: skip
_GROUP_FIELDS = {"group", "name", "description", "weight", "criteria"}
_STAKEHOLDER_FIELDS = {"role_weights", "default_weight", "max_share", "prior"}


def load_scorecard(path: Path, *, version: int | None = None) -> Scorecard:
    """Read a scorecard file; ``.json`` is read as JSON, anything else as YAML."""
    text = path.read_text(encoding="utf-8")
    fmt: Format = "json" if path.suffix.lower() == ".json" else "yaml"
    return parse_scorecard(text, format=fmt, version=version)


def parse_scorecard(
    text: str, *, format: Format = "yaml", version: int | None = None
) -> Scorecard:
    """Parse and validate a scorecard; raise ScorecardError listing every problem."""
    return build_scorecard(decode_scorecard(text, format=format), version=version)


_TOO_DEEP = ScorecardError(
    [Problem("", "nested too deeply (or refers to itself through an alias)")]
)


def decode_scorecard(text: str, *, format: Format = "yaml") -> object:
    """The file's data (dicts and lists), not yet validated; syntax errors raise
    ScorecardError."""
    try:
        return _load_json(text) if format == "json" else _load_yaml(text)
    except RecursionError:
        raise _TOO_DEEP from None


def build_scorecard(data: object, *, version: int | None = None) -> Scorecard:
    """Validate already-decoded data (dicts and lists) into a Scorecard."""
    checker = _Checker()
    try:
        scorecard = checker.scorecard(data, version)
    except RecursionError:
        raise _TOO_DEEP from None
    if checker.problems or scorecard is None:
        raise ScorecardError(checker.problems)
    return scorecard


class _Mapping(dict[str, Any]):
    """A decoded mapping that remembers the names it was given more than once.

    Both decoders keep the last value of a repeated name; the checker reports
    the repetition at its path, alongside every other problem of the file.
    """

    repeated: tuple[tuple[str, int | None], ...] = ()


def _load_json(text: str) -> object:
    def remember_repeats(pairs: list[tuple[str, Any]]) -> _Mapping:
        mapping = _Mapping(pairs)
        names = [name for name, _ in pairs]
        mapping.repeated = tuple(
            (name, None) for i, name in enumerate(names) if name in names[:i]
        )
        return mapping

    try:
        return json.loads(text, object_pairs_hook=remember_repeats)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ScorecardError([Problem("", f"{where}: {error.msg}")]) from error


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader whose mappings remember repeated names and their lines."""


def _construct_mapping(
    loader: _StrictLoader, node: yaml.MappingNode
) -> Iterator[_Mapping]:
    mapping = _Mapping()
    yield mapping  # first, so that anchors and aliases can refer to it

    seen: set[Hashable] = set()
    repeated: list[tuple[str, int | None]] = []
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # a merge key's values may be overridden: that is its purpose
        name = loader.construct_object(key_node)
        if name in seen:
            repeated.append((str(name), key_node.start_mark.line + 1))
        seen.add(name)

    mapping.update({str(k): v for k, v in loader.construct_mapping(node).items()})
    mapping.repeated = tuple(repeated)


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def _load_yaml(text: str) -> object:
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        message = f"{where}: {error.problem}" if where else str(error.problem)
        raise ScorecardError([Problem("", message)]) from error
    except yaml.YAMLError as error:
        raise ScorecardError([Problem("", f"not valid YAML: {error}")]) from error


def _join(path: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else name


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


class _Checker:
    """Walks decoded scorecard data, building the model and noting every problem."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.keys: dict[str, str] = {}

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # -- shapes ---------------------------------------------------------------

    def mapping(self, value: object, path: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            self.repeats(value, path)
            return value
        self.fail(path, "must be a mapping of names to values")
        return None

    def repeats(self, data: dict[str, Any], path: str) -> None:
        for name, line in getattr(data, "repeated", ()):
            where = f" (again on line {line})" if line is not None else ""
            self.fail(_join(path, name), f"is given more than once{where}")

    def fields(
        self, data: dict[str, Any], path: str, *, allowed: set[str], required: set[str]
    ) -> None:
        for name in data:
            if name not in allowed:
                known = ", ".join(sorted(allowed))
                self.fail(
                    _join(path, str(name)), f"unknown field (expected one of {known})"
                )
        for name in sorted(required - data.keys()):
            self.fail(_join(path, name), "is required")

    def number(
        self,
        data: dict[str, Any],
        name: str,
        path: str,
        *,
        default: float | None = None,
        low: float | None = None,
        high: float | None = None,
        positive: bool = False,
    ) -> float | None:
        if name not in data:
            return default

        value, where = data[name], _join(path, name)
        if not _is_number(value):
            self.fail(where, f"must be a number, not {value!r}")
            return default
        if positive and value <= 0:
            self.fail(where, f"must be greater than 0, not {value!r}")
        elif low is not None and high is not None and not low <= value <= high:
            self.fail(where, f"must be between {low:g} and {high:g}, not {value!r}")
        elif low is not None and value < low:
            self.fail(where, f"must be at least {low:g}, not {value!r}")
        return float(value)

    def text(self, data: dict[str, Any], name: str, path: str) -> str | None:
        if name not in data or data[name] is None:
            return None
        value = data[name]
        if not isinstance(value, str) or not value.strip():
            self.fail(_join(path, name), f"must be a non-empty text, not {value!r}")
            return None
        return value.strip()

    def key(self, data: dict[str, Any], name: str, path: str) -> str | None:
        if name not in data:
            return None
        value, where = data[name], _join(path, name)
        if not isinstance(value, str) or not _KEY.match(value):
            self.fail(
                where,
                f"{value!r} is not a key: use letters, digits, '_', '-' and '.'",
            )
            return None
        return value

    def unique_key(self, data: dict[str, Any], name: str, path: str) -> str | None:
        value = self.key(data, name, path)
        if value is None:
            return None
        where = _join(path, name)
        if value in self.keys:
            self.fail(
                where, f"duplicate key {value!r}, first used at {self.keys[value]}"
            )
        else:
            self.keys[value] = where
        return value

    def duration(self, data: dict[str, Any], name: str, path: str) -> Any:
        if name not in data:
            return None
        value = data[name]
        if not isinstance(value, str):
            self.fail(
                _join(path, name), f"{value!r} is not a duration like 90d, 12h or 2w"
            )
            return None
        try:
            return parse_duration(value)
        except ValueError as error:
            self.fail(_join(path, name), str(error))
            return None

    # -- the scorecard --------------------------------------------------------

    def scorecard(self, data: object, version: int | None) -> Scorecard | None:
        top = self.mapping(data, "")
        if top is None:
            return None

        self.fields(top, "", allowed=_SCORECARD_FIELDS, required={"key", "criteria"})
        key = self.key(top, "key", "")
        name = self.text(top, "name", "")
        priority = self.number(top, "priority", "", default=0.0)
        min_coverage = self.number(top, "min_coverage", "", default=0.0, low=0, high=1)
        applies_to = self.applies_to(top.get("applies_to"), "applies_to")
        grades = self.grades(top.get("grades"), "grades")
        criteria = (
            self.items(top.get("criteria"), "criteria") if "criteria" in top else ()
        )

        if key is None or self.problems:
            return None
        return Scorecard(
            key=key,
            name=name or key,
            description=self.text(top, "description", ""),
            applies_to=applies_to,
            priority=priority or 0.0,
            min_coverage=min_coverage or 0.0,
            grades=grades,
            criteria=criteria,
            version=version,
        )

    def applies_to(self, data: object, path: str) -> dict[str, frozenset[str]]:
        if data is None:
            return {}
        rules = self.mapping(data, path)
        if rules is None:
            return {}

        result: dict[str, frozenset[str]] = {}
        for attribute, allowed in rules.items():
            where = _join(path, str(attribute))
            values = allowed if isinstance(allowed, list) else [allowed]
            if not values:
                self.fail(where, "must list at least one value")
                continue
            bad = [
                v for v in values if not isinstance(v, str | int | float) or v is True
            ]
            if bad:
                self.fail(where, f"values must be texts or numbers, not {bad[0]!r}")
                continue
            result[str(attribute).lower()] = frozenset(str(v) for v in values)
        return result

    def grades(self, data: object, path: str) -> tuple[Grade, ...]:
        if data is None:
            return ()
        if not isinstance(data, list) or not data:
            self.fail(path, "must be a non-empty list of {name, min} entries")
            return ()

        grades: list[Grade] = []
        names: set[str] = set()
        for index, entry in enumerate(data):
            where = _join(path, index)
            grade = self.mapping(entry, where)
            if grade is None:
                continue
            self.fields(
                grade, where, allowed={"name", "min", "color"}, required={"name", "min"}
            )
            name = self.key(grade, "name", where)
            low = self.number(grade, "min", where, low=0, high=100)
            color = self.text(grade, "color", where)
            if name is not None and name in names:
                self.fail(_join(where, "name"), f"duplicate grade {name!r}")
            if name is not None and low is not None:
                names.add(name)
                grades.append(Grade(name, low, color))
        return tuple(grades)

    def items(self, data: object, path: str) -> tuple[Item, ...]:
        if not isinstance(data, list) or not data:
            self.fail(path, "must be a non-empty list of criteria or groups")
            return ()

        items: list[Item] = []
        for index, entry in enumerate(data):
            where = _join(path, index)
            fields = self.mapping(entry, where)
            if fields is None:
                continue
            item = (
                self.group(fields, where)
                if "group" in fields
                else self.criterion(fields, where)
            )
            if item is not None:
                items.append(item)
        return tuple(items)

    def group(self, data: dict[str, Any], path: str) -> Group | None:
        self.fields(data, path, allowed=_GROUP_FIELDS, required={"weight", "criteria"})
        key = self.unique_key(data, "group", path)
        weight = self.number(data, "weight", path, positive=True)
        children = (
            self.items(data.get("criteria"), _join(path, "criteria"))
            if "criteria" in data
            else ()
        )

        if key is None or weight is None or not children:
            return None
        return Group(
            key=key,
            weight=weight,
            criteria=children,
            name=self.text(data, "name", path),
            description=self.text(data, "description", path),
        )

    def criterion(self, data: dict[str, Any], path: str) -> Criterion | None:
        required = {"key", "metric", "weight", "normalize"}
        self.fields(data, path, allowed=_CRITERION_FIELDS, required=required)
        key = self.unique_key(data, "key", path)
        metric = self.text(data, "metric", path)
        weight = self.number(data, "weight", path, positive=True)
        aggregate = self.aggregate(
            data.get("aggregate", "latest"), _join(path, "aggregate")
        )
        normalize = (
            self.normalize(data.get("normalize"), _join(path, "normalize"))
            if "normalize" in data
            else None
        )
        window = self.duration(data, "window", path)
        stale_after = self.duration(data, "stale_after", path)
        missing = self.missing(data.get("missing"), _join(path, "missing"))
        min_count = self.min_count(data, path, aggregate)

        if None in (key, metric, weight, aggregate, normalize, min_count):
            return None
        return Criterion(
            key=key,  # type: ignore[arg-type]
            metric=metric,  # type: ignore[arg-type]
            weight=weight,  # type: ignore[arg-type]
            aggregate=aggregate,  # type: ignore[arg-type]
            normalize=normalize,  # type: ignore[arg-type]
            window=window,
            min_count=min_count,  # type: ignore[arg-type]
            missing=missing,
            stale_after=stale_after,
            name=self.text(data, "name", path),
            description=self.text(data, "description", path),
        )

    def min_count(
        self, data: dict[str, Any], path: str, aggregate: Aggregate | None
    ) -> int | None:
        # A count of zero signals is a real answer (0), so a count criterion is
        # only missing when the user asks for a minimum.
        default = 0 if isinstance(aggregate, Count) else 1
        if "min_count" not in data:
            return default
        value = data["min_count"]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail(
                _join(path, "min_count"), f"must be a whole number >= 0, not {value!r}"
            )
            return None
        return value

    # -- aggregates, normalizers, missing rules ------------------------------

    def aggregate(self, data: object, path: str) -> Aggregate | None:
        name, options = self.one_of(data, path)
        if name is None:
            return None

        if name in SIMPLE_AGGREGATES:
            if options not in (None, {}):
                self.fail(_join(path, name), "takes no options")
            return SIMPLE_AGGREGATES[name]
        if name == "decayed_mean":
            return self.decayed_mean(options, _join(path, name))
        if name == "stakeholder":
            return self.stakeholder(options, _join(path, name))

        known = ", ".join([*SIMPLE_AGGREGATES, "decayed_mean", "stakeholder"])
        self.fail(path, f"unknown aggregate {name!r} (expected one of {known})")
        return None

    def one_of(self, data: object, path: str) -> tuple[str | None, object]:
        """A bare name (``latest``) or a mapping with one entry (``{points: ...}``)."""
        if isinstance(data, str):
            return data, None
        if isinstance(data, dict):
            self.repeats(data, path)
        if isinstance(data, dict) and len(data) == 1:
            [(name, options)] = data.items()
            return str(name), options
        self.fail(path, f"must be a name or a mapping with one entry, not {data!r}")
        return None, None

    def decayed_mean(self, data: object, path: str) -> DecayedMean | None:
        options = self.mapping(data, path)
        if options is None:
            return None
        self.fields(options, path, allowed={"half_life"}, required={"half_life"})
        half_life = self.duration(options, "half_life", path)
        if half_life is None:
            return None
        return DecayedMean(half_life.total_seconds())

    def stakeholder(self, data: object, path: str) -> Stakeholder | None:
        options = self.mapping(data if data is not None else {}, path)
        if options is None:
            return None

        self.fields(options, path, allowed=_STAKEHOLDER_FIELDS, required=set())
        role_weights = self.role_weights(
            options.get("role_weights"), _join(path, "role_weights")
        )
        default_weight = self.contact_weight(options, "default_weight", path, 1.0)
        max_share = self.number(options, "max_share", path, low=0, high=1)
        if max_share == 0:
            self.fail(_join(path, "max_share"), "must be greater than 0")
        prior = self.number(options, "prior", path)
        return Stakeholder(role_weights, default_weight or 0.0, max_share, prior)

    def role_weights(self, data: object, path: str) -> dict[str, float]:
        if data is None:
            return {}
        weights = self.mapping(data, path)
        if weights is None:
            return {}
        return {
            str(role): weight
            for role in weights
            if (weight := self.contact_weight(weights, role, path, None)) is not None
        }

    def contact_weight(
        self, data: dict[str, Any], name: str, path: str, default: float | None
    ) -> float | None:
        # A weight like 1e-313 means nothing a person could intend, and such
        # tiny floats lose their precision in the shares computed from them.
        weight = self.number(data, name, path, default=default, low=0)
        if weight is not None and 0 < weight < MIN_CONTACT_WEIGHT:
            self.fail(
                _join(path, name), f"must be 0 or at least {MIN_CONTACT_WEIGHT:g}"
            )
            return None
        return weight

    def normalize(self, data: object, path: str) -> Normalizer | None:
        name, options = self.one_of(data, path)
        if name == "linear":
            return self.linear(options, _join(path, name))
        if name == "points":
            return self.points(options, _join(path, name))
        if name is not None:
            self.fail(path, f"unknown normalizer {name!r} (expected linear or points)")
        return None

    def linear(self, data: object, path: str) -> Linear | None:
        if (
            not isinstance(data, list)
            or len(data) != 2
            or not all(map(_is_number, data))
        ):
            self.fail(path, "needs a list of two numbers [low, high]")
            return None
        low, high = data
        if low == high:
            self.fail(path, "needs two different numbers")
            return None
        return Linear(float(low), float(high))

    def points(self, data: object, path: str) -> Points | None:
        if not isinstance(data, list) or len(data) < 2:
            self.fail(path, "needs a list of at least two [x, y] points")
            return None

        xs: list[float] = []
        ys: list[float] = []
        for index, point in enumerate(data):
            where = _join(path, index)
            if (
                not isinstance(point, list)
                or len(point) != 2
                or not all(map(_is_number, point))
            ):
                self.fail(where, f"must be a pair of numbers [x, y], not {point!r}")
                return None
            x, y = float(point[0]), float(point[1])
            if xs and x <= xs[-1]:
                self.fail(
                    where, f"x must be greater than the previous point's ({xs[-1]:g})"
                )
            if not 0 <= y <= 100:
                self.fail(where, f"y must be between 0 and 100, not {y:g}")
            xs.append(x)
            ys.append(y)
        return Points(tuple(xs), tuple(ys))

    def missing(self, data: object, path: str) -> MissingRule | None:
        if data is None:
            return None
        rule = self.mapping(data, path)
        if rule is None:
            return None
        if len(rule) != 1 or next(iter(rule)) not in ("value", "score"):
            self.fail(path, "must be {value: X} (a raw value) or {score: Y} (0-100)")
            return None

        if "value" in rule:
            value = self.number(rule, "value", path)
            return FillValue(value) if value is not None else None
        score = self.number(rule, "score", path, low=0, high=100)
        return FillScore(score) if score is not None else None
