"""Scoring a whole book of accounts: choose each one's scorecard, then score it."""

from collections.abc import Iterable, Mapping
from datetime import datetime

from scorecards.engine.scorecard import Scorecard, choose_scorecard
from scorecards.engine.scoring import AccountScore, score_account, unscored
from scorecards.engine.signals import History

_NO_HISTORY = History()


def score_portfolio(
    *,
    scorecards: Iterable[Scorecard],
    accounts: Mapping[str, Mapping[str, str]],
    histories: Mapping[str, History],
    roles: Mapping[str, Mapping[str, str]] | None = None,
    as_of: datetime,
) -> dict[str, AccountScore]:
    """Score every account in ``accounts`` (key -> attributes) as of ``as_of``.

    ``histories`` and ``roles`` are keyed by account; an account without
    signals still gets a result (insufficient data, or a score made entirely
    of ``missing`` rules).
    """
    cards = list(scorecards)
    roles = roles or {}
    results: dict[str, AccountScore] = {}
    for account, attributes in accounts.items():
        scorecard = choose_scorecard(cards, attributes)
        if scorecard is None:
            results[account] = unscored(as_of)
            continue
        results[account] = score_account(
            scorecard,
            histories.get(account, _NO_HISTORY),
            as_of=as_of,
            roles=roles.get(account, {}),
        )
    return results
