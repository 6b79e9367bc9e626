"""Settings, for admins: one page that leads to each part of the configuration,
and the pages for API tokens and data sources (each key shown once, then only
its first characters)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from scorecards.api.tokens import TokenError, create_token, list_tokens, revoke_token
from scorecards.people.access import admin_page
from scorecards.sources.models import Source, SourceKind
from scorecards.sources.registry import SourceError, create_source, revoke_source


@admin_page
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "web/settings.html")


@admin_page
@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    secret = None
    if request.method == "POST":
        now = timezone.now()
        try:
            if "revoke" in request.POST:
                revoke_token(name=request.POST["revoke"], now=now)
                messages.success(request, f"Token {request.POST['revoke']} revoked.")
                return redirect("web:tokens")
            token, secret = create_token(name=request.POST.get("name", ""), now=now)
        except TokenError as error:
            messages.error(request, f"name: {error}")
            return redirect("web:tokens")
        messages.success(request, f"Token {token.name} created.")
    # The secret is in this one answer only, never stored: the page is not
    # redirected after creating, and says so.
    return render(
        request, "web/tokens.html", {"tokens": list_tokens(), "secret": secret}
    )


@admin_page
@never_cache
@require_http_methods(["GET", "POST"])
def sources(request: HttpRequest) -> HttpResponse:
    key = None
    if request.method == "POST":
        now = timezone.now()
        try:
            if "revoke" in request.POST:
                revoke_source(name=request.POST["revoke"], now=now)
                messages.success(request, f"Source {request.POST['revoke']} revoked.")
                return redirect("web:sources")
            source, key = create_source(
                kind=request.POST.get("kind", ""),
                name=request.POST.get("name", ""),
                now=now,
            )
        except SourceError as error:
            messages.error(request, str(error))
            return redirect("web:sources")
        messages.success(request, f"Source {source.name} created.")
    rows = [(source, source.syncs.first()) for source in Source.objects.all()]
    return render(
        request,
        "web/sources.html",
        {"rows": rows, "key": key, "kinds": SourceKind.choices},
    )
