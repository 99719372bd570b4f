"""The supervisor's import (upload, preview, confirm) and export pages.

Both are limited to the supervisor's prefecture: rows of another prefecture are
errors, and the export holds only the prefecture's cases. An upload waits for
confirmation in a staging folder (see `uploads`), tied to the user who
uploaded it; it is never logged and is deleted once imported, refused or
cancelled, or after an hour.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.core import stepup
from tsunagu.core.access import AuthedRequest
from tsunagu.core.models import Region
from tsunagu.interchange import signals, uploads
from tsunagu.interchange.downloads import package_download
from tsunagu.interchange.exporter import export
from tsunagu.interchange.forms import ConfirmForm, ExportForm, UploadForm
from tsunagu.interchange.importer import Importer, ImportSummary
from tsunagu.interchange.importer.base import OUTSIDE_SCOPE

ERRORS_SHOWN = 500


def _prefecture(request: AuthedRequest) -> Region:
    """The supervisor's prefecture; anyone else gets 404 (the pages do not exist for them)."""
    user = request.user
    prefecture = user.prefecture if user.is_supervisor else None
    if prefecture is None:
        raise Http404
    return prefecture


def _run(
    request: AuthedRequest,
    folder: Path,
    prefecture: Region,
    *,
    dry_run: bool,
    create_stations: bool,
) -> ImportSummary:
    cases, events, files = uploads.tables(folder)
    own_only = bool(uploads.owner(folder).get("own_only"))
    importer = Importer(
        cases,
        events,
        assessments=uploads.assessments_table(folder),
        files=files,
        actor=request.user,
        scope={prefecture.code},
        own_only=own_only,
        create_stations=create_stations,
    )
    return importer.run(dry_run=dry_run)


def _preview(
    request: AuthedRequest, summary: ImportSummary, token: str | None, prefecture: Region
) -> HttpResponse:
    outside = summary.error_kinds.get(OUTSIDE_SCOPE, 0)
    return render(
        request,
        "interchange/preview.html",
        {
            "summary": summary,
            "problems": summary.problems(),
            "errors": summary.errors[:ERRORS_SHOWN],
            "errors_hidden": max(0, summary.error_count - ERRORS_SHOWN),
            "outside": outside,
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
        uploads.purge()
        data = form.cleaned_data
        token, folder = uploads.stage(
            request.user.pk,
            workbook=data.get("workbook"),
            cases=data.get("cases_file"),
            events=data.get("events_file"),
            assessments=data.get("assessments_file"),
            encoding=data.get("encoding") or "",
            own_only=bool(data.get("own_only")),
        )
        try:
            # The preview lists unknown stations; creating them is chosen on confirm.
            summary = _run(request, folder, prefecture, dry_run=True, create_stations=True)
        except uploads.READ_ERRORS as exc:
            uploads.discard(folder)
            form.add_error(None, uploads.read_error_message(exc))
        except BaseException:
            uploads.discard(folder)
            raise
        else:
            if not summary.ok:
                uploads.discard(folder)
            return _preview(request, summary, token if summary.ok else None, prefecture)
    return render(request, "interchange/import.html", {"form": form, "prefecture": prefecture})


@require_POST
def import_confirm(request: AuthedRequest) -> HttpResponse:
    """Import a previewed upload for real (all or nothing), then forget the files.

    Cancelling forgets the files too."""
    prefecture = _prefecture(request)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        raise Http404
    folder = uploads.folder_of(request.user.pk, form.cleaned_data["token"])
    if folder is None:
        raise Http404
    if "cancel" in request.POST:
        uploads.discard(folder)
        messages.info(request, _("The upload was cancelled and its files deleted."))
        return redirect("interchange:import")
    try:
        summary = _run(
            request,
            folder,
            prefecture,
            dry_run=False,
            create_stations=form.cleaned_data["create_stations"],
        )
    except uploads.READ_ERRORS as exc:
        signals.import_failed.send(sender=None, actor=request.user)
        messages.error(request, uploads.read_error_message(exc))
        return redirect("interchange:import")
    finally:
        uploads.discard(folder)
    if not summary.ok:
        signals.import_failed.send(sender=None, actor=request.user)
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
        with tempfile.TemporaryDirectory(dir=uploads.root()) as tmp:
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
