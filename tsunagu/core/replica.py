"""Reads for reports, statistics and evaluation from a streaming read replica.

With `TSUNAGU_REPLICA_URL` set, `ReplicaMiddleware` marks GET requests under
`settings.REPLICA_PATHS` (the report, statistics and evaluation pages and
their API); `ReplicaRouter` sends their reads to the "replica" database.
Everything else — every write, every read inside a transaction, and every
page where users must see what they just saved (cases, referrals, imports,
the release log) — uses the primary. A page served from the replica carries
the replica's "as of" time (`pg_last_xact_replay_timestamp()`): on the page
(base.html shows `request.replica_as_of`) and in an `X-Data-As-Of` header.
If the replica does not answer, the request falls back to the primary.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
_reading_replica: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "tsunagu_replica", default=False
)


_read_alias: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tsunagu_read_alias", default=None
)


@contextmanager
def reading_from(alias: str) -> Iterator[None]:
    """Within the block, every ORM read goes to `alias` (backup and restore checks)."""
    token = _read_alias.set(alias)
    try:
        yield
    finally:
        _read_alias.reset(token)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def use_replica() -> Iterator[None]:
    """Within the block, reads outside a transaction go to the replica (if configured)."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


def replica_as_of() -> dt.datetime | None:
    """The commit time of the last transaction the replica has replayed (None: unknown).

    Raises DatabaseError when the replica cannot be reached.
    """
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_last_xact_replay_timestamp()")
        row = cursor.fetchone()
    return row[0] if row else None


class ReplicaRouter:
    """Writes to the primary; reads to the replica only inside `use_replica()`."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        alias = _read_alias.get()
        if alias is not None:
            return alias
        if (
            _reading_replica.get()
            and configured()
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS


class ReplicaMiddleware:
    """Serves report GETs from the replica and says as of when."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not (
            configured()
            and request.method in ("GET", "HEAD")
            and request.path.startswith(tuple(settings.REPLICA_PATHS))
            and not request.path.startswith(tuple(settings.REPLICA_EXCLUDED_PATHS))
        ):
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018 - load session and user from the primary now
        try:
            as_of = replica_as_of()
        except DatabaseError:
            return self.get_response(request)  # the replica is down: the primary answers
        request.replica_as_of = as_of or "?"  # type: ignore[attr-defined]
        with use_replica():
            response = self.get_response(request)
        response["X-Data-As-Of"] = as_of.isoformat() if as_of else "unknown"
        return response
