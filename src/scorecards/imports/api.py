"""``POST /{kind}/import``: a CSV file as the request body, imported in the background.

The body streams to the data folder (any size: it is never held in memory),
and the import is queued for a worker; the answer, 202, says where to follow
it. The run's report, once done, lists every problem by line and column.
"""

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from pydantic import BaseModel, Field

from scorecards.api.errors import InvalidInput
from scorecards.api.models import ApiToken
from scorecards.imports.models import ImportRun
from scorecards.imports.runs import queue_upload, rejects_download
from scorecards.imports.service import Options
from scorecards.lib.csvtable import parse_mapping

router = Router(tags=["imports"])

Kind = Literal["signals", "accounts", "contacts", "outcomes"]


class ImportParams(BaseModel):
    source: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        default="csv", description="the source of signals whose row names none"
    )
    map: list[str] = Field(
        default_factory=list,
        description="COLUMN=HEADER: read COLUMN from the file's HEADER; repeat",
    )
    dry_run: bool = Field(default=False, description="check only; write nothing")
    skip_bad: bool = Field(
        default=False, description="import the good rows; keep the bad ones aside"
    )


class ImportOut(BaseModel):
    id: int
    kind: str
    file_name: str
    status: str = Field(description="queued, running, done, refused or failed")
    source: str
    dry_run: bool
    skip_bad: bool
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    report: dict[str, Any] = Field(
        description="rows, bad, created, updated, duplicates, rescored, and the "
        "first 100 problems with their line and column"
    )
    error: str
    rejects: str | None = Field(description="where to download the rejected rows")


def import_out(run: ImportRun) -> ImportOut:
    rejects = None
    if run.rejects_file and Path(run.rejects_file).exists():
        rejects = f"/api/v1/imports/{run.pk}/rejects"
    return ImportOut(
        id=run.pk,
        kind=run.kind,
        file_name=run.file_name,
        status=run.status,
        source=run.source,
        dry_run=run.dry_run,
        skip_bad=run.skip_bad,
        requested_by=run.requested_by,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        report=run.report,
        error=run.error,
        rejects=rejects,
    )


@router.post(
    "/{kind}/import",
    response={202: ImportOut},
    summary="Import a CSV file",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def post_import(
    request: HttpRequest, kind: Kind, params: Query[ImportParams]
) -> Status[ImportOut]:
    """The body is the file, as it is (``Content-Type: text/csv``), of any size.
    Its header row is matched without regard to case. The import runs in the
    background: follow it at ``GET /imports/{id}``."""
    try:
        mapping = parse_mapping(params.map)
    except ValueError as error:
        raise InvalidInput("map", str(error)) from None
    options = Options(
        source=params.source.strip(),
        mapping=mapping,
        dry_run=params.dry_run,
        skip_bad=params.skip_bad,
    )
    name = request.headers.get("X-File-Name", "") or f"{kind}.csv"
    run = queue_upload(
        kind,
        request,  # read as a stream, straight to disk
        name,
        options,
        requested_by=_caller(request),
        now=timezone.now(),
    )
    return Status(202, import_out(run))


def _caller(request: HttpRequest) -> str:
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        return f"token {token.name}"
    return "unknown"


@router.get("/imports", response=list[ImportOut], summary="Recent imports")
def list_imports(
    request: HttpRequest, limit: Annotated[int, Field(ge=1, le=200)] = 50
) -> list[ImportOut]:
    return [import_out(run) for run in ImportRun.objects.all()[:limit]]


@router.get("/imports/{run_id}", response=ImportOut, summary="One import")
def get_import(request: HttpRequest, run_id: int) -> ImportOut:
    return import_out(_run_or_404(run_id))


@router.get(
    "/imports/{run_id}/rejects",
    summary="The rows an import rejected",
    response={200: None},
)
def get_rejects(request: HttpRequest, run_id: int) -> FileResponse:
    """The file's header and its rejected rows, as they were: fix and send again."""
    return rejects_download(_run_or_404(run_id))


def _run_or_404(run_id: int) -> ImportRun:
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None:
        raise Http404(f"no import {run_id}")
    return run
