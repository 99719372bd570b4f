"""`tsunagu import PATH [--dry-run]`: bring an interchange file set in (DESIGN §3).

An operator tool with national scope: every prefecture's rows are accepted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.core.models import User
from tsunagu.interchange.format import FormatError
from tsunagu.interchange.importer import import_files


class Command(BaseCommand):
    help = (
        "Import a folder holding cases.csv and events.csv, or one .xlsx with sheets "
        "'cases' and 'events'. All or nothing; every bad row is listed."
    )

    # The system checks load every URL and API module: not needed to import files.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check and count only")
        parser.add_argument("--encoding", help="e.g. cp932 (default: detect UTF-8 or cp932)")
        parser.add_argument("--actor", help="username recorded in the audit log (default: system)")
        parser.add_argument(
            "--create-stations",
            action="store_true",
            help="create the police stations the files name that are not in the directory "
            "(without it, each is a bad row)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["actor"]:
            actor = User.objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"no user named {options['actor']!r}")
        try:
            summary = import_files(
                options["path"],
                actor=actor,
                dry_run=options["dry_run"],
                encoding=options["encoding"],
                create_stations=options["create_stations"],
                progress=sys.stderr.isatty(),
            )
        except (FormatError, LookupError, UnicodeDecodeError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        out = self.stdout
        for error in summary.errors:
            out.write(str(error))
        if summary.errors_hidden:
            out.write(f"... and {summary.errors_hidden} more bad row(s).")
        if summary.error_count:
            for first, count, _ in summary.problems(examples=1):
                out.write(f"{count:>9} x {first.reason}")
            raise CommandError(f"{summary.error_count} bad row(s); nothing was written.")
        verb = "would be" if summary.dry_run else "were"
        out.write(f"Cases created: {summary.cases_created}, unchanged: {summary.cases_unchanged}")
        out.write(
            f"Events created: {summary.events_created}, unchanged: {summary.events_unchanged}"
        )
        out.write(f"People created: {summary.people_created}")
        if summary.assessments_created or summary.assessments_unchanged:
            out.write(
                f"Risk assessments created: {summary.assessments_created}, "
                f"unchanged: {summary.assessments_unchanged}"
            )
        if summary.stations_created:
            out.write(f"Police stations that {verb} created: {', '.join(summary.stations_created)}")
        if summary.unknown_clinics:
            out.write(
                "Clinic codes not in the directory (kept as written): "
                + ", ".join(summary.unknown_clinics)
            )
        if summary.dry_run:
            out.write("Dry run: nothing was written.")
        else:
            out.write(
                f"Write transaction held for {summary.write_seconds:.2f} s "
                f"({summary.write_cpu_seconds:.2f} s CPU) "
                f"({', '.join(f'{k} {v:.2f} s' for k, v in summary.write_steps.items())}); "
                f"ANALYZE {summary.analyze_seconds:.2f} s"
            )
