"""`tsunagu retention --dry-run | --apply`: anonymise cases closed long ago (core/retention.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from tsunagu.core import retention


class Command(BaseCommand):
    help = (
        "Clear personal fields and free text of cases closed more than "
        "TSUNAGU_RETENTION_YEARS ago; the coded timeline and every report figure stay."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument("--dry-run", action="store_true", help="count, change nothing")
        mode.add_argument("--apply", action="store_true", help="anonymise (audited)")

    def handle(self, *args: Any, **options: Any) -> None:
        limit = retention.cutoff()
        self.stdout.write(
            f"Retention: {settings.RETENTION_YEARS} years; cases closed before {limit}.\n"
        )
        if options["dry_run"]:
            counts = retention.plan(limit)
            for code, n in counts.items():
                self.stdout.write(f"  prefecture {code}: {n} cases would be anonymised\n")
            self.stdout.write(f"Dry run: {sum(counts.values())} cases, nothing changed.\n")
            return
        done = retention.apply(limit)
        self.stdout.write(f"Anonymised {done} cases.\n")
