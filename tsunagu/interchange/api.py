"""JSON API of the interchange app, mounted at /api/v1/interchange.

The same as the supervisor's pages, for a prefecture's own scripts: check a
file set (a dry run), import it, download the export. Supervisors only, their
prefecture only (anyone else: 404). Bad input answers 422 with the field named
in `loc`; bad rows answer 422 with the first 1,000 row errors and their count.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from ninja import File, Form, Router, Schema
from ninja.errors import ValidationError
from ninja.files import UploadedFile

from tsunagu.core.api import auth_for, errors, responses, supervisor
from tsunagu.core.models import Region, User
from tsunagu.interchange import uploads
from tsunagu.interchange.downloads import package_download
from tsunagu.interchange.exporter import export
from tsunagu.interchange.importer import Importer, ImportSummary

# What the export answers: a zip of CSV files, or one workbook.
EXPORT_MEDIA = {
    "application/zip": {"schema": {"type": "string", "format": "binary"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}
    },
}

router = Router(tags=["interchange"], auth=auth_for(supervisor))


class RowErrorOut(Schema):
    file: str
    line: int
    column: str
    reason: str


class ProblemOut(Schema):
    reason: str
    count: int


class SummaryOut(Schema):
    ok: bool
    dry_run: bool
    error_count: int
    rows_skipped: int
    problems: list[ProblemOut]
    cases_created: int
    cases_unchanged: int
    people_created: int
    events_created: int
    events_unchanged: int
    assessments_created: int
    assessments_unchanged: int
    stations_created: list[str]
    unknown_clinics: list[str]
    errors: list[RowErrorOut]


def _supervisor(request: HttpRequest) -> tuple[User, Region]:
    user: Any = request.user
    prefecture = user.prefecture if getattr(user, "is_supervisor", False) else None
    if prefecture is None:
        raise Http404
    return user, prefecture


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError([{"loc": ["body", field], "msg": message, "type": "value_error"}])


def _out(summary: ImportSummary) -> dict[str, Any]:
    return {
        "ok": summary.ok,
        "dry_run": summary.dry_run,
        "error_count": summary.error_count,
        "rows_skipped": summary.rows_skipped,
        "problems": [
            {"reason": first.message, "count": count} for first, count, _ in summary.problems()
        ],
        **summary.counts(),
        "stations_created": summary.stations_created,
        "unknown_clinics": summary.unknown_clinics,
        "errors": [
            {"file": e.file, "line": e.line, "column": e.column, "reason": e.message}
            for e in summary.errors
        ],
    }


def _run(
    request: HttpRequest,
    cases: UploadedFile | None,
    events: UploadedFile | None,
    workbook: UploadedFile | None,
    *,
    dry_run: bool,
    create_stations: bool,
    own_only: bool,
    assessments: UploadedFile | None = None,
) -> ImportSummary:
    user, prefecture = _supervisor(request)
    if workbook is None and (cases is None or events is None):
        raise _invalid(
            "cases" if cases is None else "events", "Give cases and events, or workbook."
        )
    if workbook is not None and assessments is not None:
        raise _invalid("assessments", "Give assessments with the CSV files, not a workbook.")
    for name, upload in (
        ("cases", cases),
        ("events", events),
        ("assessments", assessments),
        ("workbook", workbook),
    ):
        refusal = uploads.too_large(upload) if upload is not None else None
        if refusal:
            raise _invalid(name, refusal)
    uploads.purge()
    _, folder = uploads.stage(
        user.pk,
        workbook=workbook,
        cases=None if workbook is not None else cases,
        events=None if workbook is not None else events,
        assessments=assessments,
    )
    try:
        tables = uploads.tables(folder)
        importer = Importer(
            tables[0],
            tables[1],
            assessments=uploads.assessments_table(folder),
            files=tables[2],
            actor=user,
            scope={prefecture.code},
            own_only=own_only,
            create_stations=create_stations,
        )
        return importer.run(dry_run=dry_run)
    except uploads.READ_ERRORS as exc:
        raise _invalid(
            "workbook" if workbook is not None else "cases", uploads.read_error_message(exc)
        ) from exc
    finally:
        uploads.discard(folder)


@router.post("/check", response=responses(SummaryOut))
def interchange_check(
    request: HttpRequest,
    cases: UploadedFile | None = File(None),  # noqa: B008 (ninja's way to declare a file)
    events: UploadedFile | None = File(None),  # noqa: B008
    workbook: UploadedFile | None = File(None),  # noqa: B008
    create_stations: bool = Form(False),  # noqa: B008
    own_only: bool = Form(False),  # noqa: B008
    assessments: UploadedFile | None = File(None),  # noqa: B008
) -> dict[str, Any]:
    """A dry run: what the files would create, and the bad rows. Writes nothing.

    An unknown police station is a bad row unless `create_stations` is true;
    with `own_only`, rows of other prefectures are skipped instead of refused."""
    return _out(
        _run(
            request,
            cases,
            events,
            workbook,
            dry_run=True,
            create_stations=create_stations,
            own_only=own_only,
            assessments=assessments,
        )
    )


@router.post("/import", response=responses(SummaryOut, 200, 409))
def interchange_import(
    request: HttpRequest,
    cases: UploadedFile | None = File(None),  # noqa: B008
    events: UploadedFile | None = File(None),  # noqa: B008
    workbook: UploadedFile | None = File(None),  # noqa: B008
    create_stations: bool = Form(False),  # noqa: B008
    own_only: bool = Form(False),  # noqa: B008
    assessments: UploadedFile | None = File(None),  # noqa: B008
) -> dict[str, Any]:
    """Import the files into the supervisor's prefecture: all or nothing, audited."""
    summary = _run(
        request,
        cases,
        events,
        workbook,
        dry_run=False,
        create_stations=create_stations,
        own_only=own_only,
        assessments=assessments,
    )
    if not summary.ok:
        # Nothing was written: the bad rows (the first 1,000), each named by file,
        # line and column, in the one error shape.
        raise ValidationError(
            [
                {
                    "loc": ["body", e.file, e.line, e.column],
                    "msg": e.message,
                    "type": "row_error",
                }
                for e in summary.errors
            ]
            or [
                {
                    "loc": ["body"],
                    "msg": gettext("The files were not imported."),
                    "type": "value_error",
                }
            ]
        )
    return _out(summary)


@router.get(
    "/export",
    response=errors(),
    openapi_extra={"responses": {200: {"description": "The export", "content": EXPORT_MEDIA}}},
)
def interchange_export(request: HttpRequest, format: str = "csv") -> HttpResponse:  # noqa: A002
    """The prefecture's cases in the interchange format, without personal columns."""
    user, prefecture = _supervisor(request)
    if format not in ("csv", "xlsx"):
        raise ValidationError(
            [
                {
                    "loc": ["query", "format"],
                    "msg": gettext("Use csv or xlsx."),
                    "type": "value_error",
                }
            ]
        )
    name = f"tsunagu-{prefecture.code}-{timezone.localdate():%Y%m%d}"
    with tempfile.TemporaryDirectory(dir=uploads.root()) as tmp:
        target = Path(tmp) / (f"{name}.xlsx" if format == "xlsx" else name)
        summary = export(target, user=user, file_format=format)
        payload, filename, content_type = package_download(summary.files, name, format)
    response = HttpResponse(payload, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
