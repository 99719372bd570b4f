"""`tsunagu report programme|annual …`: the reports from the command line.

An operator's tool with national scope (it runs with database access, not as a
signed-in user): it reads every prefecture unless `--prefecture` narrows it.
JSON and CSV go to stdout unless `--output` is given; XLSX and PDF need it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from tsunagu.cases.models import Case
from tsunagu.core.models import Region
from tsunagu.reports import (
    annual,
    evaluation,
    evaluation_data,
    evaluation_exports,
    exports,
    programme,
)
from tsunagu.reports.forms import bounds_errors, period_errors

# The command's option for each field of the report form.
OPTIONS = {"date_from": "--from", "date_to": "--to", "as_of": "--as-of"}


def _date(option: str) -> Any:
    def parse(value: str) -> dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(
                f"{option} must be a date as YYYY-MM-DD, not {value!r}"
            ) from exc

    return parse


class Command(BaseCommand):
    help = (
        "Print or write a report. `report programme --from D --to D [--as-of D] "
        "[--prefecture CODE]... --format json|csv|xlsx|pdf [--output FILE]`; "
        "`report annual --year Y [--fiscal] [--prefecture CODE]... --format json|csv|xlsx "
        "[--output FILE]`; `report evaluation --from D --to D [--as-of D] [--prefecture CODE]... "
        "[--landmark N] [--outcome recurrence|any_measure] --format json|csv|xlsx|pdf "
        "[--output FILE]`. National scope: every prefecture unless --prefecture is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True, parser_class=type(parser))
        prog = sub.add_parser("programme", help="The programme status report (DESIGN §4).")
        prog.add_argument("--from", dest="date_from", required=True, type=_date("--from"))
        prog.add_argument("--to", dest="date_to", required=True, type=_date("--to"))
        prog.add_argument("--as-of", dest="as_of", type=_date("--as-of"))
        prog.add_argument("--prefecture", action="append", default=[], metavar="CODE")
        prog.add_argument("--format", default="json", choices=["json", "csv", "xlsx", "pdf"])
        prog.add_argument("--output", type=Path)
        prog.add_argument("--language", default="ja", choices=["ja", "en"], help="XLSX headers")
        ev = sub.add_parser("evaluation", help="Treatment and recurrence (DESIGN §5).")
        ev.add_argument("--from", dest="date_from", required=True, type=_date("--from"))
        ev.add_argument("--to", dest="date_to", required=True, type=_date("--to"))
        ev.add_argument("--as-of", dest="as_of", type=_date("--as-of"))
        ev.add_argument("--prefecture", action="append", default=[], metavar="CODE")
        ev.add_argument("--landmark", type=int, default=evaluation.DEFAULT_LANDMARK, metavar="N")
        ev.add_argument("--outcome", default="recurrence", choices=list(evaluation.OUTCOME_KINDS))
        ev.add_argument("--format", default="json", choices=["json", "csv", "xlsx", "pdf"])
        ev.add_argument("--output", type=Path)
        ev.add_argument("--language", default="ja", choices=["ja", "en"])
        ann = sub.add_parser("annual", help="Annual stalking statistics.")
        ann.add_argument("--year", required=True, type=int)
        ann.add_argument("--fiscal", action="store_true", help="April to March (年度)")
        ann.add_argument("--prefecture", action="append", default=[], metavar="CODE")
        ann.add_argument("--format", default="json", choices=["json", "csv", "xlsx"])
        ann.add_argument("--output", type=Path)
        ann.add_argument("--language", default="ja", choices=["ja", "en"])

    def _prefectures(self, codes: list[str]) -> tuple[str, ...]:
        known = set(
            Region.objects.filter(kind=Region.Kind.PREFECTURE).values_list("code", flat=True)
        )
        for code in codes:
            if not re.fullmatch(r"\d{2}", code) or code not in known:
                raise CommandError(f"--prefecture: unknown prefecture code {code!r}")
        return tuple(codes)

    def _write(self, content: bytes | str, fmt: str, output: Path | None) -> None:
        if output is None:
            if isinstance(content, bytes):
                raise CommandError(f"--output: a {fmt} file needs --output FILE")
            self.stdout.write(content, ending="" if content.endswith("\n") else "\n")
            return
        try:
            if isinstance(content, bytes):
                output.write_bytes(content)
            else:
                output.write_text(content, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"--output: cannot write {output}: {exc}") from exc
        self.stderr.write(f"Wrote {output}")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            if options["report"] == "programme":
                self._programme(options)
            elif options["report"] == "evaluation":
                self._evaluation(options)
            else:
                self._annual(options)

    def _programme(self, options: dict[str, Any]) -> None:
        start, end, as_of = options["date_from"], options["date_to"], options["as_of"]
        with translation.override("en"):
            errors = bounds_errors(
                {"date_from": start, "date_to": end, "as_of": as_of}
            ) or period_errors(start, end, as_of)
        if errors:
            name, message = errors[0]
            raise CommandError(f"{OPTIONS[name]}: {message}")
        fmt = options["format"]
        if fmt in ("xlsx", "pdf") and options["output"] is None:
            raise CommandError(f"--output: a {fmt} file needs --output FILE")
        params = programme.Params.make(start, end, as_of, self._prefectures(options["prefecture"]))
        report = programme.compute(Case.objects.all(), params)
        names = exports.prefecture_names()
        content: bytes | str
        if fmt == "json":
            content = exports.to_json(report)
        elif fmt == "csv":
            content = exports.programme_csv(report)
        elif fmt == "xlsx":
            content = exports.programme_xlsx(report, names)
        else:
            content = exports.programme_pdf(report, names)
        self._write(content, fmt, options["output"])

    def _evaluation(self, options: dict[str, Any]) -> None:
        start, end, as_of = options["date_from"], options["date_to"], options["as_of"]
        with translation.override("en"):
            errors = bounds_errors(
                {"date_from": start, "date_to": end, "as_of": as_of}
            ) or period_errors(start, end, as_of)
        if errors:
            name, message = errors[0]
            raise CommandError(f"{OPTIONS[name]}: {message}")
        if not 0 <= options["landmark"] <= evaluation.MAX_LANDMARK:
            raise CommandError(f"--landmark: give 0 to {evaluation.MAX_LANDMARK} days")
        fmt = options["format"]
        if fmt in ("xlsx", "pdf") and options["output"] is None:
            raise CommandError(f"--output: a {fmt} file needs --output FILE")
        params = evaluation.Params.make(
            start,
            end,
            as_of,
            self._prefectures(options["prefecture"]),
            options["landmark"],
            options["outcome"],
        )
        result = evaluation_data.compute(Case.objects.all(), params)
        content = evaluation_exports.render(result, fmt, exports.prefecture_names())
        self._write(content, fmt, options["output"])

    def _annual(self, options: dict[str, Any]) -> None:
        year = options["year"]
        if not 2000 <= year <= 2100:
            raise CommandError("--year: give a year between 2000 and 2100")
        fmt = options["format"]
        if fmt == "xlsx" and options["output"] is None:
            raise CommandError("--output: a xlsx file needs --output FILE")
        stats = annual.compute(
            Case.objects.all(), year, options["fiscal"], self._prefectures(options["prefecture"])
        )
        content: bytes | str
        if fmt == "json":
            content = json.dumps(stats.as_json(), ensure_ascii=False, indent=1)
        elif fmt == "csv":
            content = exports.table_csv(stats.tables())
        else:
            label = "%(year)s年度" if stats.fiscal else "%(year)s年"
            content = exports.tables_xlsx(
                "ストーカー事案の統計" if options["language"] == "ja" else "Stalking statistics",
                label % {"year": year} if options["language"] == "ja" else str(year),
                stats.tables(),
            )
        self._write(content, fmt, options["output"])
