"""Personal data through the API: export and erase a contact or an account.

A contact is named in the body, never the URL: some CRMs key contacts by their
email address, and URLs end up in proxies' logs.
"""

from typing import Annotated

from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Router
from pydantic import BaseModel, ConfigDict, Field

from scorecards.accounts.api import account_or_404
from scorecards.accounts.models import Contact
from scorecards.privacy.erasure import Erasure, erase_account, erase_contact
from scorecards.privacy.export import (
    download,
    export_account,
    export_contact,
    file_safe,
)

router = Router(tags=["personal data"])

Key = Annotated[str, Field(min_length=1, max_length=200)]


class ContactRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: Key
    key: Key


class ErasureOut(BaseModel):
    erased: str = Field(description='what the audit log names it: "contact:12"')
    mode: str = Field(description="what became of the answers: anonymise or delete")
    removed: dict[str, int] = Field(description="how many of each kind went")


def _contact_or_404(ref: ContactRef) -> Contact:
    account = account_or_404(ref.account)
    contact = account.contacts.filter(key=ref.key).first()
    if contact is None:
        raise Http404(f"account {account.key!r} has no such contact")
    return contact


def erasure_out(erasure: Erasure) -> ErasureOut:
    return ErasureOut(erased=erasure.target, mode=erasure.mode, removed=erasure.removed)


@router.post(
    "/contacts/export",
    response={200: dict[str, object]},
    summary="Everything held about one contact, as JSON",
)
def post_contact_export(
    request: HttpRequest, body: ContactRef
) -> StreamingHttpResponse:
    """Their fields, survey invitations and answers (never a link's token), the
    QBRs they attended, their signals and product activity. Recorded in the
    audit log."""
    contact = _contact_or_404(body)
    chunks = export_contact(contact=contact, now=timezone.now())
    return download(chunks, f"contact-{contact.pk}.json")


@router.post(
    "/contacts/erase",
    response=ErasureOut,
    summary="Erase one contact's personal data, irreversibly",
)
def post_contact_erase(request: HttpRequest, body: ContactRef) -> ErasureOut:
    """Name, address, comments, survey links, unsubscribe, QBR attendance and
    product activity go; answers and signals are anonymised or deleted as
    ``SCORECARDS_ERASURE_ANSWERS`` says (deleted: the account is scored
    again). Recorded in the audit log without the erased data."""
    contact = _contact_or_404(body)
    return erasure_out(erase_contact(contact=contact, now=timezone.now()))


@router.get(
    "/accounts/{key}/export",
    response={200: dict[str, object]},
    summary="Everything held about an account and its contacts, as JSON",
)
def get_account_export(request: HttpRequest, key: str) -> StreamingHttpResponse:
    account = account_or_404(key)
    chunks = export_account(account=account, now=timezone.now())
    return download(chunks, f"account-{file_safe(account.key)}.json")


@router.post(
    "/accounts/{key}/erase",
    response=ErasureOut,
    summary="Erase an account and everything under it, irreversibly",
)
def post_account_erase(request: HttpRequest, key: str) -> ErasureOut:
    """Its contacts, signals, answers, scores and history, alerts, plans,
    outcomes and QBRs go; the audit log keeps the erasure's entry, with counts."""
    account = account_or_404(key)
    return erasure_out(erase_account(account=account, now=timezone.now()))
