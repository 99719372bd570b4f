"""Packaging an export for download (page and API): one .xlsx, or the CSVs in a .zip."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from django.http import HttpResponse
from django.utils import timezone

from tsunagu.core.models import Region, User
from tsunagu.interchange import uploads
from tsunagu.interchange.exporter import export


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


def export_response(
    user: User,
    prefecture: Region,
    file_format: str,
    *,
    include_personal: bool = False,
    reason: str = "",
) -> HttpResponse:
    """The prefecture's export as a download (the page's and the API's), audited by
    `exporter.export`. Personal columns only after the caller's step-up checks."""
    name = f"tsunagu-{prefecture.code}-{timezone.localdate():%Y%m%d}"
    with tempfile.TemporaryDirectory(dir=uploads.root()) as tmp:
        target = Path(tmp) / (f"{name}.xlsx" if file_format == "xlsx" else name)
        summary = export(
            target,
            user=user,
            file_format=file_format,
            include_personal=include_personal,
            reason=reason,
        )
        payload, filename, content_type = package_download(summary.files, name, file_format)
    response = HttpResponse(payload, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
