"""The supervisor's import (upload, preview, confirm) and export pages.

Both are limited to the supervisor's prefecture: rows of another prefecture are
errors, and the export holds only the prefecture's cases. An upload waits for
confirmation in a folder under DATA_DIR named by a random token, tied to the
user who uploaded it; it is never logged and is deleted once imported or after
a day.
"""

from __future__ import annotations

import io
import json
import secrets
import shutil
import tempfile
import time
import zipfile
from pathlib import Path
from zipfile import BadZipFile

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.core import stepup
from tsunagu.core.access import AuthedRequest
from tsunagu.core.models import Region
from tsunagu.interchange import format as fmt
from tsunagu.interchange.exporter import export
from tsunagu.interchange.forms import ConfirmForm, ExportForm, UploadForm
from tsunagu.interchange.importer import Importer, ImportSummary

UPLOAD_TTL_SECONDS = 24 * 3600
ERRORS_SHOWN = 500
XLSX = "workbook.xlsx"


def _prefecture(request: AuthedRequest) -> Region:
    """The supervisor's prefecture; anyone else gets 404 (the pages do not exist for them)."""
    user = request.user
    prefecture = user.prefecture if user.is_supervisor else None
    if prefecture is None:
        raise Http404
    return prefecture


def _uploads() -> Path:
    path = Path(settings.UPLOAD_DIR)  # shared by every app host (TSUNAGU_UPLOAD_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _purge_old_uploads() -> None:
    limit = time.time() - UPLOAD_TTL_SECONDS
    for folder in _uploads().iterdir():
        if folder.is_dir() and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)


def save_upload(upload: UploadedFile, target: Path) -> None:
    with target.open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)


def _upload_folder(request: AuthedRequest, token: str) -> Path:
    """The folder of an upload of this user (404 for a token of anyone else)."""
    folder = _uploads() / token
    try:
        owner = json.loads((folder / "owner.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    if owner.get("user") != request.user.pk:
        raise Http404
    return folder


def _run(request: AuthedRequest, folder: Path, prefecture: Region, dry_run: bool) -> ImportSummary:
    owner = json.loads((folder / "owner.json").read_text(encoding="utf-8"))
    encoding = owner.get("encoding") or None
    if (folder / XLSX).exists():
        cases = fmt.Table(fmt.CASES_SHEET, folder / XLSX, sheet=fmt.CASES_SHEET)
        events = fmt.Table(fmt.EVENTS_SHEET, folder / XLSX, sheet=fmt.EVENTS_SHEET)
        files = [folder / XLSX]
    else:
        cases, events, files = fmt.open_pair(
            folder / fmt.CASES_FILE, folder / fmt.EVENTS_FILE, encoding
        )
    importer = Importer(cases, events, files=files, actor=request.user, scope={prefecture.code})
    return importer.run(dry_run=dry_run)


# Anything a malformed upload can raise while being read: shown on the form, never a 500.
READ_ERRORS = (fmt.FormatError, UnicodeDecodeError, LookupError, BadZipFile, OSError, ValueError)


def _preview(
    request: AuthedRequest, summary: ImportSummary, token: str | None, prefecture: Region
) -> HttpResponse:
    return render(
        request,
        "interchange/preview.html",
        {
            "summary": summary,
            "errors": summary.errors[:ERRORS_SHOWN],
            "errors_hidden": max(0, len(summary.errors) - ERRORS_SHOWN),
            "confirm": ConfirmForm(initial={"token": token}) if token else None,
            "prefecture": prefecture,
        },
        status=200,
    )


@require_http_methods(["GET", "POST"])
def import_upload(request: AuthedRequest) -> HttpResponse:
    """Upload a file set; answer with the preview (a dry run) of what it would do."""
    prefecture = _prefecture(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        _purge_old_uploads()
        token = secrets.token_hex(16)
        folder = _uploads() / token
        folder.mkdir(mode=0o700)
        data = form.cleaned_data
        if data.get("workbook"):
            save_upload(data["workbook"], folder / XLSX)
        else:
            save_upload(data["cases_file"], folder / fmt.CASES_FILE)
            save_upload(data["events_file"], folder / fmt.EVENTS_FILE)
        (folder / "owner.json").write_text(
            json.dumps({"user": request.user.pk, "encoding": data.get("encoding") or ""}),
            encoding="utf-8",
        )
        try:
            summary = _run(request, folder, prefecture, dry_run=True)
        except READ_ERRORS as exc:
            shutil.rmtree(folder, ignore_errors=True)
            form.add_error(None, _("The files could not be read: %(error)s") % {"error": exc})
        else:
            if not summary.ok:
                shutil.rmtree(folder, ignore_errors=True)
            return _preview(request, summary, token if summary.ok else None, prefecture)
    return render(request, "interchange/import.html", {"form": form, "prefecture": prefecture})


@require_POST
def import_confirm(request: AuthedRequest) -> HttpResponse:
    """Import a previewed upload for real (all or nothing), then forget the files."""
    prefecture = _prefecture(request)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        raise Http404
    folder = _upload_folder(request, form.cleaned_data["token"])
    try:
        summary = _run(request, folder, prefecture, dry_run=False)
    except READ_ERRORS as exc:
        shutil.rmtree(folder, ignore_errors=True)
        messages.error(request, _("The files could not be read: %(error)s") % {"error": exc})
        return redirect("interchange:import")
    shutil.rmtree(folder, ignore_errors=True)
    if not summary.ok:
        return _preview(request, summary, None, prefecture)
    messages.success(
        request,
        _(
            "Imported: %(cases)d cases created, %(unchanged)d unchanged; "
            "%(events)d events created, %(events_unchanged)d unchanged."
        )
        % {
            "cases": summary.cases_created,
            "unchanged": summary.cases_unchanged,
            "events": summary.events_created,
            "events_unchanged": summary.events_unchanged,
        },
    )
    return redirect("interchange:import")


@require_http_methods(["GET", "POST"])
def export_download(request: AuthedRequest) -> HttpResponse:
    """Download the prefecture's cases in the interchange format (audited)."""
    prefecture = _prefecture(request)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and form.cleaned_data["include_personal"]:
        # Step-up (core.stepup): a second factor within 5 minutes and the daily limit.
        blocked = stepup.guard(request, reverse("interchange:export"))
        if blocked:
            return blocked
        over_limit = stepup.limit_error(request.user)
        if over_limit:
            form.add_error(None, over_limit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        reason = data["reason"].strip()
        if data["include_personal"]:
            reason = stepup.reason_text(data["reason_category"], reason)
        stamp = timezone.localdate().strftime("%Y%m%d")
        name = f"tsunagu-{prefecture.code}-{stamp}"
        with tempfile.TemporaryDirectory(dir=_uploads()) as tmp:
            target = Path(tmp) / (f"{name}.xlsx" if data["file_format"] == "xlsx" else name)
            summary = export(
                target,
                user=request.user,
                file_format=data["file_format"],
                include_personal=data["include_personal"],
                reason=reason,
            )
            payload, filename, content_type = package_download(
                summary.files, name, data["file_format"]
            )
        response = HttpResponse(payload, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response
    return render(request, "interchange/export.html", {"form": form, "prefecture": prefecture})


def package_download(files: list[Path], name: str, file_format: str) -> tuple[bytes, str, str]:
    if file_format == "xlsx":
        return (
            files[0].read_bytes(),
            f"{name}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.name)
    return buf.getvalue(), f"{name}.zip", "application/zip"
