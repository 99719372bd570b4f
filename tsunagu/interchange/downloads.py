"""Packaging an export for download (page and API): one .xlsx, or the CSVs in a .zip."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path


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
