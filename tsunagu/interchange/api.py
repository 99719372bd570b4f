"""JSON API of the interchange app, mounted at /api/v1/interchange.

The same as the supervisor's pages, for a prefecture's own scripts: check a
file set (a dry run), import it, download the export. Supervisors only, their
prefecture only (anyone else: 404). Bad input answers 422 with the field named
in `loc`; bad rows answer 422 with every row error.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import File, Router, Schema
from ninja.errors import ValidationError
from ninja.files import UploadedFile
from ninja.responses import Status

from tsunagu.core.models import Region, User
from tsunagu.interchange import format as fmt
from tsunagu.interchange.exporter import export
from tsunagu.interchange.importer import Importer, ImportSummary
from tsunagu.interchange.views import READ_ERRORS, package_download, save_upload

router = Router(tags=["interchange"])


class RowErrorOut(Schema):
    file: str
    line: int
    column: str
    reason: str


class SummaryOut(Schema):
    ok: bool
    dry_run: bool
    cases_created: int
    cases_unchanged: int
    people_created: int
    events_created: int
    events_unchanged: int
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
    dry_run: bool,
) -> ImportSummary:
    user, prefecture = _supervisor(request)
    if workbook is None and (cases is None or events is None):
        raise _invalid(
            "cases" if cases is None else "events", "Give cases and events, or workbook."
        )
    folder = Path(tempfile.mkdtemp(dir=Path(settings.DATA_DIR)))
    try:
        if workbook is not None:
            target = folder / "workbook.xlsx"
            save_upload(workbook, target)
            tables = (
                fmt.Table(fmt.CASES_SHEET, target, sheet=fmt.CASES_SHEET),
                fmt.Table(fmt.EVENTS_SHEET, target, sheet=fmt.EVENTS_SHEET),
                [target],
            )
        else:
            assert cases is not None and events is not None
            save_upload(cases, folder / fmt.CASES_FILE)
            save_upload(events, folder / fmt.EVENTS_FILE)
            tables = fmt.open_pair(folder / fmt.CASES_FILE, folder / fmt.EVENTS_FILE)
        importer = Importer(
            tables[0], tables[1], files=tables[2], actor=user, scope={prefecture.code}
        )
        return importer.run(dry_run=dry_run)
    except READ_ERRORS as exc:
        raise _invalid("workbook" if workbook is not None else "cases", str(exc)) from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.post("/check", response=SummaryOut)
def interchange_check(
    request: HttpRequest,
    cases: UploadedFile | None = File(None),  # noqa: B008 (ninja's way to declare a file)
    events: UploadedFile | None = File(None),  # noqa: B008
    workbook: UploadedFile | None = File(None),  # noqa: B008
) -> dict[str, Any]:
    """A dry run: what the files would create, and every bad row. Writes nothing."""
    return _out(_run(request, cases, events, workbook, dry_run=True))


@router.post("/import", response={200: SummaryOut, 422: SummaryOut})
def interchange_import(
    request: HttpRequest,
    cases: UploadedFile | None = File(None),  # noqa: B008
    events: UploadedFile | None = File(None),  # noqa: B008
    workbook: UploadedFile | None = File(None),  # noqa: B008
) -> Status[dict[str, Any]]:
    """Import the files into the supervisor's prefecture: all or nothing, audited."""
    summary = _run(request, cases, events, workbook, dry_run=False)
    return Status(200 if summary.ok else 422, _out(summary))


@router.get("/export")
def interchange_export(request: HttpRequest, format: str = "csv") -> HttpResponse:  # noqa: A002
    """The prefecture's cases in the interchange format, without personal columns."""
    user, prefecture = _supervisor(request)
    if format not in ("csv", "xlsx"):
        raise ValidationError(
            [{"loc": ["query", "format"], "msg": "Use csv or xlsx.", "type": "value_error"}]
        )
    name = f"tsunagu-{prefecture.code}-{timezone.localdate():%Y%m%d}"
    with tempfile.TemporaryDirectory(dir=Path(settings.DATA_DIR)) as tmp:
        target = Path(tmp) / (f"{name}.xlsx" if format == "xlsx" else name)
        summary = export(target, user=user, file_format=format)
        payload, filename, content_type = package_download(summary.files, name, format)
    response = HttpResponse(payload, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
