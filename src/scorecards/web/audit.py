"""The audit log for admins: browse, filter, export. Nothing here changes an
entry; exporting the log is itself recorded."""

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from scorecards.audit.browse import Filters, actions, csv_lines, entries, who
from scorecards.audit.log import record
from scorecards.people.access import admin_page

PER_PAGE = 50


class FilterForm(forms.Form):
    action = forms.CharField(required=False, max_length=60)
    actor = forms.CharField(required=False, max_length=200, label="Who")
    target = forms.CharField(
        required=False, max_length=300, help_text="for example account:acme"
    )
    since = forms.DateField(required=False, label="From (UTC day)")
    until = forms.DateField(required=False, label="To (UTC day)")


def _filters(request: HttpRequest) -> tuple[FilterForm, Filters]:
    form = FilterForm(request.GET or None, label_suffix="")
    if not form.is_valid():
        return form, Filters()
    return form, Filters(**form.cleaned_data)


@admin_page
@require_safe
def audit_log(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    page = Paginator(entries(filters), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/audit.html",
        {
            "form": form,
            "page": page,
            "rows": [(entry, who(entry)) for entry in page.object_list],
            "actions": actions(),
            "query": query.urlencode(),
        },
        status=400 if form.errors else 200,
    )


@admin_page
@require_safe
def export(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if form.errors:
        return audit_log(request)
    now = timezone.now()
    record("audit.exported", detail={"filters": request.GET.urlencode()}, at=now)
    response = StreamingHttpResponse(
        csv_lines(entries(filters)), content_type="text/csv; charset=utf-8"
    )
    stamp = now.strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
