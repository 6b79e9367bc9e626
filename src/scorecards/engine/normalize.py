"""Normalizers map an aggregated raw value onto a 0-100 score."""

from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Linear:
    """``low`` scores 0, ``high`` scores 100; ``low > high`` means lower is better."""

    low: float
    high: float

    def __call__(self, raw: float) -> float:
        score = (raw - self.low) / (self.high - self.low) * 100.0
        return min(100.0, max(0.0, score))


@dataclass(frozen=True, slots=True)
class Points:
    """Straight lines between ``(x, y)`` points, flat beyond the first and last."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def __call__(self, raw: float) -> float:
        if raw <= self.xs[0]:
            return self.ys[0]
        if raw >= self.xs[-1]:
            return self.ys[-1]

        right = bisect_right(self.xs, raw)
        x0, x1 = self.xs[right - 1], self.xs[right]
        y0, y1 = self.ys[right - 1], self.ys[right]
        return y0 + (y1 - y0) * (raw - x0) / (x1 - x0)


Normalizer = Linear | Points
