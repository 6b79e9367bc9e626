"""Scores set by hand: a manager's word over the data, with a reason and an end.

Setting one re-scores the account at once; it holds until its expiry (30 days
unless said), until it is ended by hand, or until another override of the same
target replaces it, and then the account is re-scored without it. History and
scores as of past moments see an override exactly while it held.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction

from scorecards import engine
from scorecards.accounts.models import Account
from scorecards.audit.log import record
from scorecards.scoring.models import AccountScore, Override
from scorecards.scoring.rescore import rescore

logger = logging.getLogger(__name__)

DEFAULT_LIFETIME = timedelta(days=30)
TOTAL = engine.OVERRIDE_TOTAL


class OverrideError(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


def set_override(
    *,
    account: Account,
    target: str,
    value: float,
    reason: str,
    by: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> Override:
    """Set the total (``target`` ``*``) or a criterion (its path) to ``value``."""
    if not reason.strip():
        raise OverrideError("reason", "is required: say why the data is overruled")
    if not 0 <= value <= 100:
        raise OverrideError("score", "must be from 0 to 100")
    expires_at = expires_at or now + DEFAULT_LIFETIME
    if expires_at <= now:
        raise OverrideError("expires_at", "must be in the future")

    with transaction.atomic():
        # The account first, as every writer of scores locks it: taking the
        # score row first could deadlock with a batch of signals re-scoring.
        Account.objects.select_for_update().filter(pk=account.pk).first()
        score = AccountScore.objects.select_for_update().filter(account=account).first()
        replaced = _current(score, target)
        for earlier in _active(account, target, now):
            _end(earlier, by=by, now=now, why="replaced")
        override = Override.objects.create(
            account=account,
            target=target,
            value=value,
            reason=reason.strip(),
            set_by=by[:200],
            set_at=now,
            expires_at=expires_at,
            replaced=replaced,
        )
        rescore(Account.objects.filter(pk=account.pk), now=now)
        record(
            "override.set",
            target=f"account:{account.key}",
            before={"target": target, "score": replaced},
            after=_described(override),
            at=now,
        )
    logger.info(
        "account %s: %s set by hand to %.1f by %s until %s",
        account.key,
        _name(target),
        value,
        by,
        expires_at.isoformat(),
    )
    return override


def _current(score: AccountScore | None, target: str) -> float | None:
    """What the override stands over, and must be a score the account has."""
    if score is None or score.version_id is None:
        raise OverrideError("account", "has no scorecard to override a score of")
    if target == TOTAL:
        return score.total
    for criterion in score.criteria:
        if criterion["path"] == target:
            return criterion["score"]
    paths = ", ".join(c["path"] for c in score.criteria)
    raise OverrideError("criterion", f"no criterion {target!r} (there are: {paths})")


def _active(account: Account, target: str, now: datetime) -> list[Override]:
    return list(
        Override.objects.filter(
            account=account, target=target, ended_at=None, expires_at__gt=now
        )
    )


def end_override(*, override: Override, by: str, now: datetime) -> Override:
    """End an override before its expiry; the account is re-scored without it."""
    if override.ended_at is None and override.expires_at > now:
        with transaction.atomic():
            _end(override, by=by, now=now, why="ended")
            rescore(Account.objects.filter(pk=override.account_id), now=now)
            record(
                "override.ended",
                target=f"account:{override.account.key}",
                before=_described(override),
                at=now,
            )
        logger.info(
            "account %s: override of %s ended by %s",
            override.account.key,
            _name(override.target),
            by,
        )
    return override


def end_expired(*, now: datetime) -> int:
    """Re-score the accounts whose overrides ran out; returns how many ended."""
    expired = list(
        Override.objects.filter(ended_at=None, expires_at__lte=now).select_related(
            "account"
        )
    )
    for override in expired:
        with transaction.atomic():
            # Claimed by one update, so two workers end it once.
            if not Override.objects.filter(pk=override.pk, ended_at=None).update(
                ended_at=override.expires_at, ended_reason="expired"
            ):
                continue
            rescore(Account.objects.filter(pk=override.account_id), now=now)
            record(
                "override.expired",
                target=f"account:{override.account.key}",
                before=_described(override),
                at=now,
            )
        logger.info(
            "account %s: override of %s expired",
            override.account.key,
            _name(override.target),
        )
    return len(expired)


def _described(override: Override) -> dict[str, object]:
    return {
        "target": override.target,
        "score": override.value,
        "reason": override.reason,
        "set_by": override.set_by,
        "expires_at": override.expires_at.isoformat(),
    }


def _end(override: Override, *, by: str, now: datetime, why: str) -> None:
    override.ended_at, override.ended_by, override.ended_reason = now, by[:200], why
    override.save(update_fields=["ended_at", "ended_by", "ended_reason"])


def _name(target: str) -> str:
    return "the score" if target == TOTAL else f"criterion {target}"
