"""`tsunagu demo`: load the demo users and data of every app (demo mode only)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# Each app that has demo data has a `demo.py` with `load(stdout) -> None`, run in this order.
LOADERS = [
    "tsunagu.core.demo",
    "tsunagu.notifications.demo",  # before the data: its writes then notify by email too
    "tsunagu.treatment.demo",
    "tsunagu.cases.demo",
    "tsunagu.risk.demo",
    "tsunagu.interchange.demo",
]


class Command(BaseCommand):
    help = "Load demo users and demo data (needs TSUNAGU_DEMO=1). Safe to run twice."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("Demo data loads only with TSUNAGU_DEMO=1 (never in production).")
        for name in LOADERS:
            try:
                module = import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name == name:
                    continue
                raise
            module.load(self.stdout)
