"""`tsunagu disable-inactive`: disable accounts unused for TSUNAGU_INACTIVE_DAYS.

Operators schedule it daily (see the README). An account that never signed in
counts from its creation. Disabled accounts keep their data and history; an
administrator's re-enabling needs a supervisor's approval like any change, and
old sessions do not come back.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.core.services import disable_inactive


class Command(BaseCommand):
    help = "Disable accounts unused for TSUNAGU_INACTIVE_DAYS days (default 90)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=None, help="Override TSUNAGU_INACTIVE_DAYS."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else settings.INACTIVE_DAYS
        if days < 1:
            raise CommandError("--days must be at least 1.")
        names = disable_inactive(days=days)
        for name in names:
            self.stdout.write(f"disabled {name}")
        self.stdout.write(f"{len(names)} account(s) disabled after {days} days unused.")
