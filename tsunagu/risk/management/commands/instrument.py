"""`tsunagu instrument load PATH`: load a risk instrument file (JSON or YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.risk.instruments import InstrumentError, load_file


class Command(BaseCommand):
    help = "Load a risk instrument file (docs/risk.md). Versions are immutable."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["load"])
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            instrument, created = load_file(path)
        except InstrumentError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        state = "loaded" if created else "already loaded (same content)"
        self.stdout.write(f"{instrument.name} {instrument.version}: {state}")
