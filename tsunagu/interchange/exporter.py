"""Exporting cases and their timelines in the interchange format (DESIGN §3).

Rows come out in a fixed order (prefecture, case reference; within a case: date,
the timeline's type order, detail), so exporting, importing into an empty
database and exporting again gives identical files.

Who gets what:
- the command line (`tsunagu export`, no user): an operator tool with national
  scope; personal columns only with `--include-personal`;
- a supervisor: their prefecture; personal columns only when asked, with a
  reason, audited;
- an analyst: every prefecture, never personal columns, and free-text details
  left out (coded details — reasons, arrest and recurrence kinds, clinic codes —
  are kept; a correction keeps the event it voids but not its reason).
- anyone else: nothing.

Each case's first offender and first victim fill the person columns; further
victims go in the `extra_victims` column (sex and age; with personal columns
also their names and contact).

`assessments.csv` (sheet `assessments`) lists the cases' risk assessments:
instrument, version, level and the assessor's role, for every reader above;
never item answers, notes, rationale, scenarios or plans.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.db import transaction

from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event, Person
from tsunagu.core.audit import audit
from tsunagu.core.fields import is_unreadable
from tsunagu.core.models import Region, User
from tsunagu.core.spreadsheet import write_only_row
from tsunagu.interchange import format as fmt
from tsunagu.risk.models import Assessment

CHUNK = 2000
# A risk level is a code of its instrument (its labels are in the instrument file).
CODED_DETAIL_TYPES = ("advice_rejected", "arrest", "recurrence", timeline.RISK_ASSESSED)
CLINIC_DETAIL_TYPES = ("appointment_scheduled", "referral_sent")


class ExportRefused(PermissionError):
    """The user may not export what was asked for."""


class _Sink(Protocol):
    def write(self, row: Sequence[str]) -> None: ...
    def close(self) -> None: ...


@dataclass
class ExportSummary:
    cases: int = 0
    events: int = 0
    assessments: int = 0
    include_personal: bool = False
    prefectures: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    # Personal values no configured key decrypts (moved or damaged): written empty.
    unreadable: int = 0


def scoped_cases(user: User | None, prefectures: Iterable[str] = ()) -> Any:
    """The cases a user may export (all for the command line), optionally narrowed."""
    if user is None:
        cases = Case.objects.all()
    elif user.is_analyst:
        cases = Case.objects.for_statistics(user)
    elif user.is_supervisor:
        cases = Case.objects.visible_to(user)
    else:
        cases = Case.objects.none()
    codes = list(prefectures)
    if codes:
        cases = cases.filter(prefecture__code__in=codes)
    return cases


def may_include_personal(user: User | None) -> bool:
    return user is None or user.is_supervisor


def analyst_detail(type_: str, detail: str) -> str:
    """The part of a detail an analyst may see: codes only, never free text."""
    if type_ in CODED_DETAIL_TYPES:
        return detail
    if type_ in CLINIC_DETAIL_TYPES:
        return detail.split("|", 1)[0]
    if type_ == "correction":
        target = timeline.correction_target(detail)
        if target is None:
            return ""
        t_type, t_date, t_detail = target
        return timeline.correction_detail(
            timeline.Ev(t_date, t_type, analyst_detail(t_type, t_detail)), ""
        )
    return ""


class _XlsxBook:
    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook

        self.path = path
        self.book = Workbook(write_only=True)

    def sheet(self, name: str, columns: Sequence[str]) -> _Sink:
        ws = self.book.create_sheet(name)
        ws.append(write_only_row(ws, columns))

        class Sheet:
            def write(self, row: Sequence[str]) -> None:
                ws.append(write_only_row(ws, row))

            def close(self) -> None:
                pass

        return Sheet()

    def save(self) -> None:
        self.book.save(self.path)


def export(
    path: Path,
    *,
    user: User | None = None,
    file_format: str = "csv",
    prefectures: Iterable[str] = (),
    include_personal: bool = False,
    reason: str = "",
) -> ExportSummary:
    """Write the interchange files for the cases in scope; audited."""
    if include_personal and not may_include_personal(user):
        raise ExportRefused("Personal columns may not be exported by this user.")
    analyst = user is not None and user.is_analyst
    codes = list(prefectures)
    cases = scoped_cases(user, codes)
    columns = fmt.CASE_COLUMNS if include_personal else fmt.PUBLIC_CASE_COLUMNS
    book: _XlsxBook | None = None
    if file_format == "xlsx":
        if path.suffix.lower() != ".xlsx":
            path = path / "tsunagu-export.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        book = _XlsxBook(path)
        case_sink = book.sheet(fmt.CASES_SHEET, columns)
        event_sink = book.sheet(fmt.EVENTS_SHEET, fmt.EVENT_COLUMNS)
        assessment_sink = book.sheet(fmt.ASSESSMENTS_SHEET, fmt.ASSESSMENT_COLUMNS)
        files = [path]
    elif file_format == "csv":
        path.mkdir(parents=True, exist_ok=True)
        case_sink = fmt.CsvSink(path / fmt.CASES_FILE, columns)
        event_sink = fmt.CsvSink(path / fmt.EVENTS_FILE, fmt.EVENT_COLUMNS)
        assessment_sink = fmt.CsvSink(path / fmt.ASSESSMENTS_FILE, fmt.ASSESSMENT_COLUMNS)
        files = [path / fmt.CASES_FILE, path / fmt.EVENTS_FILE, path / fmt.ASSESSMENTS_FILE]
    else:
        raise ValueError(f"unknown format {file_format!r}")
    summary = ExportSummary(include_personal=include_personal, prefectures=codes, files=files)

    def readable(person: Any, name: str) -> str:
        """A personal value for the file: empty for no person, and for a value no key
        decrypts (counted), never the page's "cannot be decrypted" text."""
        value = getattr(person, name, "") if person is not None else ""
        if is_unreadable(value):
            summary.unreadable += 1
            return ""
        return str(value or "")

    order = sorted(cases.values_list("prefecture__code", "ref", "pk"), key=lambda r: (r[0], r[1]))
    station_names = dict(
        Region.objects.filter(kind=Region.Kind.STATION).values_list("pk", "name_ja")
    )
    for start in range(0, len(order), CHUNK):
        chunk = order[start : start + CHUNK]
        ids = [pk for _, _, pk in chunk]
        info: dict[int, list[Any]] = {
            pk: rest
            for pk, *rest in Case.objects.filter(pk__in=ids).values_list(
                "pk", "station_id", "opened_on", "relationship"
            )
        }
        people: dict[tuple[int, str], Any] = {}
        extra: dict[int, list[dict[str, Any]]] = {}
        persons = Person.objects.filter(case_id__in=ids).order_by("case_id", "id")
        if include_personal:
            for p in persons:
                if people.setdefault((p.case_id, p.role), p) is not p and p.role == "victim":
                    extra.setdefault(p.case_id, []).append(
                        {
                            "sex": p.sex,
                            "age": p.age,
                            "name": readable(p, "name"),
                            "address": readable(p, "address"),
                            "phone": readable(p, "phone"),
                            "workplace": readable(p, "workplace"),
                        }
                    )
        else:
            for p_row in persons.values_list("case_id", "role", "sex", "age"):
                first = people.setdefault((p_row[0], p_row[1]), p_row)
                if first is not p_row and p_row[1] == "victim":
                    extra.setdefault(p_row[0], []).append({"sex": p_row[2], "age": p_row[3]})
        events: dict[int, list[tuple[dt.date, str, str]]] = {}
        for case_id, day, type_, detail in (
            Event.objects.filter(case_id__in=ids)
            .order_by("id")
            .values_list("case_id", "date", "type", "detail")
        ):
            events.setdefault(case_id, []).append((day, type_, detail))
        assessed: dict[int, list[tuple[str, ...]]] = {}
        for case_id, day, *cells in Assessment.objects.filter(case_id__in=ids).values_list(
            "case_id",
            "date",
            "instrument__name",
            "instrument__version",
            "level",
            "assessed_by_role",
        ):
            assessed.setdefault(case_id, []).append((day.isoformat(), *(str(c) for c in cells)))
        for pref, ref, pk in chunk:
            station_id, opened_on, relationship = info[pk]
            off = people.get((pk, "offender"))
            vic = people.get((pk, "victim"))
            row: dict[str, str] = {
                "case_ref": ref,
                "prefecture": pref,
                "station": station_names.get(station_id, "") if station_id else "",
                "opened_on": opened_on.isoformat(),
                "relationship": relationship,
                "offender_sex": _attr(off, "sex", 2) or "unknown",
                "offender_age": _age(_attr(off, "age", 3)),
                "victim_sex": _attr(vic, "sex", 2) or "unknown",
                "victim_age": _age(_attr(vic, "age", 3)),
                "extra_victims": (
                    json.dumps(extra[pk], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                    if pk in extra
                    else ""
                ),
            }
            if include_personal:
                row.update(
                    offender_name=readable(off, "name"),
                    offender_address=readable(off, "address"),
                    offender_phone=readable(off, "phone"),
                    victim_name=readable(vic, "name"),
                    victim_address=readable(vic, "address"),
                    victim_phone=readable(vic, "phone"),
                    victim_workplace=readable(vic, "workplace"),
                )
            case_sink.write([row[c] for c in columns])
            summary.cases += 1
            evs = events.get(pk, [])
            if analyst:
                evs = [(d, t, analyst_detail(t, x)) for d, t, x in evs]
            # Timeline order, identical events once: a re-import records the file's
            # rows in file order, so the round trip keeps the recorded order.
            unique = dict.fromkeys(evs)
            for ev in timeline.ordered(
                timeline.Ev(d, t, x, i) for i, (d, t, x) in enumerate(unique)
            ):
                event_sink.write([ref, pref, ev.date.isoformat(), ev.type, ev.detail])
                summary.events += 1
            # date, instrument, version, level, role: sorted, so the order is the data's.
            for day_text, name, version, level, role in sorted(assessed.get(pk, [])):
                assessment_sink.write([ref, pref, day_text, name, version, level, role])
                summary.assessments += 1
    case_sink.close()
    event_sink.close()
    assessment_sink.close()
    if book is not None:
        book.save()
    with transaction.atomic():
        audit(
            actor=user,
            action="interchange.export",
            prefecture=user.prefecture if user is not None and user.is_supervisor else None,
            reason=reason,
            cases=summary.cases,
            events=summary.events,
            assessments=summary.assessments,
            include_personal=include_personal,
            prefectures=codes,
            format=file_format,
        )
    return summary


def _attr(obj: Any, name: str, index: int) -> Any:
    if obj is None:
        return None
    if isinstance(obj, tuple):
        return obj[index]
    return getattr(obj, name)


def _age(value: Any) -> str:
    return "" if value is None else str(value)
