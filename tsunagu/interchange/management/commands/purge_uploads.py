"""`tsunagu purge_uploads`: delete staged import uploads older than an hour.

Uploads hold plaintext personal data. The import deletes its files when it
finishes, fails or is cancelled; this catches previews that were abandoned.
Run it on a schedule (for example every 15 minutes from cron or a systemd timer).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tsunagu.interchange import uploads


class Command(BaseCommand):
    help = "Delete staged import uploads older than an hour (they hold plaintext)."

    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-age",
            type=int,
            default=uploads.UPLOAD_TTL_SECONDS,
            help="age in seconds (default: 3600)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        removed = uploads.purge(options["max_age"])
        self.stdout.write(f"Uploads deleted: {removed}")
