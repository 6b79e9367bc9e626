"""Backtesting a stored scorecard against the stored outcomes and signals.

Every outcome's account is scored from the signals stored for it, as of a lead
time before the outcome, under one version of the scorecard (the current one
unless another is named). The account's attributes and its contacts' roles are
today's: the store keeps no history of them, so an account that moved segment
is judged by the scorecard that governs it now. Overrides are left out: the
backtest measures the data's score, not a person's.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.http import Http404

from scorecards import engine, evidence
from scorecards.accounts.models import Account
from scorecards.lib.chunks import in_chunks
from scorecards.outcomes.models import Outcome
from scorecards.scoring.models import Scorecard, ScorecardVersion
from scorecards.scoring.rescore import load_histories, roles_of
from scorecards.scoring.scorecards import current_versions, parsed

CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredBacktest:
    version: ScorecardVersion
    result: evidence.Backtest


def version_of(key: str, number: int | None = None) -> ScorecardVersion:
    """The scorecard's version ``number``, or its current one; Http404 if none."""
    if number is None:
        scorecard = Scorecard.objects.select_related("current__scorecard")
        found = scorecard.filter(key=key).first()
        if found is None or found.current is None:
            raise Http404(f"no scorecard {key!r}")
        return found.current  # type: ignore[no-any-return]

    version = (
        ScorecardVersion.objects.select_related("scorecard")
        .filter(scorecard__key=key, number=number)
        .first()
    )
    if version is None:
        raise Http404(f"no version {number} of scorecard {key!r}")
    return version


def backtest_stored(
    *,
    key: str,
    lead_days: int,
    now: datetime,
    number: int | None = None,
    bad_kinds: frozenset[str] = evidence.BAD_KINDS,
    resamples: int = 200,
) -> StoredBacktest:
    version = version_of(key, number)
    card = parsed(version)
    others = [
        parsed(v) for v in current_versions() if v.scorecard_id != version.scorecard_id
    ]
    lead = timedelta(days=lead_days)

    rows = list(Outcome.objects.select_related("account").order_by("decided_at", "pk"))
    outcomes = [
        evidence.Outcome(row.account.key, row.kind, row.decided_at) for row in rows
    ]
    ids = {row.account_id for row in rows}
    accounts, histories, roles = _book(ids, card, others, rows, lead)
    result = evidence.backtest(
        scorecard=card,
        outcomes=outcomes,
        accounts=accounts,
        histories=histories,
        roles=roles,
        others=others,
        lead=lead,
        now=now,
        bad_kinds=bad_kinds,
        resamples=resamples,
    )
    return StoredBacktest(version, result)


def _book(
    ids: set[int],
    card: engine.Scorecard,
    others: list[engine.Scorecard],
    rows: list[Outcome],
    lead: timedelta,
) -> tuple[
    dict[str, dict[str, str]], dict[str, engine.History], dict[str, dict[str, str]]
]:
    """The outcome accounts' attributes, signals and roles, keyed by account key.

    Signals are read only for the accounts the scorecard governs, up to the
    latest as-of time; the engine ignores, for each outcome, those observed
    after its own.
    """
    accounts: dict[str, dict[str, str]] = {}
    histories: dict[str, engine.History] = {}
    roles: dict[str, dict[str, str]] = {}
    if not rows:
        return accounts, histories, roles
    until = max(row.decided_at for row in rows) - lead
    cards = [card, *others]

    for chunk in in_chunks(Account.objects.filter(pk__in=ids), CHUNK):
        governed = {}
        for account in chunk:
            attributes = account.scoring_attributes()
            accounts[account.key] = attributes
            chosen = engine.choose_scorecard(cards, attributes)
            if chosen is not None and chosen.key == card.key:
                governed[account.pk] = account.key
        if not governed:
            continue
        loaded = load_histories(list(governed), card.metrics(), until)
        chunk_roles = roles_of(list(governed))
        for pk, key in governed.items():
            if pk in loaded:
                histories[key] = loaded[pk]
            roles[key] = chunk_roles.get(pk, {})
    return accounts, histories, roles
