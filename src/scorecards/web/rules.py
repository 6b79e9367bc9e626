"""Alert rules and playbooks in the web app, for admins: listed with what they
do, and edited as YAML checked by the same schema as the API, each problem
shown under the field it names.
"""

from typing import Any

import yaml
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from pydantic import BaseModel, ValidationError

from scorecards.alerts.api import (
    Name,
    PlaybookIn,
    RuleIn,
    playbook_out,
    remove_rule,
    rule_out,
    save_playbook,
    save_rule,
)
from scorecards.alerts.machine import AlertState
from scorecards.alerts.models import AlertRule, Playbook
from scorecards.alerts.plans import playbook_outcomes
from scorecards.api.errors import InvalidInput, describe
from scorecards.people.access import admin_page

RULE_EXAMPLE = """\
# Fires when the score stays below 40 for two hours; clears above 55.
condition: {kind: threshold, trigger: 40, clear: 55}
scope: {segments: [enterprise], min_arr: 50000}
dwell: 2h
cooldown: 1d
repeat: 1w
notify:
  - {kind: inbox, to: [csm, manager]}
  - {kind: email, to: [csm]}
playbook: win-back
enabled: true
"""
PLAYBOOK_EXAMPLE = """\
description: For an account sliding toward churn.
steps:
  - {title: Call the executive sponsor, assignee: csm, due_days: 2}
  - {title: Review open escalations with support, assignee: csm, due_days: 5}
  - {title: Executive review, assignee: manager, due_days: 10}
"""


@admin_page
@require_http_methods(["GET"])
def rules(request: HttpRequest) -> HttpResponse:
    firing = Count("alerts", filter=Q(alerts__state=AlertState.FIRING))
    outcomes = playbook_outcomes()
    return render(
        request,
        "web/rules.html",
        {
            "rules": AlertRule.objects.select_related("playbook")
            .annotate(firing=firing)
            .order_by("name"),
            "playbooks": [
                playbook_out(playbook, outcomes) for playbook in Playbook.objects.all()
            ],
        },
    )


@admin_page
@require_http_methods(["GET", "POST"])
def edit_rule(request: HttpRequest, name: str = "") -> HttpResponse:
    rule = get_object_or_404(AlertRule, name=name) if name else None
    text = (
        _as_yaml(rule_out(rule), exclude={"name", "created_at", "updated_at"})
        if rule
        else RULE_EXAMPLE
    )
    return _edit(
        request,
        kind="rule",
        name=name,
        text=text,
        schema=RuleIn,
        save=save_rule,
    )


@admin_page
@require_http_methods(["GET", "POST"])
def edit_playbook(request: HttpRequest, name: str = "") -> HttpResponse:
    playbook = get_object_or_404(Playbook, name=name) if name else None
    text = (
        _as_yaml(playbook_out(playbook, {}), exclude={"name", "outcomes"})
        if playbook
        else PLAYBOOK_EXAMPLE
    )
    return _edit(
        request,
        kind="playbook",
        name=name,
        text=text,
        schema=PlaybookIn,
        save=save_playbook,
    )


def _edit(
    request: HttpRequest,
    *,
    kind: str,
    name: str,
    text: str,
    schema: type[BaseModel],
    save: Any,
) -> HttpResponse:
    errors: list[tuple[str, str]] = []
    new = not name
    if request.method == "POST":
        name = name or request.POST.get("name", "").strip()
        text = request.POST.get("definition", "")
        errors = _name_errors(name)
        body = None
        if not errors:
            body, errors = _read(text, schema)
        if body is not None:
            try:
                _, created = save(name, body, now=timezone.now())
            except InvalidInput as error:
                errors = [(error.field, error.message)]
            else:
                done = "created" if created else "saved"
                messages.success(request, f"The {kind} {name} is {done}.")
                return redirect("web:rules")
    context = {
        "kind": kind,
        "name": name,
        "new": new,
        "text": text,
        "errors": errors,
    }
    return render(request, "web/rule_edit.html", context, status=422 if errors else 200)


def _name_errors(name: str) -> list[tuple[str, str]]:
    try:
        _NameCheck(name=name)
    except ValidationError as error:
        return [("name", describe(problem)) for problem in error.errors()]
    return []


class _NameCheck(BaseModel):
    name: Name


def _read(
    text: str, schema: type[BaseModel]
) -> tuple[BaseModel | None, list[tuple[str, str]]]:
    """The text as ``schema``, or why not: each problem with where it is."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "the text"
        problem = getattr(error, "problem", None) or "is not valid YAML"
        return None, [(where, str(problem))]
    if not isinstance(data, dict):
        return None, [("the text", "must be a mapping of fields, as in the example")]
    try:
        return schema.model_validate(data), []
    except ValidationError as error:
        return None, [
            (".".join(str(part) for part in problem["loc"]) or "the text",
             describe(problem))
            for problem in error.errors()
        ]  # fmt: skip


def _as_yaml(model: BaseModel, *, exclude: set[str]) -> str:
    data = model.model_dump(mode="json", exclude=exclude, exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@admin_page
@require_http_methods(["POST"])
def delete_rule(request: HttpRequest, name: str) -> HttpResponse:
    remove_rule(get_object_or_404(AlertRule, name=name))
    messages.success(request, f"The rule {name} and its alerts are deleted.")
    return redirect("web:rules")
