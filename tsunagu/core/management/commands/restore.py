"""`tsunagu restore SRC`: restore an archive into the configured, empty database.

Refuses a damaged archive, a schema other than this code's, and a database
that already has tables. Then prints integrity, row counts, the audit chain
and a decryption check with the configured keys; exits 1 if any fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup folder into an empty database, then verify it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", help="a folder written by `tsunagu backup`")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = restore(Path(options["src"]), out=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("restored, but a check failed (see above)")
        self.stdout.write("restore verified")
