"""The scorecard: a declarative recipe of weighted criteria, optionally grouped."""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from scorecards.engine.aggregates import Aggregate
from scorecards.engine.normalize import Normalizer


@dataclass(frozen=True, slots=True)
class Grade:
    name: str
    min: float
    color: str | None = None


@dataclass(frozen=True, slots=True)
class FillValue:
    """A missing criterion is scored as if its raw value were ``value``."""

    value: float


@dataclass(frozen=True, slots=True)
class FillScore:
    """A missing criterion gets the normalized ``score`` directly."""

    score: float


MissingRule = FillValue | FillScore


@dataclass(frozen=True, slots=True)
class Criterion:
    key: str
    metric: str
    weight: float
    aggregate: Aggregate
    normalize: Normalizer
    window: timedelta | None = None
    min_count: int = 1
    missing: MissingRule | None = None
    stale_after: timedelta | None = None
    name: str | None = None
    description: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.key


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    weight: float
    criteria: tuple["Item", ...]
    name: str | None = None
    description: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.key


Item = Criterion | Group


@dataclass(frozen=True, slots=True)
class Scorecard:
    key: str
    criteria: tuple[Item, ...]
    name: str = ""
    applies_to: Mapping[str, frozenset[str]] = field(default_factory=dict)
    priority: float = 0
    min_coverage: float = 0.0
    grades: tuple[Grade, ...] = ()
    description: str | None = None
    version: int | None = None
    """Set by whoever stores scorecards; the engine only compares it."""
    _leaves: tuple[tuple[str, Criterion], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # Scoring walks the criteria several times per account; the walk is
        # done once here, as the scorecard never changes.
        object.__setattr__(self, "_leaves", tuple(_leaves(self.criteria, prefix="")))

    def leaves(self) -> Iterator[tuple[str, Criterion]]:
        """Every criterion with its path (group keys joined by ``/``), in file order."""
        return iter(self._leaves)

    def lookback(self) -> timedelta | None:
        """How far back any criterion looks; None when one has no window."""
        windows = [criterion.window for _, criterion in self.leaves()]
        if any(window is None for window in windows):
            return None
        return max(window for window in windows if window is not None)

    def metrics(self) -> frozenset[str]:
        return frozenset(criterion.metric for _, criterion in self.leaves())

    def applies(self, attributes: Mapping[str, str]) -> bool:
        """Whether every attribute ``applies_to`` lists has one of its values.

        Attribute names are lower case: the parser lower-cases ``applies_to``,
        and whoever builds ``attributes`` does the same.
        """
        for name, allowed in self.applies_to.items():
            value = attributes.get(name)
            if value is None or str(value) not in allowed:
                return False
        return True

    def grade_for(self, total: float) -> Grade | None:
        # Float noise can land a total a hair under a bound it reaches exactly
        # (0.2 * 5 + 0.8 * 2 -> 40 is 39.99999999999999); the tolerance keeps
        # such a total in the grade a reader of the rounded figure expects.
        for grade in self.grades:
            if total >= grade.min - 1e-9:
                return grade
        return None


def _leaves(items: tuple[Item, ...], prefix: str) -> Iterator[tuple[str, Criterion]]:
    for item in items:
        path = f"{prefix}{item.key}"
        if isinstance(item, Group):
            yield from _leaves(item.criteria, prefix=f"{path}/")
        else:
            yield path, item


def choose_scorecard(
    scorecards: Iterable[Scorecard],
    attributes: Mapping[str, str],
) -> Scorecard | None:
    """The applicable scorecard of highest priority; ties go to the lower key."""
    applicable = [card for card in scorecards if card.applies(attributes)]
    if not applicable:
        return None
    return min(applicable, key=lambda card: (-card.priority, card.key))
