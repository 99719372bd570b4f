"""`tsunagu export PATH`: write cases and timelines in the interchange format.

An operator tool with national scope (every prefecture unless narrowed with
--prefecture); personal columns only with --include-personal. Audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.core.models import Region
from tsunagu.interchange.exporter import export


class Command(BaseCommand):
    help = (
        "Export to a folder (cases.csv, events.csv; UTF-8 with BOM) or an .xlsx file. "
        "National scope; personal columns only with --include-personal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=("csv", "xlsx"), default=None)
        parser.add_argument(
            "--prefecture", action="append", default=[], help="JIS code; may be repeated"
        )
        parser.add_argument("--include-personal", action="store_true")
        parser.add_argument("--reason", default="", help="why (written to the audit log)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        file_format = options["format"] or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
        codes = [c.zfill(2) for c in options["prefecture"]]
        known = set(Region.objects.filter(kind="prefecture").values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise CommandError(f"unknown prefecture code(s): {', '.join(unknown)}")
        summary = export(
            path,
            file_format=file_format,
            prefectures=codes,
            include_personal=options["include_personal"],
            reason=options["reason"],
        )
        self.stdout.write(
            f"{summary.cases} cases, {summary.events} events written to "
            + ", ".join(str(f) for f in summary.files)
        )
        if summary.unreadable:
            self.stderr.write(
                f"{summary.unreadable} personal values could not be decrypted with the "
                "configured keys and were written empty."
            )
