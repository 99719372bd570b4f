from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import AppConfig


def _private_sqlite_files(sender: Any, connection: Any, **kwargs: Any) -> None:
    """The SQLite database and its WAL files are readable by their owner only (0600)."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for suffix in ("", "-wal", "-shm"):
        path = Path(name + suffix)
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(0o600)


class CoreConfig(AppConfig):
    name = "tsunagu.core"
    label = "core"
    verbose_name = "Tsunagu core"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.backends.signals import connection_created

        from tsunagu.core import checks  # noqa: F401  (registers the system checks)

        data = Path(settings.DATA_DIR)
        if data.exists() and data.stat().st_mode & 0o077:
            data.chmod(0o700)
        connection_created.connect(_private_sqlite_files, dispatch_uid="tsunagu-private-sqlite")
