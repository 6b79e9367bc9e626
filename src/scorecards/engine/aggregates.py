"""Aggregates turn the signals inside a criterion's window into one raw value.

Each aggregate sees a window: parallel lists of times, values and contacts, oldest
first with ties in receipt order. It answers ``(raw, count)``; ``count`` is what
``min_count`` is compared with, and ``raw`` is None when there is nothing to say.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from scorecards.engine.stakeholder import stakeholder_raw


@dataclass(frozen=True, slots=True)
class Window:
    """The signals one criterion sees, as of ``as_of`` (seconds since the epoch)."""

    times: Sequence[float]
    values: Sequence[float]
    contacts: Sequence[str | None]
    as_of: float


def _latest_per_respondent(window: Window) -> list[tuple[str | None, float]]:
    """Each contact's latest value; a signal without a contact is its own respondent."""
    latest: dict[str, float] = {}
    anonymous: list[tuple[str | None, float]] = []
    for contact, value in zip(window.contacts, window.values, strict=True):
        if contact is None:
            anonymous.append((None, value))
        else:
            latest.pop(contact, None)  # re-insert so order follows the latest answer
            latest[contact] = value
    return [*latest.items(), *anonymous]


@dataclass(frozen=True, slots=True)
class Latest:
    name = "latest"

    def __call__(
        self, window: Window, roles: Mapping[str, str]
    ) -> tuple[float | None, int]:
        if not window.values:
            return None, 0
        return window.values[-1], len(window.values)


@dataclass(frozen=True, slots=True)
class Mean:
    name = "mean"

    def __call__(
        self, window: Window, roles: Mapping[str, str]
    ) -> tuple[float | None, int]:
        if not window.values:
            return None, 0
        return sum(window.values) / len(window.values), len(window.values)


@dataclass(frozen=True, slots=True)
class Sum:
    name = "sum"

    def __call__(
        self, window: Window, roles: Mapping[str, str]
    ) -> tuple[float | None, int]:
        if not window.values:
            return None, 0
        return float(sum(window.values)), len(window.values)


@dataclass(frozen=True, slots=True)
class Min:
    name = "min"

    def __call__(
        self, window: Window, roles: Mapping[str, str]
    ) -> tuple[float | None, int]:
        if not window.values:
            return None, 0
        return min(window.values), len(window.values)


@dataclass(frozen=True, slots=True)
class Max:
    name = "max"

    def __call__(
        self, window: Window, roles: Mapping[str, str]
    ) -> tuple[float | None, int]:
        if not window.values:
            return None, 0
        return max(window.values), len(window.values)


@dataclass(frozen=True, slots=True)
class Count:
    """The number of signals; zero signals is a count of 0, not missing data."""

    name = "count"

    def __call__(
        self, window: Window, roles: Mapping[str, str]
    ) -> tuple[float | None, int]:
        return float(len(window.values)), len(window.values)


@dataclass(frozen=True, slots=True)
class DecayedMean:
    """A mean weighted by ``0.5 ** (age / half_life)``; ``half_life`` in seconds."""

    half_life: float
    name = "decayed_mean"

    def __call__(
        self, window: Window, roles: Mapping[str, str]
    ) -> tuple[float | None, int]:
        if not window.values:
            return None, 0

        # Ages are taken from the newest signal rather than from as_of: the
        # common factor cancels out of the mean, and this way the newest weight
        # is 1, so very old signals cannot underflow every weight to zero.
        newest = window.times[-1]
        weights = [0.5 ** ((newest - t) / self.half_life) for t in window.times]
        weighted = sum(w * v for w, v in zip(weights, window.values, strict=True))
        return weighted / sum(weights), len(window.values)


@dataclass(frozen=True, slots=True)
class Nps:
    """Net promoter score over respondents; ``count`` is the number of respondents."""

    name = "nps"

    def __call__(
        self, window: Window, roles: Mapping[str, str]
    ) -> tuple[float | None, int]:
        answers = [value for _, value in _latest_per_respondent(window)]
        if not answers:
            return None, 0

        promoters = sum(1 for value in answers if value >= 9)
        detractors = sum(1 for value in answers if value <= 6)
        return 100.0 * (promoters - detractors) / len(answers), len(answers)


@dataclass(frozen=True, slots=True)
class Stakeholder:
    """Each contact's latest value, weighted by role and capped at ``max_share``."""

    role_weights: Mapping[str, float] = field(default_factory=dict)
    default_weight: float = 1.0
    max_share: float | None = None
    prior: float | None = None
    name = "stakeholder"

    def weight_of(self, contact: str | None, roles: Mapping[str, str]) -> float:
        role = roles.get(contact) if contact is not None else None
        if role is None:
            return self.default_weight
        return self.role_weights.get(role, self.default_weight)

    def __call__(
        self, window: Window, roles: Mapping[str, str]
    ) -> tuple[float | None, int]:
        answers = _latest_per_respondent(window)
        raw = stakeholder_raw(
            [value for _, value in answers],
            [self.weight_of(contact, roles) for contact, _ in answers],
            max_share=self.max_share,
            prior=self.prior,
        )
        return raw, len(window.values)


Aggregate = Latest | Mean | Sum | Min | Max | Count | DecayedMean | Nps | Stakeholder

SIMPLE_AGGREGATES: dict[str, Aggregate] = {
    a.name: a for a in (Latest(), Mean(), Sum(), Min(), Max(), Count(), Nps())
}
