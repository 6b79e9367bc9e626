"""Signals and the per-account history the scoring rules read them from."""

import hashlib
from array import array
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise


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


# Limits of what a signal can say. Real metrics stay far inside them; beyond
# them sums overflow floats and dates overflow windows, so such input is
# refused at the door with a clear message rather than failing later.
VALUE_LIMIT = 1e15
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def check_value(value: float) -> float:
    """``value`` if it is a finite number within VALUE_LIMIT; else ValueError."""
    if not -VALUE_LIMIT <= value <= VALUE_LIMIT:
        raise ValueError(
            f"{value!r} is out of range (at most {VALUE_LIMIT:g} either way)"
        )
    return value


def check_moment(moment: datetime) -> datetime:
    """``moment`` if it lies between 1900 and 9000; else ValueError."""
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"{moment.isoformat()} is out of range (1900 to 9000)")
    return moment


def derived_id(
    account: str, metric: str, value: float, observed_at: datetime, contact: str | None
) -> str:
    """A stable id for a signal that came without one, so a retry is recognised.

    Two signals alike in account, metric, value, time and contact are the same
    observation: counting it once is what a retried request or a file loaded
    twice needs, and the service and the offline command count alike.
    """
    content = "\x1f".join(
        [
            account,
            metric,
            repr(float(value)),
            observed_at.astimezone(UTC).isoformat(),
            contact or "",
        ]
    )
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()[:40]


def to_timestamp(moment: datetime) -> float:
    """Seconds since the epoch of an aware datetime; naive ones are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return moment.timestamp()


def from_timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


class MetricSeries:
    """One metric's signals for one account, oldest first, ties in receipt order.

    A series may start part-way through the history, when the reader knows no
    window reaches further back; ``earlier`` is then the time of the latest
    signal left out, which is all staleness needs of them.
    """

    __slots__ = ("contacts", "earlier", "times", "values")

    def __init__(
        self,
        times: Sequence[float],
        values: Sequence[float],
        contacts: Sequence[str | None],
        earlier: float | None = None,
    ) -> None:
        self.times = times
        self.values = values
        self.contacts = contacts
        self.earlier = earlier

    def __len__(self) -> int:
        return len(self.times)


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
        columns: dict[str, _Column] = {}
        for signal in signals:
            column = columns.get(signal.metric)
            if column is None:
                column = columns[signal.metric] = _Column()
            column.add(to_timestamp(signal.observed_at), signal.value, signal.contact)
        return cls({metric: column.series() for metric, column in columns.items()})


class _Column:
    """One account's signals of one metric, in receipt order, packed as arrays."""

    __slots__ = ("contacts", "times", "values")

    def __init__(self) -> None:
        self.times = array("d")
        self.values = array("d")
        self.contacts: list[str | None] = []

    def add(self, observed_at: float, value: float, contact: str | None) -> None:
        self.times.append(observed_at)
        self.values.append(value)
        self.contacts.append(contact)

    def series(self, earlier: float | None = None) -> MetricSeries:
        times = self.times
        if all(a <= b for a, b in pairwise(times)):
            return MetricSeries(times, self.values, self.contacts, earlier)

        order = sorted(range(len(times)), key=times.__getitem__)  # stable
        return MetricSeries(
            array("d", (times[i] for i in order)),
            array("d", (self.values[i] for i in order)),
            [self.contacts[i] for i in order],
            earlier,
        )


class HistoryBuilder[K: Hashable]:
    """Collects signals of many accounts, in receipt order, into a history each.

    Built for the bulk path: rows go straight into packed per-metric arrays with
    no object per signal.
    """

    def __init__(self) -> None:
        self._columns: dict[K, dict[str, _Column]] = {}
        self._earlier: dict[tuple[K, str], float] = {}

    def add(
        self,
        account: K,
        metric: str,
        observed_at: float,
        value: float,
        contact: str | None = None,
    ) -> None:
        metrics = self._columns.get(account)
        if metrics is None:
            metrics = self._columns[account] = {}
        column = metrics.get(metric)
        if column is None:
            column = metrics[metric] = _Column()
        column.add(observed_at, value, contact)

    def add_earlier(self, account: K, metric: str, observed_at: float) -> None:
        """Note the latest signal before the rows given, for a series that does
        not start at the beginning of the history."""
        self._columns.setdefault(account, {}).setdefault(metric, _Column())
        self._earlier[(account, metric)] = observed_at

    def accounts(self) -> Iterator[K]:
        return iter(self._columns)

    def build(self) -> dict[K, History]:
        earlier = self._earlier
        return {
            account: History(
                {
                    metric: column.series(earlier.get((account, metric)))
                    for metric, column in metrics.items()
                }
            )
            for account, metrics in self._columns.items()
        }


def histories_by_account(signals: Iterable[Signal]) -> dict[str, History]:
    """Split signals of many accounts, in receipt order, into a history each."""
    builder = HistoryBuilder[str]()
    for signal in signals:
        builder.add(
            signal.account,
            signal.metric,
            to_timestamp(signal.observed_at),
            float(signal.value),
            signal.contact,
        )
    return builder.build()
