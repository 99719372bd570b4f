"""`tsunagu notify-due`: notices of overdue referrals, escalations and due follow-ups.

Run it daily (cron or a systemd timer); a second run writes nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.notifications import due


class Command(BaseCommand):
    help = "Write the notices that come due today (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="the day to run for (YYYY-MM-DD), default today")

    def handle(self, *args: Any, **options: Any) -> None:
        day = None
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("--date: use YYYY-MM-DD") from exc
        counts = due.run(day)
        for kind, n in counts.items():
            self.stdout.write(f"{kind}: {n}")
