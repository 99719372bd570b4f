"""Staging of uploaded interchange files (used by the import page and the API).

An upload is saved in its own folder under UPLOAD_DIR (default DATA_DIR/interchange-uploads), named
by a random token and tied to the user who sent it. Uploads hold plaintext
personal data, so the folder is deleted as soon as the import finishes, fails
or is abandoned (a preview never confirmed), and anything older than
`UPLOAD_TTL_SECONDS` is purged when the app starts, before each upload and by
`tsunagu purge_uploads` (to be scheduled by the operator).

No message here names a server path: a file is named by its own name only.
"""

from __future__ import annotations

import csv
import json
import secrets
import shutil
import time
import zlib
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from tsunagu.interchange import format as fmt

UPLOAD_TTL_SECONDS = 3600
XLSX = "workbook.xlsx"
OWNER = "owner.json"


def upload_limit_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_MB", 200)) * 1024 * 1024


def too_large(upload: UploadedFile) -> str | None:
    """The refusal for a file over TSUNAGU_UPLOAD_MAX_MB, or None."""
    if upload.size is not None and upload.size > upload_limit_bytes():
        return _("The file is larger than %(limit)d MB.") % {
            "limit": int(getattr(settings, "UPLOAD_MAX_MB", 200))
        }
    return None


def root() -> Path:
    path = Path(settings.UPLOAD_DIR)  # shared by every app host (TSUNAGU_UPLOAD_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def purge(max_age: int = UPLOAD_TTL_SECONDS) -> int:
    """Delete uploads older than `max_age` seconds; the number deleted."""
    limit = time.time() - max_age
    removed = 0
    for folder in root().iterdir():
        try:
            old = folder.stat().st_mtime < limit
        except OSError:
            continue
        if old:
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
            else:
                folder.unlink(missing_ok=True)
            removed += 1
    return removed


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def save(upload: UploadedFile, target: Path) -> None:
    with target.open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)


def stage(
    user_id: int,
    *,
    workbook: UploadedFile | None = None,
    cases: UploadedFile | None = None,
    events: UploadedFile | None = None,
    encoding: str = "",
    own_only: bool = False,
    assessments: UploadedFile | None = None,
) -> tuple[str, Path]:
    """Save an upload in a new folder; its token and folder."""
    token = secrets.token_hex(16)
    folder = root() / token
    folder.mkdir(mode=0o700)
    try:
        if workbook is not None:
            save(workbook, folder / XLSX)
        else:
            assert cases is not None and events is not None
            save(cases, folder / fmt.CASES_FILE)
            save(events, folder / fmt.EVENTS_FILE)
            if assessments is not None:
                save(assessments, folder / fmt.ASSESSMENTS_FILE)
        (folder / OWNER).write_text(
            json.dumps({"user": user_id, "encoding": encoding, "own_only": own_only}),
            encoding="utf-8",
        )
    except BaseException:
        discard(folder)
        raise
    return token, folder


def folder_of(user_id: int, token: str) -> Path | None:
    """The staged folder of this user's upload, or None (another's, or gone)."""
    folder = root() / token
    try:
        owner = json.loads((folder / OWNER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if owner.get("user") != user_id:
        return None
    return folder


def owner(folder: Path) -> dict[str, Any]:
    """What was recorded with the upload (user, encoding, options)."""
    data: dict[str, Any] = json.loads((folder / OWNER).read_text(encoding="utf-8"))
    return data


def tables(folder: Path) -> tuple[fmt.Table, fmt.Table, list[Path]]:
    """The staged upload's tables (may raise any of READ_ERRORS)."""
    encoding = owner(folder).get("encoding") or None
    if (folder / XLSX).exists():
        return (
            fmt.Table(fmt.CASES_SHEET, folder / XLSX, sheet=fmt.CASES_SHEET),
            fmt.Table(fmt.EVENTS_SHEET, folder / XLSX, sheet=fmt.EVENTS_SHEET),
            [folder / XLSX],
        )
    return fmt.open_pair(folder / fmt.CASES_FILE, folder / fmt.EVENTS_FILE, encoding)


def assessments_table(folder: Path) -> fmt.Table | None:
    """The staged upload's optional assessments (a CSV, or the workbook's sheet)."""
    encoding = owner(folder).get("encoding") or None
    return fmt.open_assessments(folder / XLSX if (folder / XLSX).exists() else folder, encoding)


# Anything a malformed upload can raise while being read: a form error or a 422, never a 500.
READ_ERRORS: tuple[type[BaseException], ...] = (
    fmt.FormatError,
    UnicodeError,
    LookupError,
    BadZipFile,
    OSError,
    ValueError,
    EOFError,
    zlib.error,
    csv.Error,
    SyntaxError,  # xml.etree's ParseError
)


def read_error_message(exc: BaseException) -> str:
    """What to tell the user about an unreadable upload (never a server path)."""
    if isinstance(exc, fmt.FormatError):
        detail = str(exc)
    elif isinstance(exc, UnicodeError):
        detail = _("the text is not in the chosen encoding (UTF-8 or Shift_JIS)")
    elif isinstance(exc, LookupError):
        detail = _("unknown encoding")
    else:
        detail = _("the file is damaged or not in the expected format")
    return _("The files could not be read: %(error)s") % {"error": detail}
