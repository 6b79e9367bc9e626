"""A made-up but believable portfolio: accounts, contacts and their signals.

Each account follows a story, told as a hidden health between 0 and 1 through
time: most are steady, some slowly decline, some recover from a bad patch, and
in one the only enthusiastic voice is the champion's. Every signal is drawn
from that health, so a scorecard has something real to find. The same seed
gives the same portfolio, and each account's signals come from its own random
stream, so they do not depend on the order accounts are generated in.
"""

import csv
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

SEGMENTS = [
    ("strategic", 0.05),
    ("enterprise", 0.15),
    ("mid_market", 0.35),
    ("smb", 0.45),
]
SEATS = {"strategic": 150, "enterprise": 60, "mid_market": 24, "smb": 16}
SEAT_PRICE = {"strategic": 1300, "enterprise": 1000, "mid_market": 800, "smb": 550}
TIER_SEATS = {"tier-1": 1.6, "tier-2": 1.0, "tier-3": 0.6}
TIERS = [("tier-1", 0.2), ("tier-2", 0.4), ("tier-3", 0.4)]
REGIONS = ["amer", "emea", "apac"]

# CSMs specialise: a few look after the largest accounts, the rest share the book.
CSMS = {
    "strategic": ("csm-01", "csm-02"),
    "enterprise": ("csm-03", "csm-04", "csm-05"),
    "mid_market": ("csm-06", "csm-07", "csm-08", "csm-09"),
    "smb": ("csm-10", "csm-11", "csm-12"),
}
ROLE_LABELS = {
    "executive_sponsor": "Executive sponsor",
    "decision_maker": "Decision maker",
    "champion": "Champion",
    "user": "User",
    "billing": "Billing",
}
# How likely each role is to answer a survey wave.
ANSWER_RATE = {
    "executive_sponsor": 0.5,
    "decision_maker": 0.6,
    "champion": 0.85,
    "user": 0.45,
    "billing": 0.2,
}

_FIRST = [
    "Alder", "Basalt", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor",
    "Indigo", "Juniper", "Keystone", "Lumen", "Meridian", "Nimbus", "Orchid",
    "Pioneer", "Quarry", "Rivet", "Summit", "Tundra", "Umber", "Vertex", "Willow",
]  # fmt: skip
_SECOND = [
    "Analytics", "Logistics", "Health", "Systems", "Foods", "Energy", "Robotics",
    "Media", "Labs", "Freight", "Finance", "Networks", "Retail", "Studios",
]  # fmt: skip


class Story(StrEnum):
    STEADY = "steady"
    DECLINING = "declining"
    RECOVERING = "recovering"
    CHAMPION_MASKS = "champion_masks"


STORIES = [(Story.STEADY, 0.64), (Story.DECLINING, 0.2), (Story.RECOVERING, 0.16)]

# The first accounts tell one story each, so that even a demo of a dozen accounts
# shows every story; after them stories are drawn at random, and every hundredth
# account is another champion masking an unhappy account.
OPENING_STORIES = (Story.DECLINING, Story.RECOVERING, Story.CHAMPION_MASKS)
MASKED_EVERY = 100

# The sponsor and decision makers of a masked account last answered this long
# ago: outside the 180-day window of the bundled scorecards, so today only the
# champion's voice is heard there.
QUIET_FOR = 200


@dataclass(frozen=True, slots=True)
class Contact:
    key: str
    role: str

    @property
    def name(self) -> str:
        # A label, not a person's name: the demo invents no people.
        return f"{ROLE_LABELS[self.role]} {self.key}"

    def email(self, account: str) -> str:
        return f"{self.key}@{account}.example"


@dataclass(frozen=True, slots=True)
class Account:
    key: str
    name: str
    segment: str
    tier: str
    region: str
    csm: str
    seats: int
    arr: int
    renewal_date: date
    story: Story
    # (days before the end, health) from the earliest to the end; health is a
    # straight line between them and flat before the first.
    course: tuple[tuple[int, float], ...]
    contacts: tuple[Contact, ...]

    def health(self, ago: float) -> float:
        """The hidden health ``ago`` days before the end, without noise."""
        older_ago, older = self.course[0]
        if ago >= older_ago:
            return older
        for newer_ago, newer in self.course[1:]:
            if ago >= newer_ago:
                part = (older_ago - ago) / (older_ago - newer_ago)
                return older + (newer - older) * part
            older_ago, older = newer_ago, newer
        return older


class DemoSignal(NamedTuple):
    account: str
    metric: str
    value: float
    observed_at: datetime
    contact: str | None
    source: str
    id: str


class DemoOutcome(NamedTuple):
    account: str
    kind: str
    decided_at: datetime
    id: str


# How health a month before a renewal turns into churn: even odds at CHURN_AT,
# steeper with CHURN_SLOPE. A healthy account (0.85) churns about 1 time in 70,
# an unhappy one (0.3) about 3 times in 4.
CHURN_AT = 0.42
CHURN_SLOPE = 10.0


def make_accounts(count: int, *, seed: int, end: datetime) -> list[Account]:
    """``count`` accounts; the first n of a larger portfolio are the same n."""
    rng = random.Random(seed)
    return [_account(number, rng, end) for number in range(1, count + 1)]


def story_of(number: int, rng: random.Random) -> Story:
    if number <= len(OPENING_STORIES):
        return OPENING_STORIES[number - 1]
    if number % MASKED_EVERY == len(OPENING_STORIES):
        return Story.CHAMPION_MASKS
    stories, weights = zip(*STORIES, strict=True)
    return rng.choices(stories, weights)[0]


def _account(number: int, rng: random.Random, end: datetime) -> Account:
    story = story_of(number, rng)
    segment = _choose(SEGMENTS, rng)
    if story is Story.CHAMPION_MASKS:
        # The relationship weighs most under the strategic scorecard.
        segment = "strategic"
    tier = _choose(TIERS, rng)
    seats = max(3, round(SEATS[segment] * TIER_SEATS[tier] * rng.uniform(0.8, 1.2)))
    arr = round(seats * SEAT_PRICE[segment] * rng.uniform(0.85, 1.15), -2)

    return Account(
        key=f"acc-{number:06d}",
        name=f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {number}",
        segment=segment,
        tier=tier,
        region=rng.choice(REGIONS),
        csm=rng.choice(CSMS[segment]),
        seats=seats,
        arr=int(arr),
        renewal_date=end.date() + timedelta(days=rng.randrange(1, 366)),
        story=story,
        course=_course(story, rng),
        contacts=_contacts(segment, story, rng),
    )


def _choose(options: list[tuple[str, float]], rng: random.Random) -> str:
    names, weights = zip(*options, strict=True)
    return rng.choices(names, weights)[0]


def _course(story: Story, rng: random.Random) -> tuple[tuple[int, float], ...]:
    if story is Story.DECLINING:
        high, low = rng.uniform(0.7, 0.92), rng.uniform(0.12, 0.38)
        return ((800, high), (rng.randrange(150, 330), high), (0, low))
    if story is Story.RECOVERING:
        good, low = rng.uniform(0.65, 0.85), rng.uniform(0.12, 0.3)
        bottom = rng.randrange(90, 170)
        return (
            (800, good),
            (bottom + rng.randrange(120, 240), good),
            (bottom, low),
            (0, rng.uniform(0.7, 0.92)),
        )
    if story is Story.CHAMPION_MASKS:
        return ((800, 0.6), (300, 0.4), (0, 0.12))
    level = rng.triangular(0.35, 0.97, 0.85)
    drift = rng.gauss(0, 0.08)
    return ((800, min(1.0, max(0.0, level - drift))), (0, level))


def _contacts(segment: str, story: Story, rng: random.Random) -> tuple[Contact, ...]:
    roles = ["decision_maker", "champion"]
    large = segment in ("strategic", "enterprise")
    if large or (segment == "mid_market" and rng.random() < 0.4):
        roles.insert(0, "executive_sponsor")
    users = {"strategic": (3, 7), "enterprise": (2, 5), "mid_market": (1, 4)}
    roles += ["user"] * rng.randrange(*users.get(segment, (0, 3)))
    billing = {"strategic": 1.0, "enterprise": 0.7, "mid_market": 0.4}
    if story is Story.CHAMPION_MASKS or rng.random() < billing.get(segment, 0.3):
        roles.append("billing")
    return tuple(Contact(f"c{i}", role) for i, role in enumerate(roles, start=1))


def signals(
    account: Account, *, days: int, end: datetime, seed: int
) -> Iterator[DemoSignal]:
    """Every signal of ``account`` in the ``days`` before ``end``."""
    history = _History(account, days=days, end=end, seed=seed)
    yield from history.activity()
    yield from history.support()
    yield from history.qbrs()
    yield from history.crm()
    yield from history.surveys()


class _History:
    """Draws one account's signals from its story, with its own random stream."""

    def __init__(self, account: Account, *, days: int, end: datetime, seed: int):
        self.account = account
        self.days = days
        self.start = end - timedelta(days=days)
        self.rng = random.Random(f"{seed}/{account.key}")

    def at(self, day: int) -> datetime:
        """A moment during office hours on ``day`` (0 is the first day)."""
        seconds = self.rng.randrange(8 * 3600, 18 * 3600)
        return self.start + timedelta(days=day, seconds=seconds)

    def health(self, day: int, noise: float = 0.04) -> float:
        level = self.account.health(self.days - day) + self.rng.gauss(0, noise)
        return min(1.0, max(0.0, level))

    def signal(
        self,
        metric: str,
        value: float,
        day: int,
        source: str,
        ident: str,
        contact: str | None = None,
    ) -> DemoSignal:
        key = self.account.key
        when = self.at(day)
        return DemoSignal(key, metric, value, when, contact, source, f"{key}-{ident}")

    def every(self, period: int) -> Iterator[tuple[int, int]]:
        """(n, day) for one day in each ``period``, starting at a random offset."""
        return enumerate(range(self.rng.randrange(period), self.days, period))

    def activity(self) -> Iterator[DemoSignal]:
        for n, day in self.every(7):
            # Adoption grows faster than linearly with health: a struggling
            # account has a few loyal users, a healthy one most of its seats.
            adoption = 0.05 + 0.75 * self.health(day) ** 1.5
            value = round(self.account.seats * adoption * self.rng.uniform(0.85, 1.1))
            yield self.signal("weekly_active_users", value, day, "activity", f"wau-{n}")

    def support(self) -> Iterator[DemoSignal]:
        # Support tools sync the open escalations every other week: often enough
        # that the bundled scorecards never see them go stale.
        for n, day in self.every(14):
            unhappy = 1 - self.health(day)
            value = max(0, round(unhappy**2 * 5 + self.rng.gauss(0, 0.6)))
            yield self.signal("open_escalations", value, day, "support", f"esc-{n}")
        for n, day in self.every(30):
            rate = self.account.seats * 0.04 * (1.6 - self.health(day))
            value = max(0, round(rate * self.rng.uniform(0.6, 1.5)))
            yield self.signal("support_tickets", value, day, "support", f"tkt-{n}")

    def qbrs(self) -> Iterator[DemoSignal]:
        if self.account.segment not in ("strategic", "enterprise"):
            return
        for n, day in self.every(91):
            value = _clip(
                round(1 + 4 * self.health(day) + self.rng.gauss(0, 0.5)), 1, 5
            )
            yield self.signal("qbr_score", value, day, "qbr", f"qbr-{n}")

    def crm(self) -> Iterator[DemoSignal]:
        for n, day in self.every(30):
            when = (self.start + timedelta(days=day)).date()
            # One-year terms: the next renewal is an anniversary of the last one.
            value = (self.account.renewal_date - when).days % 365
            yield self.signal("days_to_renewal", value, day, "salesforce", f"crm-{n}")

    def surveys(self) -> Iterator[DemoSignal]:
        for wave, day in self.every(91):
            for contact in self.account.contacts:
                for metric, value in self.answers(contact, day):
                    ident = f"{metric}-{contact.key}-{wave}"
                    yield self.signal(metric, value, day, "survey", ident, contact.key)

    def answers(self, contact: Contact, day: int) -> list[tuple[str, float]]:
        """What ``contact`` answers to the survey wave of ``day``, if anything."""
        if self.account.story is Story.CHAMPION_MASKS:
            return self.masked_answers(contact, day)
        if self.rng.random() >= ANSWER_RATE[contact.role]:
            return []

        mood = self.rng.gauss(0, 0.1) + (0.08 if contact.role == "champion" else 0)
        health = min(1.0, max(0.0, self.health(day) + mood))
        nps = _clip(round(3 + 7.5 * health + self.rng.gauss(0, 1.2)), 0, 10)
        rating = _clip(round(1 + 4 * health + self.rng.gauss(0, 0.5)), 1, 5)
        return [("nps", nps), ("stakeholder_rating", rating)]

    def masked_answers(self, contact: Contact, day: int) -> list[tuple[str, float]]:
        """The champion loves the product; everyone else has stopped saying so.

        The champion answers every wave with top marks. The sponsor and decision
        maker rated it 2 until they went quiet; users rated it 2 and now answer
        only the NPS question, low.
        """
        quiet = self.days - day < QUIET_FOR
        low_nps = self.rng.choice([2, 3, 4, 5])
        if contact.role == "champion":
            return [("nps", self.rng.choice([9, 10])), ("stakeholder_rating", 5)]
        if contact.role in ("executive_sponsor", "decision_maker"):
            return [] if quiet else [("nps", low_nps), ("stakeholder_rating", 2)]
        if contact.role == "user":
            ratings = [] if quiet else [("stakeholder_rating", 2)]
            return [("nps", low_nps), *ratings]
        return []


def outcomes(
    account: Account, *, days: int, end: datetime, seed: int
) -> list[DemoOutcome]:
    """What became of ``account`` at each yearly renewal in the ``days`` before
    ``end``, drawn from its health a month before: the lower it was, the likelier
    a churn. A churned account stays in the demo book with its signals, so the
    portfolio stays whole; its outcome is what says it left, and it has no
    renewal after that.
    """
    rng = random.Random(f"{seed}/{account.key}/outcomes")
    found = []
    for years in range(days // 365 + 1, 0, -1):
        day = account.renewal_date - timedelta(days=365 * years)
        ago = (end.date() - day).days
        if not 0 < ago < days:
            continue
        health = account.health(ago + 30)
        churn = 1 / (1 + math.exp(CHURN_SLOPE * (health - CHURN_AT)))
        draw = rng.random()
        kind = "renewal"
        if draw < churn:
            kind = "churn"
        elif health < 0.55 and rng.random() < 0.3:
            kind = "downgrade"
        elif health > 0.8 and rng.random() < 0.25:
            kind = "expansion"
        decided_at = datetime.combine(day, datetime.min.time(), end.tzinfo)
        found.append(
            DemoOutcome(account.key, kind, decided_at, f"{account.key}-renewal-{day}")
        )
        if kind == "churn":
            break
    return found


def _clip(value: int, low: int, high: int) -> int:
    return min(high, max(low, value))


def write_book(
    directory: Path, *, accounts: int, seed: int, end: datetime, days: int = 365
) -> int:
    """Write accounts.csv, contacts.csv, signals.csv and outcomes.csv; return the
    signal count."""
    directory.mkdir(parents=True, exist_ok=True)
    book = make_accounts(accounts, seed=seed, end=end)
    _write_accounts(directory / "accounts.csv", book)
    _write_contacts(directory / "contacts.csv", book)
    _write_outcomes(directory / "outcomes.csv", book, seed, end, days)
    return _write_signals(directory / "signals.csv", book, seed, end, days)


def _write_outcomes(
    path: Path, book: list[Account], seed: int, end: datetime, days: int
) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["account", "outcome", "decided_at", "id"])
        for account in book:
            for o in outcomes(account, days=days, end=end, seed=seed):
                writer.writerow([o.account, o.kind, o.decided_at.date(), o.id])


def _write_accounts(path: Path, book: list[Account]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        header = "account,name,segment,tier,region,csm,arr,renewal_date"
        writer.writerow(header.split(","))
        for a in book:
            renewal = a.renewal_date.isoformat()
            writer.writerow(
                [a.key, a.name, a.segment, a.tier, a.region, a.csm, a.arr, renewal]
            )


def _write_contacts(path: Path, book: list[Account]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["account", "contact", "role", "name", "email"])
        for a in book:
            for c in a.contacts:
                writer.writerow([a.key, c.key, c.role, c.name, c.email(a.key)])


def _write_signals(
    path: Path, book: list[Account], seed: int, end: datetime, days: int
) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["account", "metric", "value", "observed_at", "contact", "source", "id"]
        )
        for account in book:
            for s in signals(account, days=days, end=end, seed=seed):
                stamp = s.observed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                contact = s.contact or ""
                writer.writerow(
                    [s.account, s.metric, s.value, stamp, contact, s.source, s.id]
                )
                count += 1
    return count
