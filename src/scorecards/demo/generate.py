"""A made-up but realistic book: accounts, contacts and a year of signals.

Each account has a hidden health that drifts over the year; every signal is
drawn from it, so accounts differ, some decline and some recover, and a
scorecard has something real to find. The same seed gives the same book.
"""

import csv
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

SEGMENTS = [
    ("strategic", 0.05),
    ("enterprise", 0.15),
    ("mid_market", 0.35),
    ("smb", 0.45),
]
SEATS = {"strategic": 120, "enterprise": 60, "mid_market": 20, "smb": 6}
_FIRST = [
    "Alder", "Basalt", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor",
    "Indigo", "Juniper", "Keystone", "Lumen", "Meridian", "Nimbus", "Orchid",
    "Pioneer", "Quarry", "Rivet", "Summit", "Tundra", "Umber", "Vertex", "Willow",
]  # fmt: skip
_SECOND = [
    "Analytics", "Logistics", "Health", "Systems", "Foods", "Energy", "Robotics",
    "Media", "Labs", "Freight", "Finance", "Networks", "Retail", "Studios",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Account:
    key: str
    name: str
    segment: str
    csm: str
    arr: int
    renewal_date: str
    health: float
    drift: float
    contacts: tuple[tuple[str, str], ...]

    def health_at(self, day: int, days: int, rng: random.Random) -> float:
        """Health on ``day`` of ``days`` (0 = first), with a little daily noise."""
        level = self.health + self.drift * (day - days) / 365
        return min(1.0, max(0.0, level + rng.gauss(0, 0.05)))


def make_accounts(count: int, *, seed: int, end: datetime) -> list[Account]:
    rng = random.Random(seed)
    names, weights = zip(*SEGMENTS, strict=True)
    accounts = []
    for number in range(1, count + 1):
        segment = rng.choices(names, weights)[0]
        renewal = end.date() + timedelta(days=rng.randrange(1, 365))
        accounts.append(
            Account(
                key=f"acc-{number:06d}",
                name=f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {number}",
                segment=segment,
                csm=f"csm-{rng.randrange(1, 13):02d}",
                arr=int(SEATS[segment] * rng.uniform(800, 2500)) // 100 * 100,
                renewal_date=renewal.isoformat(),
                health=rng.uniform(0.35, 0.97),
                drift=rng.gauss(0, 0.3),
                contacts=_contacts(segment, rng),
            )
        )
    return accounts


def _contacts(segment: str, rng: random.Random) -> tuple[tuple[str, str], ...]:
    roles = ["decision_maker", "champion"]
    if segment in ("strategic", "enterprise"):
        roles.insert(0, "executive_sponsor")
    roles += ["user"] * rng.randrange(0, 5)
    if rng.random() < 0.3:
        roles.append("billing")
    return tuple((f"c{i}", role) for i, role in enumerate(roles, start=1))


def signals(
    account: Account, *, days: int, end: datetime, rng: random.Random
) -> Iterator[tuple[str, float, datetime, str | None, str, str]]:
    """(metric, value, observed_at, contact, source, id) for one account."""
    start = end - timedelta(days=days)
    seats = SEATS[account.segment]

    def at(day: int) -> datetime:
        return start + timedelta(days=day, seconds=rng.randrange(8 * 3600, 18 * 3600))

    for n, day in enumerate(range(rng.randrange(7), days, 7)):
        h = account.health_at(day, days, rng)
        value = max(0, round(seats * h * rng.uniform(0.7, 1.2)))
        yield "weekly_active_users", value, at(day), None, "activity", f"wau-{n}"
    for n, day in enumerate(range(rng.randrange(14), days, 14)):
        h = account.health_at(day, days, rng)
        value = max(0, round((1 - h) * 4 + rng.gauss(0, 0.8)))
        yield "open_escalations", value, at(day), None, "support", f"esc-{n}"
    if account.segment in ("strategic", "enterprise"):
        for n, day in enumerate(range(rng.randrange(30), days, 91)):
            h = account.health_at(day, days, rng)
            value = min(5, max(1, round(1 + 4 * h + rng.gauss(0, 0.6))))
            yield "qbr_score", value, at(day), None, "qbr", f"qbr-{n}"
    yield from _survey_answers(account, days=days, at=at, rng=rng)


def _survey_answers(
    account: Account, *, days: int, at: Callable[[int], datetime], rng: random.Random
) -> Iterator[tuple[str, float, datetime, str | None, str, str]]:
    for contact, role in account.contacts:
        mood = rng.gauss(0, 0.15) + (0.1 if role == "champion" else 0.0)
        for n, day in enumerate(range(rng.randrange(180), days, 180)):
            h = min(1.0, max(0.0, account.health_at(day, days, rng) + mood))
            nps = min(10, max(0, round(10 * h + rng.gauss(0, 1.5))))
            rating = min(5, max(1, round(1 + 4 * h + rng.gauss(0, 0.7))))
            when = at(day)
            yield "nps", nps, when, contact, "survey", f"nps-{contact}-{n}"
            yield (
                "stakeholder_rating",
                rating,
                when,
                contact,
                "survey",
                f"sr-{contact}-{n}",
            )


def write_book(
    directory: Path, *, accounts: int, seed: int, end: datetime, days: int = 365
) -> int:
    """Write accounts.csv, contacts.csv and signals.csv; return the signal count."""
    directory.mkdir(parents=True, exist_ok=True)
    book = make_accounts(accounts, seed=seed, end=end)
    rng = random.Random(seed + 1)

    with (directory / "accounts.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["account", "name", "segment", "csm", "arr", "renewal_date"])
        for a in book:
            writer.writerow([a.key, a.name, a.segment, a.csm, a.arr, a.renewal_date])

    with (directory / "contacts.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["account", "contact", "role", "email"])
        for a in book:
            for contact, role in a.contacts:
                writer.writerow([a.key, contact, role, f"{contact}@{a.key}.example"])

    count = 0
    with (directory / "signals.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["account", "metric", "value", "observed_at", "contact", "source", "id"]
        )
        for a in book:
            for metric, value, when, contact, source, ident in signals(
                a, days=days, end=end, rng=rng
            ):
                stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
                writer.writerow(
                    [
                        a.key,
                        metric,
                        value,
                        stamp,
                        contact or "",
                        source,
                        f"{a.key}-{ident}",
                    ]
                )
                count += 1
    return count
