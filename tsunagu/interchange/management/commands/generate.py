"""`tsunagu generate --years N --scale national --seed S PATH`: a synthetic set."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsunagu.interchange.generate import START_YEAR, generate

# national: the whole country; small: 1 % of it (quick demos and tests).
SCALES = {"national": 1.0, "small": 0.01}


class Command(BaseCommand):
    help = (
        "Write a synthetic interchange set (cases.csv, events.csv) into PATH: about 22,000 "
        "cases a year at national scale, advice episodes rising from ~300 (2016) to ~3,300."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--years", type=int, default=10)
        parser.add_argument("--start-year", type=int, default=START_YEAR)
        parser.add_argument("--scale", choices=sorted(SCALES), default="national")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--personal",
            choices=("empty", "fictitious"),
            default="empty",
            help="personal columns: empty (default) or fictitious names",
        )
        parser.add_argument(
            "--assessments",
            action="store_true",
            help="also assessments.csv, with the demo risk instrument (load it before importing)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["years"] < 1:
            raise CommandError("--years must be at least 1")
        started = time.perf_counter()
        summary = generate(
            options["path"],
            years=options["years"],
            seed=options["seed"],
            start_year=options["start_year"],
            personal=options["personal"],
            scale=SCALES[options["scale"]],
            progress=sys.stderr.isatty(),
            assessments=options["assessments"],
        )
        self.stdout.write(
            f"{summary.cases} cases, {summary.events} events"
            + (f", {summary.assessments} assessments" if options["assessments"] else "")
            + f" written to {options['path']} "
            f"in {time.perf_counter() - started:.1f} s"
        )
