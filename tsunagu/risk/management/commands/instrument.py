"""`tsunagu instrument load PATH [--prefecture CODE]`: load a risk instrument file
(JSON or YAML), national or for one prefecture's police."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.core.models import Region
from tsunagu.risk.instruments import InstrumentError, load_file


class Command(BaseCommand):
    help = "Load a risk instrument file (docs/risk.md). Versions are immutable."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["load"])
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--prefecture",
            default="",
            help="the prefecture code (e.g. 13) whose police use it; national without it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        prefecture = None
        if options["prefecture"]:
            prefecture = Region.objects.filter(
                kind=Region.Kind.PREFECTURE, code=options["prefecture"]
            ).first()
            if prefecture is None:
                raise CommandError(f"--prefecture: no prefecture {options['prefecture']!r}")
        try:
            instrument, created = load_file(path, prefecture=prefecture)
        except InstrumentError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        state = "loaded" if created else "already loaded (same content)"
        where = prefecture.code if prefecture is not None else "national"
        self.stdout.write(f"{instrument.name} {instrument.version} ({where}): {state}")
