"""`tsunagu audit verify`: recompute the audit chain; `tsunagu audit head`: print its head.

`verify` exits 0 and says "audit log intact" when every event follows its
predecessor under the audit key and the chain ends where the head file says;
otherwise it names the first bad event and exits 1. Run it on a schedule.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.core import audit


class Command(BaseCommand):
    help = "Verify the audit log's hash chain (verify) or print its head (head)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "head"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "head":
            self.stdout.write(json.dumps(audit.chain_head()) + "\n")
            return
        problem = audit.verify()
        if problem is not None:
            raise CommandError(f"audit log tampered: first bad place is {problem}")
        head = audit.chain_head()
        self.stdout.write(f"audit log intact: {head['seq']} events chained.\n")
