"""The in-app inbox: alert changes sent to a user by rules that notify
``{"kind": "inbox"}``, newest first, unread ones marked."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from scorecards.alerts.models import InboxItem

PAGE_SIZE = 50


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    items = InboxItem.objects.filter(user=request.user).select_related(
        "event__alert__rule", "event__alert__account"
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/inbox.html", {"page": page})


@login_required
@require_http_methods(["POST"])
def mark_read(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(InboxItem, pk=item_id, user=request.user)
    if item.read_at is None:
        item.read_at = timezone.now()
        item.save(update_fields=["read_at"])
    return redirect("web:inbox")


@login_required
@require_http_methods(["POST"])
def mark_all_read(request: HttpRequest) -> HttpResponse:
    InboxItem.objects.filter(user=request.user, read_at=None).update(
        read_at=timezone.now()
    )
    return redirect("web:inbox")


def unread(request: HttpRequest) -> dict[str, int]:
    """For every page: how many inbox items the signed-in user has not read."""
    if not request.user.is_authenticated:
        return {}
    return {"unread": InboxItem.objects.filter(user=request.user, read_at=None).count()}
