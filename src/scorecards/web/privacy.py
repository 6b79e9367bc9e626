"""An account's personal data, for admins: download what is held about a contact
or the whole account, and erase it after typing its key to confirm.

Contacts are addressed by their id in these URLs, never by their key, which
can be an email address.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from scorecards.accounts.models import Account, Contact
from scorecards.people.access import admin_page
from scorecards.privacy.erasure import counts_text, erase_account, erase_contact
from scorecards.privacy.export import (
    download,
    export_account,
    export_contact,
    file_safe,
)


class ConfirmForm(forms.Form):
    confirm = forms.CharField(label="Type the key to confirm", max_length=200)

    def __init__(self, data: object = None, *, expected: str) -> None:
        super().__init__(data)
        self.expected = expected
        self.fields["confirm"].help_text = f"Type {expected} exactly."

    def clean_confirm(self) -> str:
        typed: str = self.cleaned_data["confirm"]
        if typed.strip() != self.expected:
            raise ValidationError("is not the key; nothing was erased")
        return typed


def _contact(key: str, contact_id: int) -> Contact:
    return get_object_or_404(
        Contact.objects.select_related("account"), pk=contact_id, account__key=key
    )


@admin_page
@require_safe
def personal_data(request: HttpRequest, key: str) -> HttpResponse:
    account = get_object_or_404(Account, key=key)
    context = {
        "account": account,
        "contacts": account.contacts.order_by("role", "key"),
        "mode": settings.ERASURE_ANSWERS,
    }
    return render(request, "web/personal_data.html", context)


@admin_page
@require_safe
def contact_export(request: HttpRequest, key: str, contact_id: int) -> HttpResponse:
    contact = _contact(key, contact_id)
    chunks = export_contact(contact=contact, now=timezone.now())
    return download(chunks, f"contact-{contact.pk}.json")


@admin_page
@require_safe
def account_export(request: HttpRequest, key: str) -> StreamingHttpResponse:
    account = get_object_or_404(Account, key=key)
    chunks = export_account(account=account, now=timezone.now())
    return download(chunks, f"account-{file_safe(account.key)}.json")


@admin_page
@require_http_methods(["GET", "POST"])
def contact_erase(request: HttpRequest, key: str, contact_id: int) -> HttpResponse:
    contact = _contact(key, contact_id)
    form = ConfirmForm(request.POST or None, expected=contact.key)
    if request.method == "POST" and form.is_valid():
        erasure = erase_contact(contact=contact, now=timezone.now())
        messages.success(
            request,
            f"Contact erased ({erasure.target}): {counts_text(erasure.removed)}.",
        )
        return redirect("web:personal-data", key=contact.account.key)

    context = {
        "account": contact.account,
        "contact": contact,
        "form": form,
        "mode": settings.ERASURE_ANSWERS,
    }
    return render(request, "web/erase.html", context)


@admin_page
@require_http_methods(["GET", "POST"])
def account_erase(request: HttpRequest, key: str) -> HttpResponse:
    account = get_object_or_404(Account, key=key)
    form = ConfirmForm(request.POST or None, expected=account.key)
    if request.method == "POST" and form.is_valid():
        erasure = erase_account(account=account, now=timezone.now())
        messages.success(
            request,
            f"Account {key} erased: {counts_text(erasure.removed)}.",
        )
        return redirect("web:accounts")

    context = {
        "account": account,
        "contact": None,
        "form": form,
        "contacts": account.contacts.count(),
    }
    return render(request, "web/erase.html", context)
