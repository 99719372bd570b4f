"""The shared state of an import: the summary, the per-case and per-event arrays.

The phases (validate, match, orchestrate's plan, write) are mixins over this
state; `orchestrate.Importer` puts them together.
"""

from __future__ import annotations

import datetime as dt
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from django.utils import timezone
from django.utils.translation import gettext_noop
from tqdm import tqdm

from tsunagu.cases import timeline
from tsunagu.core.models import Region, User
from tsunagu.interchange import format as fmt
from tsunagu.treatment.models import Clinic

STATION_SUFFIX = "警察署"
CASE_BATCH = 1000
SQLITE_CACHE_KIB = 65536
EVENT_BATCH = 5000
# An assessments.csv row also stands for its `risk_assessed` event; in the event
# arrays its line is offset by this (above every events.csv line, below int32's top).
ASSESSMENT_LINE_BASE = 2**29
OUTSIDE_SCOPE = gettext_noop("This prefecture is outside your scope.")
# Bad rows kept for the report (the total is always counted).
ERRORS_KEPT = 1000
# Example rows kept per kind of problem (a few dozen kinds at most).
EXAMPLES_KEPT = 3
# Coded details that must be one of a fixed list (DESIGN §3).
EXTRA_VICTIM_KEYS = {"sex", "age", "name", "address", "phone", "workplace"}
# DESIGN §3 makes `detail` optional: historical files often lack a rejection's reason
# (counted as `other`, DESIGN §4) or a recurrence's victim (its kind unknown).
OPTIONAL_CODES = frozenset({"advice_rejected", "recurrence"})
CODED_DETAILS: dict[str, tuple[str, ...]] = {
    "advice_rejected": timeline.REJECTION_REASONS,
    "arrest": timeline.ARREST_KINDS,
    "recurrence": timeline.RECURRENCE_KINDS,
}


# A kind of problem: its first row, how many rows have it, the first rows.
Problem = tuple[fmt.RowError, int, list[fmt.RowError]]


@dataclass
class ImportSummary:
    """What an import did (or, in a dry run, would do), and its bad rows.

    Only the first `ERRORS_KEPT` bad rows are kept (memory stays bounded
    whatever the file); `error_count` is the total and `error_kinds` counts
    them by reason.
    """

    dry_run: bool = False
    cases_created: int = 0
    cases_unchanged: int = 0
    people_created: int = 0
    events_created: int = 0
    events_unchanged: int = 0
    assessments_created: int = 0
    assessments_unchanged: int = 0
    stations_created: list[str] = field(default_factory=list)
    unknown_clinics: list[str] = field(default_factory=list)
    errors: list[fmt.RowError] = field(default_factory=list)
    error_count: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    error_examples: dict[str, list[fmt.RowError]] = field(default_factory=dict)
    rows_skipped: int = 0
    write_seconds: float = 0.0  # time inside the write transaction
    write_cpu_seconds: float = 0.0  # CPU time of this process inside it
    analyze_seconds: float = 0.0
    write_steps: dict[str, float] = field(default_factory=dict)  # seconds per write step
    files: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.error_count

    @property
    def errors_hidden(self) -> int:
        return self.error_count - len(self.errors)

    def add_error(self, error: fmt.RowError) -> None:
        self.error_count += 1
        self.error_kinds[error.reason] = self.error_kinds.get(error.reason, 0) + 1
        examples = self.error_examples.setdefault(error.reason, [])
        if len(examples) < EXAMPLES_KEPT:
            examples.append(error)
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(error)

    def problems(self, examples: int = EXAMPLES_KEPT) -> list[Problem]:
        """One line per kind of problem: an example, the count and the first rows
        (in the order found), the most frequent kind first."""
        out = []
        for reason, count in sorted(self.error_kinds.items(), key=lambda kv: -kv[1]):
            rows = self.error_examples[reason][:examples]
            out.append((rows[0], count, rows))
        return out

    def counts(self) -> dict[str, int]:
        return {
            "cases_created": self.cases_created,
            "cases_unchanged": self.cases_unchanged,
            "people_created": self.people_created,
            "events_created": self.events_created,
            "events_unchanged": self.events_unchanged,
            "assessments_created": self.assessments_created,
            "assessments_unchanged": self.assessments_unchanged,
        }


class CaseRow(NamedTuple):
    """A validated case row (built twice: to check, then to write)."""

    key: str
    prefecture: str
    ref: str
    station: str
    opened_on: dt.date
    relationship: str
    offender: tuple[str, int | None, str, str, str]
    victim: tuple[str, int | None, str, str, str, str]
    extra: tuple[tuple[str, int | None, str, str, str, str], ...] = ()


class AssessmentRow(NamedTuple):
    """A validated assessments row: the case (index), its date, level and instrument."""

    line: int
    case: int
    date: int  # ordinal
    level: str
    instrument: Any  # risk.models.Instrument
    role: str


class Progress:
    """A tqdm bar on a terminal, nothing otherwise; updated in steps to stay cheap."""

    def __init__(self, enabled: bool, total: int | fmt.Table, desc: str) -> None:
        if isinstance(total, fmt.Table):  # rows of a CSV file, counted only for a bar
            total = fmt.count_lines(total.path) if enabled and total.sheet is None else 0
        self.bar = tqdm(
            total=total or None, desc=desc, unit=" rows", disable=not enabled, file=sys.stderr
        )
        self.pending = 0

    def tick(self) -> None:
        self.pending += 1
        if self.pending >= 10000:
            self.bar.update(self.pending)
            self.pending = 0

    def close(self) -> None:
        self.bar.update(self.pending)
        self.bar.close()


class ImportState:
    """The data of one import. `scope` limits the prefectures allowed."""

    def __init__(
        self,
        cases: fmt.Table,
        events: fmt.Table,
        *,
        files: Iterable[Path] = (),
        actor: User | None = None,
        scope: set[str] | None = None,
        own_only: bool = False,
        create_stations: bool = False,
        progress: bool = False,
        assessments: fmt.Table | None = None,
    ) -> None:
        self.cases = cases
        self.events = events
        self.assessments = assessments
        self.actor = actor
        self.scope = scope
        # Rows of prefectures outside `scope` are skipped instead of refused.
        self.own_only = own_only and scope is not None
        # Unknown police stations are created; otherwise each is a bad row.
        self.create_stations = create_stations
        self.progress = progress
        self.summary = ImportSummary(files={p.name: fmt.file_sha256(p) for p in files})
        self.errors = self.summary.errors
        self.today = timezone.localdate()
        # reference data
        self.pref_ids: dict[str, int] = dict(
            Region.objects.filter(kind=Region.Kind.PREFECTURE).values_list("code", "pk")
        )
        self.pref_codes = {pk: code for code, pk in self.pref_ids.items()}
        self.stations: dict[str, dict[str, int]] = {}
        for pk, code, name, parent in Region.objects.filter(kind=Region.Kind.STATION).values_list(
            "pk", "code", "name_ja", "parent_id"
        ):
            names = self.stations.setdefault(self.pref_codes.get(parent, ""), {})
            names[code] = pk
            names[name] = pk
            if name.endswith(STATION_SUFFIX):
                names.setdefault(name[: -len(STATION_SUFFIX)], pk)
        self.new_stations: dict[tuple[str, str], int] = {}
        self.new_station_lines: dict[tuple[str, str], int] = {}
        self.clinics = set(Clinic.objects.values_list("code", flat=True))
        self.unknown_clinics: set[str] = set()
        # per case (index = position in these arrays)
        self.keys: dict[str, int] = {}
        self.case_line = array("i")  # 0: known only from events.csv
        self.case_hash = array("q")
        self.case_public = array("q")
        self.case_opened = array("i")
        self.case_db = array("q")  # database id, 0 if none yet
        self.case_bad = array("b")
        self.missing: dict[int, list[int]] = {}
        # per event
        self.ev_case = array("i")
        self.ev_date = array("i")
        self.ev_rank = array("b")
        self.ev_detail = array("i")
        self.ev_line = array("i")
        self.ev_existing = array("b")
        self.details: dict[str, int] = {"": 0}
        self.detail_text: list[str] = [""]
        self._dates: dict[str, int] = {}
        self._db_days: dict[int, Any] = {}
        self._fresh: set[int] = set()
        # assessments.csv (optional): its valid rows, the lines naming an unknown case
        self.assessment_rows: list[AssessmentRow] = []
        self.assessment_missing: dict[int, list[int]] = {}
        # filled by the plan (orchestrate)
        self.s_case: Any = None
        self.s_date: Any = None
        self.s_rank: Any = None
        self.s_line: Any = None
        self.s_detail: Any = None
        self.unique: Any = None
        self.new_mask: Any = None
        self.touched: Any = None
        self.state_open: Any = None
        self.state_measure: Any = None
        self.state_measure_on: Any = None
        self.pending_cases: list[tuple[int, CaseRow]] = []
        self.pending_events: Any = None
        self.pending_people: Any = None

    def _error(
        self, table: fmt.Table, line: int, column: str, reason: str, **params: object
    ) -> None:
        """Record a bad row; `reason` is an English msgid with %(name)s parameters."""
        self.summary.add_error(
            fmt.RowError(
                table.name, line, column, reason, tuple((k, str(v)) for k, v in params.items())
            )
        )

    def _event_error(self, line: int, column: str, reason: str, **params: object) -> None:
        """A bad event row, which may be an assessments row (ASSESSMENT_LINE_BASE)."""
        if self.assessments is not None and line >= ASSESSMENT_LINE_BASE:
            self._error(self.assessments, line - ASSESSMENT_LINE_BASE, column, reason, **params)
        else:
            self._error(self.events, line, column, reason, **params)

    def _outside(self, raw: str) -> bool:
        """A row to skip: of a known prefecture outside the scope, with `own_only`."""
        if not self.own_only:
            return False
        pref = fmt.normalise_prefecture(raw)
        return pref in self.pref_ids and self.scope is not None and pref not in self.scope

    def _digest(self, row: CaseRow, station_key: str, personal: bool = True) -> int:
        """A fingerprint of a case row; without `personal`, of its non-personal columns.

        A row is compared with a case already in the database only without the
        personal columns: otherwise the answer ("different data" or not) would let
        an importer test a guess of a victim's address without an audited reveal.
        """
        offender, victim, extra = row.offender, row.victim, row.extra
        if not personal:
            offender = (offender[0], offender[1], "", "", "")
            victim = (victim[0], victim[1], "", "", "", "")
            extra = tuple((v[0], v[1], "", "", "", "") for v in extra)
        return (
            hash((station_key, row.opened_on, row.relationship, offender, victim, extra))
            & 0x7FFFFFFFFFFFFFFF
        )
