"""Signals and the per-account history the scoring rules read them from."""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class Signal:
    """One numeric observation about an account.

    Receipt order is the order signals are handed to the engine: on a tie of
    ``observed_at`` the one received last is the latest.
    """

    account: str
    metric: str
    value: float
    observed_at: datetime
    contact: str | None = None
    source: str | None = None
    id: str | None = None


def to_timestamp(moment: datetime) -> float:
    """Seconds since the epoch of an aware datetime; naive ones are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return moment.timestamp()


def from_timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


class MetricSeries:
    """One metric's signals for one account, oldest first, ties in receipt order."""

    __slots__ = ("contacts", "times", "values")

    def __init__(
        self,
        times: Sequence[float],
        values: Sequence[float],
        contacts: Sequence[str | None],
    ) -> None:
        self.times = times
        self.values = values
        self.contacts = contacts

    def __len__(self) -> int:
        return len(self.times)

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[float, float, str | None]]
    ) -> "MetricSeries":
        """Build from ``(timestamp, value, contact)`` rows given in receipt order."""
        ordered = sorted(rows, key=lambda row: row[0])  # stable: keeps receipt order
        return cls(
            [row[0] for row in ordered],
            [row[1] for row in ordered],
            [row[2] for row in ordered],
        )


class History:
    """Everything the engine knows about one account: a series per metric."""

    __slots__ = ("series",)

    def __init__(self, series: Mapping[str, MetricSeries] | None = None) -> None:
        self.series: Mapping[str, MetricSeries] = series or {}

    def __getitem__(self, metric: str) -> MetricSeries | None:
        return self.series.get(metric)

    def metrics(self) -> Iterator[str]:
        return iter(self.series)

    @classmethod
    def from_signals(cls, signals: Iterable[Signal]) -> "History":
        """One account's history from its signals, given in receipt order."""
        rows: dict[str, list[tuple[float, float, str | None]]] = defaultdict(list)
        for signal in signals:
            rows[signal.metric].append(
                (to_timestamp(signal.observed_at), float(signal.value), signal.contact)
            )
        return cls({metric: MetricSeries.from_rows(r) for metric, r in rows.items()})


class HistoryBuilder:
    """Collects signals of many accounts, in receipt order, into a history each.

    Built for the bulk path: rows go straight into per-metric lists with no
    per-signal object, and account and metric names are shared, not copied.
    """

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, list[tuple[float, float, str | None]]]] = {}

    def add(
        self,
        account: str,
        metric: str,
        observed_at: float,
        value: float,
        contact: str | None = None,
    ) -> None:
        metrics = self._rows.get(account)
        if metrics is None:
            metrics = self._rows[account] = {}
        rows = metrics.get(metric)
        if rows is None:
            rows = metrics[metric] = []
        rows.append((observed_at, value, contact))

    def accounts(self) -> Iterator[str]:
        return iter(self._rows)

    def build(self) -> dict[str, History]:
        return {
            account: History(
                {
                    metric: MetricSeries.from_rows(rows)
                    for metric, rows in metrics.items()
                }
            )
            for account, metrics in self._rows.items()
        }


def histories_by_account(signals: Iterable[Signal]) -> dict[str, History]:
    """Split signals of many accounts, in receipt order, into a history each."""
    builder = HistoryBuilder()
    for signal in signals:
        builder.add(
            signal.account,
            signal.metric,
            to_timestamp(signal.observed_at),
            float(signal.value),
            signal.contact,
        )
    return builder.build()
