"""``POST /signals``: a batch of signals in, stored once and scored before the answer.

This is the busiest route of the service, so a batch is validated in one pass
of pydantic's JSON parser straight into the service's own IncomingSignal, and
stored and re-scored with a handful of queries whatever its size.
"""

from dataclasses import dataclass
from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from scorecards.api.batches import json_body, read_batch
from scorecards.engine.signals import check_moment, check_value
from scorecards.ingest.service import (
    MAX_BATCH,
    IncomingSignal,
    check_references,
    ingest_signals,
)

router = Router(tags=["signals"])

Key = Annotated[str, Field(min_length=1, max_length=200)]
Finite = Annotated[
    float, Field(strict=True, allow_inf_nan=False), AfterValidator(check_value)
]
# Strict, so that only ISO 8601 text is a time: a bare number would leave the
# reader to guess between seconds and milliseconds.
Moment = Annotated[AwareDatetime, Field(strict=True), AfterValidator(check_moment)]


@dataclass(frozen=True, slots=True)
class SignalIn(IncomingSignal):
    """One numeric observation about an account."""

    # The service's own type with the limits of the wire on top, so that a
    # validated batch goes to the service as it is, with no copying.
    __pydantic_config__ = ConfigDict(extra="forbid")

    account: Key
    metric: Key
    value: Finite
    observed_at: Moment
    contact: Key | None = None
    source: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    id: Key | None = None


class SignalBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signals: Annotated[list[SignalIn], Field(max_length=MAX_BATCH)]


class IngestOut(BaseModel):
    accepted: int = Field(description="signals stored")
    duplicates: int = Field(description="signals whose (source, id) was already known")
    rescored: int = Field(description="accounts scored again")


@router.post(
    "/signals",
    response=IngestOut,
    summary="Store a batch of signals",
    openapi_extra=json_body(SignalBatch),
)
def post_signals(request: HttpRequest) -> IngestOut:
    """Up to 10,000 signals, accepted or refused as a whole. Every account and
    contact must exist. A signal whose (source, id) is already stored counts as
    a duplicate and changes nothing, so a retried batch is harmless."""
    now = timezone.now()
    batch = read_batch(request, SignalBatch, "signals", check=check_references)

    result = ingest_signals(batch.signals, now=now)
    return IngestOut(
        accepted=result.accepted,
        duplicates=result.duplicates,
        rescored=result.rescored,
    )
