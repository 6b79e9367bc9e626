"""Publishing a scorecard and re-scoring the accounts, as one change."""

from datetime import datetime

from django.db import transaction

from scorecards.accounts.models import Account
from scorecards.engine.parsing import Format
from scorecards.scoring.models import ScorecardVersion
from scorecards.scoring.rescore import rescore
from scorecards.scoring.scorecards import publish_scorecard


def publish(
    *, source: str, format: Format, author: str, now: datetime
) -> ScorecardVersion:
    """Publish a new version and re-score every account under the new set.

    Every account, not only those the scorecard applies to: a new priority or
    ``applies_to`` can move an account from one scorecard to another.
    """
    with transaction.atomic():
        version = publish_scorecard(
            source=source, format=format, author=author, now=now
        )
        # Lock every account (in id order, as ingest does) so a batch of
        # signals arriving meanwhile is not overwritten by a score computed
        # from the data before it.
        locked = Account.objects.select_for_update().order_by("pk")
        list(locked.values_list("pk", flat=True))
        rescore(Account.objects.all(), now=now)
    return version
