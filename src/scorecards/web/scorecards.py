"""Scorecards in the web app: the list, one scorecard with its versions and the
difference between any two, and the editor, where a draft is checked as it is
typed, previewed against today's data, and published by an admin.

A new scorecard starts from a starter file (B2B SaaS, strategic accounts,
onboarding accounts), so a team's first scorecard takes minutes.
"""

import difflib
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from scorecards import engine
from scorecards.people.access import admin_page
from scorecards.scoring.models import AccountScore, Scorecard, ScorecardVersion
from scorecards.scoring.preview import preview
from scorecards.scoring.publish import publish

STARTERS = {
    "b2b_saas": "B2B SaaS default",
    "strategic_accounts": "Strategic accounts",
    "onboarding": "Onboarding accounts",
}


def starter(name: str) -> str:
    folder = resources.files("scorecards.scoring") / "starters"
    return (folder / f"{name}.yaml").read_text(encoding="utf-8")


@login_required
@require_safe
def scorecards(request: HttpRequest) -> HttpResponse:
    governed = dict(
        AccountScore.objects.filter(version__isnull=False)
        .values_list("version__scorecard")
        .annotate(count=Count("pk"))
    )
    cards = Scorecard.objects.select_related("current").annotate(
        versions_count=Count("versions")
    )
    rows = [(card, governed.get(card.pk, 0)) for card in cards.order_by("key")]
    return render(request, "web/scorecards.html", {"rows": rows, "starters": STARTERS})


@login_required
@require_safe
def scorecard(request: HttpRequest, key: str) -> HttpResponse:
    card = get_object_or_404(Scorecard.objects.select_related("current"), key=key)
    versions = list(card.versions.order_by("-number"))
    shown = _version(versions, request.GET.get("version")) or card.current
    diff = None
    if "from" in request.GET and "to" in request.GET:
        older = _version(versions, request.GET["from"])
        newer = _version(versions, request.GET["to"])
        if older and newer:
            diff = (older, newer, diff_lines(older.source, newer.source))
    context = {
        "card": card,
        "versions": versions,
        "shown": shown,
        "diff": diff,
    }
    return render(request, "web/scorecard.html", context)


def _version(versions: list[ScorecardVersion], number: Any) -> ScorecardVersion | None:
    return next((v for v in versions if str(v.number) == str(number)), None)


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str  # "added", "removed", "same", "gap"
    text: str


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """A unified diff, three lines of context, as lines to show."""
    found = []
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3)
    for line in list(lines)[2:]:  # the two file-name lines say nothing here
        if line.startswith("@@"):
            found.append(DiffLine("gap", line))
        elif line.startswith("+"):
            found.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            found.append(DiffLine("removed", line[1:]))
        else:
            found.append(DiffLine("same", line[1:]))
    return found


@admin_page
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, key: str = "") -> HttpResponse:
    card = get_object_or_404(Scorecard, key=key) if key else None
    chosen = request.GET.get("starter", "b2b_saas")
    if card is not None and card.current is not None:
        text, format = card.current.source, card.current.format
    else:
        text, format = starter(chosen if chosen in STARTERS else "b2b_saas"), "yaml"
    context: dict[str, Any] = {"card": card, "starters": STARTERS, "problems": []}

    if request.method == "POST":
        text = request.POST.get("source", "")
        format = "json" if request.POST.get("format") == "json" else "yaml"
        now = timezone.now()
        try:
            problems = _key_problems(text, format, card)
            if problems:
                context["problems"] = problems
            elif request.POST.get("action") == "publish":
                version = publish(
                    source=text,
                    format=format,
                    author=request.user.get_username(),
                    now=now,
                )
                messages.success(
                    request,
                    f"Version {version.number} of {version.scorecard.key} is "
                    "published; every account is scored under it now.",
                )
                return redirect("web:scorecard", key=version.scorecard.key)
            else:
                started = time.perf_counter()
                context["preview"] = preview(text, format=format, now=now)
                context["preview_seconds"] = time.perf_counter() - started
        except engine.ScorecardError as error:
            context["problems"] = [
                (p.path or "the file", p.message) for p in error.problems
            ]

    context.update(text=text, format=format)
    status = 422 if context["problems"] else 200
    return render(request, "web/scorecard_edit.html", context, status=status)


def _key_problems(
    text: str, format: str, card: Scorecard | None
) -> list[tuple[str, str]]:
    """A draft edits the scorecard whose page it is on; a new one needs a key
    of its own. Raises ScorecardError for a draft that does not parse."""
    data = engine.decode_scorecard(text, format=format)  # type: ignore[arg-type]
    built = engine.build_scorecard(data)
    if card is not None and built.key != card.key:
        return [("key", f"is {built.key!r}; this page edits {card.key!r}")]
    if card is None and Scorecard.objects.filter(key=built.key).exists():
        return [("key", f"a scorecard {built.key!r} exists already; edit it instead")]
    return []
