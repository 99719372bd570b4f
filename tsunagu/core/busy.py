"""A busy database answers 503 "try again", never 500.

The database itself retries a short lock wait: SQLite's busy handler keeps
trying for `TSUNAGU_LOCK_WAIT` seconds, PostgreSQL waits as long under
`lock_timeout`. A write that still cannot get its lock raises an
OperationalError; the transaction has been rolled back, so nothing was saved.
This module recognises that error and turns it into a 503 with `Retry-After`
and a message that says so: a page for the forms (middleware), JSON for the
API (an exception handler registered in tsunagu/api.py).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

# PostgreSQL: lock_not_available (lock_timeout), deadlock_detected, serialization_failure.
BUSY_SQLSTATES = {"55P03", "40P01", "40001"}
BUSY_MESSAGES = ("database is locked", "database table is locked", "lock timeout")


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` means "the database was busy", not a broken query."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in BUSY_SQLSTATES:
        return True
    text = str(exc).lower()
    return any(message in text for message in BUSY_MESSAGES)


def retry_after() -> str:
    return str(settings.BUSY_RETRY_AFTER)


def busy_message() -> str:
    return _(
        "The database is busy with another change (for example an import), so your "
        "request could not be completed in time. Nothing was saved. "
        "Please try again in a few seconds."
    )


def busy_json() -> JsonResponse:
    response = JsonResponse({"detail": busy_message(), "saved": False}, status=503)
    response["Retry-After"] = retry_after()
    return response


def busy_page(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return busy_json()
    body = render_to_string(
        "core/busy.html",
        {"message": busy_message(), "retry_after": retry_after()},
        request=request,
    )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = retry_after()
    return response


class BusyDatabaseMiddleware:
    """Turns a lock timeout raised by a view into a 503 page (or JSON under /api/)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_busy(exception):
            return busy_page(request)
        return None
