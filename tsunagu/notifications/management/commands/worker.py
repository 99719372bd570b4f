"""`tsunagu worker`: send the outbox's email (at once, and the daily digests)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tsunagu.notifications import mail


class Command(BaseCommand):
    help = "Deliver notification email from the outbox, with retries and backoff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--poll", type=float, default=5.0, help="seconds between passes")
        parser.add_argument(
            "--digests", action="store_true", help="with --once: also send yesterday's digests"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            sent = mail.run_once(limit=1000)
            if options["digests"]:
                sent += mail.send_digests()
            self.stdout.write(f"sent {sent}")
            return
        mail.run_forever(poll_seconds=options["poll"])
