"""`/healthz` for load balancers and monitors: no sign-in, no data.

200 `{"status": "ok"}` when the database answers and every migration is applied,
503 `{"status": "unavailable"}` otherwise. Answered before the session, login
and HTTPS-redirect middleware, so a probe over plain HTTP on the private side
of the proxy works and costs one `SELECT 1`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse

PATH = "/healthz"
_migrations_applied = False


def migrations_applied() -> bool:
    """Whether the database has every migration this code knows (cached once true)."""
    global _migrations_applied
    if not _migrations_applied:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        targets = executor.loader.graph.leaf_nodes()
        _migrations_applied = not executor.migration_plan(targets)
    return _migrations_applied


def healthy() -> bool:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return migrations_applied()
    except DatabaseError:
        return False


def healthz() -> HttpResponse:
    if healthy():
        return JsonResponse({"status": "ok"})
    response = JsonResponse({"status": "unavailable"}, status=503)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """First in MIDDLEWARE: answers GET /healthz and nothing else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == PATH and request.method in ("GET", "HEAD"):
            response = healthz()
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
