"""Users, roles and teams, for admins: who may change what (see docs/web.md)."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from scorecards.audit.log import record
from scorecards.people.access import admin_page, role_of
from scorecards.people.models import Role, Team
from scorecards.people.service import (
    described,
    join_teams,
    manage_teams,
    record_created,
    set_role,
)


class PersonForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150)
    email = forms.EmailField(label="Email", required=False)
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.CSM)
    teams = forms.CharField(
        label="Teams",
        required=False,
        help_text="Comma-separated; a team that does not exist yet is created.",
    )
    password = forms.CharField(
        label="Password",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to set one later.",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)
    teams = forms.CharField(label="Teams", required=False)
    manages = forms.CharField(label="Manages", required=False)


@admin_page
@require_http_methods(["GET", "POST"])
def people(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _create(request, form):
        return redirect("web:people")
    users = (
        get_user_model()
        .objects.order_by("username")
        .prefetch_related("teams", "managed_teams")
    )
    rows = [(user, role_of(user)) for user in users]
    return render(
        request,
        "web/people.html",
        {"rows": rows, "form": form, "role_choices": Role.choices},
        status=400 if form.errors else 200,
    )


def _create(request: HttpRequest, form: PersonForm) -> bool:
    data = form.cleaned_data
    user_model = get_user_model()
    user = user_model(username=data["username"], email=data["email"])
    if data["password"]:
        try:
            validate_password(data["password"], user)
        except ValidationError as error:
            form.add_error("password", error)
            return False
        user.set_password(data["password"])
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
            set_role(user, data["role"])
            join_teams(user, _names(data["teams"]))
            record_created(user)
    except IntegrityError:
        form.add_error("username", "is taken")
        return False
    messages.success(request, f"User {user.username} added as {data['role']}.")
    return True


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


@admin_page
@require_http_methods(["POST"])
def change(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "role: choose admin, manager, CSM or viewer.")
        return redirect("web:people")
    if user == request.user and form.cleaned_data["role"] != Role.ADMIN:
        messages.error(request, "You cannot take your own admin role away.")
        return redirect("web:people")
    with transaction.atomic():
        before = described(user)
        set_role(user, form.cleaned_data["role"])
        user.teams.clear()
        join_teams(user, _names(form.cleaned_data["teams"]))
        Team.objects.filter(manager=user).update(manager=None)
        manage_teams(user, _names(form.cleaned_data["manages"]))
        after = described(user)
        if (before["teams"], before["manages"]) != (after["teams"], after["manages"]):
            record(
                "user.teams_changed",
                target=f"user:{user.get_username()}",
                before={key: before[key] for key in ("teams", "manages")},
                after={key: after[key] for key in ("teams", "manages")},
            )
    messages.success(request, f"{user.username} is now {form.cleaned_data['role']}.")
    return redirect("web:people")
