"""`tsunagu backup DEST`: an archive of the whole database in the new folder DEST.

Runs while the application keeps writing (SQLite online backup API, or
pg_dump of one snapshot). Keys are not included: escrow them apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database into a new folder, with a manifest (no keys)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", help="a new or empty folder")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(Path(options["dest"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["row_counts"].values())
        for name, info in manifest["files"].items():
            self.stdout.write(f"{name}: {info['bytes']} bytes, sha256 {info['sha256']}")
        self.stdout.write(
            f"backup of {manifest['engine']} ({len(manifest['migrations'])} migrations, "
            f"{len(manifest['row_counts'])} tables, {rows} rows, audit chain head "
            f"{manifest['audit_chain_head'] or '-'}) in {manifest['seconds']} s: {options['dest']}"
        )
