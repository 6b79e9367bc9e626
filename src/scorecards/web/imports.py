"""Importing CSV files from the browser: an upload form and the runs it queued.

For admins only: an import writes into every account.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from scorecards.imports.api import import_out
from scorecards.imports.models import ImportRun, ImportStatus
from scorecards.imports.runs import queue_upload, rejects_download
from scorecards.imports.service import Options
from scorecards.lib.csvtable import parse_mapping
from scorecards.people.access import admin_page

RECENT = 20


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="The file holds",
        choices=[("signals", "Signals"), ("accounts", "Accounts"),
                 ("contacts", "Contacts")],
    )  # fmt: skip
    file = forms.FileField(label="CSV file")
    source = forms.CharField(
        label="Source of signals whose row names none",
        initial="csv",
        max_length=100,
    )
    mapping = forms.CharField(
        label="Columns under other headers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One COLUMN=HEADER a line, e.g. account=ACCOUNT_ID__C.",
    )
    dry_run = forms.BooleanField(
        label="Dry run: check the file and write nothing", required=False
    )
    skip_bad = forms.BooleanField(
        label="Import the good rows and set the bad ones aside", required=False
    )

    def clean_mapping(self) -> dict[str, str]:
        lines = [line for line in self.cleaned_data["mapping"].splitlines() if line]
        try:
            return parse_mapping(lines)
        except ValueError as error:
            raise ValidationError(str(error)) from None


@admin_page
@require_http_methods(["GET", "POST"])
def imports(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        options = Options(
            source=data["source"].strip(),
            mapping=data["mapping"],
            dry_run=data["dry_run"],
            skip_bad=data["skip_bad"],
        )
        upload = data["file"]
        run = queue_upload(
            data["kind"],
            upload,
            upload.name,
            options,
            requested_by=f"user {request.user.get_username()}",
            now=timezone.now(),
        )
        return redirect("web:import", run_id=run.pk)

    runs = [import_out(run) for run in ImportRun.objects.all()[:RECENT]]
    return render(request, "web/imports.html", {"form": form, "runs": runs})


@admin_page
@require_safe
def import_run(request: HttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(ImportRun, pk=run_id)
    waiting = run.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
    context = {"run": import_out(run), "waiting": waiting}
    return render(request, "web/import_run.html", context)


@admin_page
@require_safe
def import_rejects(request: HttpRequest, run_id: int) -> FileResponse:
    return rejects_download(get_object_or_404(ImportRun, pk=run_id))
