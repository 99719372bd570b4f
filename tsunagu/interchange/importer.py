"""Importing an interchange file set (DESIGN §3): validate everything, then write all.

The import runs in phases so that 250k cases and 1.5M events fit in a small
amount of memory:

1. validate `cases` row by row, keeping per case only a compact entry (its key,
   line, a hash of its data and its opening date);
2. validate `events` row by row into flat arrays of small integers (case index,
   date ordinal, type rank, interned detail);
3. look up the cases and events already in the database (idempotence);
4. sort the arrays, drop duplicates, derive each touched case's cached state
   with `timeline.case_state` (the one rule the whole system shares);
5. only if no row is bad: write everything in one transaction, reading the
   `cases` table a second time to insert cases and people in batches, then the
   new events, and one audit event for the import.

Rows are written directly (multi-row INSERT … RETURNING and executemany), not
through `save()`, for speed; they carry the same data as the services write
(rank column, cached case columns, encrypted personal fields).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from tqdm import tqdm

from tsunagu.cases import timeline
from tsunagu.cases.models import RELATIONSHIPS, SEXES, Case, Event, Person
from tsunagu.core.audit import audit
from tsunagu.core.fields import EncryptedTextField
from tsunagu.core.models import Region, User
from tsunagu.interchange import format as fmt
from tsunagu.treatment.models import Clinic

STATION_SUFFIX = "警察署"
CASE_BATCH = 1000
SQLITE_CACHE_KIB = 65536
EVENT_BATCH = 5000
# Coded details that must be one of a fixed list (DESIGN §3).
EXTRA_VICTIM_KEYS = {"sex", "age", "name", "address", "phone", "workplace"}
CODED_DETAILS: dict[str, tuple[str, ...]] = {
    "advice_rejected": timeline.REJECTION_REASONS,
    "arrest": timeline.ARREST_KINDS,
    "recurrence": timeline.RECURRENCE_KINDS,
}


@dataclass
class ImportSummary:
    """What an import did (or, in a dry run, would do), and every bad row."""

    dry_run: bool = False
    cases_created: int = 0
    cases_unchanged: int = 0
    people_created: int = 0
    events_created: int = 0
    events_unchanged: int = 0
    stations_created: list[str] = field(default_factory=list)
    unknown_clinics: list[str] = field(default_factory=list)
    errors: list[fmt.RowError] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {
            "cases_created": self.cases_created,
            "cases_unchanged": self.cases_unchanged,
            "people_created": self.people_created,
            "events_created": self.events_created,
            "events_unchanged": self.events_unchanged,
        }


class _CaseRow(NamedTuple):
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


class _Progress:
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


class Importer:
    """Validate and import one file set. `scope` limits the prefectures allowed."""

    def __init__(
        self,
        cases: fmt.Table,
        events: fmt.Table,
        *,
        files: Iterable[Path] = (),
        actor: User | None = None,
        scope: set[str] | None = None,
        progress: bool = False,
    ) -> None:
        self.cases = cases
        self.events = events
        self.actor = actor
        self.scope = scope
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

    # --- helpers ----------------------------------------------------------------------

    def _error(
        self, table: fmt.Table, line: int, column: str, reason: str, **params: object
    ) -> None:
        """Record a bad row; `reason` is an English msgid with %(name)s parameters."""
        self.errors.append(
            fmt.RowError(
                table.name, line, column, reason, tuple((k, str(v)) for k, v in params.items())
            )
        )

    def _station_key(self, pref: str, text: str) -> str:
        """The station a text names: its id, or the text for a station to create."""
        if not text:
            return ""
        found = self.stations.get(pref, {}).get(text)
        if found is not None:
            return str(found)
        self.new_stations.setdefault((pref, text), 0)
        return "new:" + text

    def _check_nul(self, table: fmt.Table, line: int, row: list[str]) -> bool:
        """A NUL character cannot be stored (PostgreSQL text): a bad row. True if found."""
        found = False
        for pos, cell in enumerate(row):
            if "\x00" in cell:
                names = [name for name, p in table.index.items() if p == pos]
                if names:
                    self._error(
                        table, line, names[0], gettext_noop("Text cannot contain NUL characters.")
                    )
                    found = True
        return found

    def _prefecture(self, table: fmt.Table, line: int, raw: str) -> str | None:
        pref = fmt.normalise_prefecture(raw)
        if not pref:
            self._error(table, line, "prefecture", gettext_noop("A prefecture code is required."))
            return None
        if pref not in self.pref_ids:
            self._error(
                table,
                line,
                "prefecture",
                gettext_noop("Unknown prefecture code “%(value)s”."),
                value=raw,
            )
            return None
        if self.scope is not None and pref not in self.scope:
            self._error(
                table, line, "prefecture", gettext_noop("This prefecture is outside your scope.")
            )
            return None
        return pref

    def _date(self, table: fmt.Table, line: int, column: str, raw: str) -> int | None:
        ordinal = self._dates.get(raw)
        if ordinal is not None:
            return ordinal
        if not raw:
            self._error(table, line, column, gettext_noop("A date is required."))
            return None
        day = fmt.parse_date(raw)
        if day is None:
            self._error(
                table,
                line,
                column,
                gettext_noop("Not an ISO date (YYYY-MM-DD): “%(value)s”."),
                value=raw,
            )
            return None
        if day > self.today:
            self._error(table, line, column, gettext_noop("The date cannot be in the future."))
            return None
        self._dates[raw] = day.toordinal()
        return day.toordinal()

    # --- phase 1: cases -------------------------------------------------------------

    def _case_rows(self, check: bool) -> Iterator[tuple[int, _CaseRow]]:
        """Validated case rows; with `check`, bad ones are reported (and skipped)."""
        table = self.cases
        positions = [table.index.get(c, -1) for c in fmt.CASE_COLUMNS]
        bar = _Progress(self.progress and check, table, "cases ")
        for line, row in table.rows():
            bar.tick()
            width = len(row)
            (
                ref,
                pref_raw,
                station,
                opened_raw,
                relationship,
                off_sex,
                off_age,
                off_name,
                vic_sex,
                vic_age,
                vic_name,
                vic_address,
                vic_phone,
                vic_workplace,
                off_address,
                off_phone,
                extra_raw,
            ) = [row[p].strip() if 0 <= p < width else "" for p in positions]
            n_errors = len(self.errors)
            if check:
                self._check_nul(table, line, row)
            if not ref:
                self._error(table, line, "case_ref", gettext_noop("A case reference is required."))
            elif len(ref) > fmt.MAX_REF:
                self._error(
                    table, line, "case_ref", gettext_noop("The case reference is too long.")
                )
            pref: str | None = pref_raw
            if pref_raw not in self.pref_ids or self.scope is not None:
                pref = self._prefecture(table, line, pref_raw)
            opened = self._date(table, line, "opened_on", opened_raw)
            relationship = relationship or "unknown"
            if relationship not in RELATIONSHIPS:
                self._error(
                    table,
                    line,
                    "relationship",
                    gettext_noop("Unknown relationship “%(value)s”."),
                    value=relationship,
                )
            off_sex = self._sex(table, line, "offender_sex", off_sex)
            vic_sex = self._sex(table, line, "victim_sex", vic_sex)
            offender_age = self._age(table, line, "offender_age", off_age)
            victim_age = self._age(table, line, "victim_age", vic_age)
            extra = self._extra_victims(table, line, extra_raw) if extra_raw else ()
            if len(station) > fmt.MAX_STATION:
                self._error(table, line, "station", gettext_noop("The station name is too long."))
            if len(self.errors) > n_errors:
                if not check:
                    raise AssertionError("a row changed between the two passes")
                if ref and pref:
                    self._register_bad(f"{pref}\t{ref}")
                continue
            assert pref is not None and opened is not None
            yield (
                line,
                _CaseRow(
                    f"{pref}\t{ref}",
                    pref,
                    ref,
                    station,
                    dt.date.fromordinal(opened),
                    relationship,
                    (off_sex, offender_age, off_name, off_address, off_phone),
                    (vic_sex, victim_age, vic_name, vic_address, vic_phone, vic_workplace),
                    extra,
                ),
            )
        bar.close()

    def _extra_victims(
        self, table: fmt.Table, line: int, raw: str
    ) -> tuple[tuple[str, int | None, str, str, str, str], ...]:
        """The further victims of a case (extension column, a JSON list of objects)."""
        try:
            items = json.loads(raw)
        except ValueError:
            items = None
        victims = []
        ok = isinstance(items, list)
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not set(item) <= EXTRA_VICTIM_KEYS:
                ok = False
                break
            sex, age = item.get("sex", "unknown"), item.get("age")
            texts = [item.get(k, "") for k in ("name", "address", "phone", "workplace")]
            if (
                sex not in SEXES
                or not (age is None or (type(age) is int and 0 <= age <= 120))
                or not all(isinstance(t, str) for t in texts)
            ):
                ok = False
                break
            victims.append((sex, age, *(t.strip() for t in texts)))
        if not ok:
            self._error(
                table,
                line,
                "extra_victims",
                gettext_noop(
                    "Not a list of victims: a JSON list of objects with sex, age, name, "
                    "address, phone, workplace."
                ),
            )
            return ()
        return tuple(victims)  # type: ignore[arg-type]

    def _sex(self, table: fmt.Table, line: int, column: str, raw: str) -> str:
        sex = raw or "unknown"
        if sex not in SEXES:
            self._error(table, line, column, gettext_noop("Unknown sex “%(value)s”."), value=sex)
        return sex

    def _age(self, table: fmt.Table, line: int, column: str, raw: str) -> int | None:
        if not raw:
            return None
        if raw.isascii() and raw.isdigit() and int(raw) <= 120:
            return int(raw)
        self._error(table, line, column, gettext_noop("The age must be whole years from 0 to 120."))
        return None

    def _register_bad(self, key: str) -> None:
        if key not in self.keys:
            self._new_case(key, 0, 0, 0, 0)
        self.case_bad[self.keys[key]] = 1

    def _new_case(self, key: str, line: int, digest: int, public: int, opened: int) -> int:
        idx = len(self.case_line)
        self.keys[key] = idx
        self.case_line.append(line)
        self.case_hash.append(digest)
        self.case_public.append(public)
        self.case_opened.append(opened)
        self.case_db.append(0)
        self.case_bad.append(0)
        return idx

    def _digest(self, row: _CaseRow, station_key: str, personal: bool = True) -> int:
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

    def check_cases(self) -> None:
        table = self.cases
        table.require(fmt.CASE_REQUIRED)
        for line, row in self._case_rows(check=True):
            station_key = self._station_key(row.prefecture, row.station)
            digest = self._digest(row, station_key)
            idx = self.keys.get(row.key)
            if idx is None:
                public = self._digest(row, station_key, personal=False)
                self._new_case(row.key, line, digest, public, row.opened_on.toordinal())
            elif self.case_bad[idx]:
                continue
            elif self.case_hash[idx] != digest:
                self._error(
                    table,
                    line,
                    "case_ref",
                    gettext_noop(
                        "The case reference is already on line %(first)s with different data."
                    ),
                    first=self.case_line[idx],
                )
                self.case_bad[idx] = 1

    # --- phase 2: events ---------------------------------------------------------------

    def check_events(self) -> None:
        table = self.events
        table.require(fmt.EVENT_REQUIRED)
        ix = table.index
        p_ref, p_pref, p_date, p_type = (ix[c] for c in fmt.EVENT_REQUIRED)
        p_detail = ix.get("detail", -1)
        need = max(p_ref, p_pref, p_date, p_type)
        keys, details, detail_text = self.keys, self.details, self.detail_text
        dates, ranks = self._dates, timeline.TYPE_RANK
        ev_case, ev_date, ev_rank = self.ev_case, self.ev_date, self.ev_rank
        ev_detail, ev_line, ev_existing = self.ev_detail, self.ev_line, self.ev_existing
        bar = _Progress(self.progress, table, "events")
        for line, row in table.rows():
            bar.tick()
            if len(row) <= need:
                row = row + [""] * (need + 1 - len(row))
            ref = row[p_ref].strip()
            pref_raw = row[p_pref].strip()
            date_raw = row[p_date].strip()
            type_ = row[p_type].strip()
            detail = row[p_detail].strip() if 0 <= p_detail < len(row) else ""
            ok = not self._check_nul(table, line, row)
            pref = pref_raw if pref_raw in self.pref_ids and self.scope is None else None
            if pref is None:
                pref = self._prefecture(table, line, pref_raw)
                ok = ok and pref is not None
            if not ref:
                self._error(table, line, "case_ref", gettext_noop("A case reference is required."))
                ok = False
            ordinal = dates.get(date_raw)
            if ordinal is None:
                ordinal = self._date(table, line, "date", date_raw)
                ok = ok and ordinal is not None
            rank = ranks.get(type_)
            if rank is None:
                self._error(
                    table,
                    line,
                    "type",
                    gettext_noop("Unknown event type “%(value)s”."),
                    value=type_,
                )
                ok = False
            else:
                ok = self._check_detail(line, type_, detail) and ok
            if not ok:
                continue
            key = f"{pref}\t{ref}"
            idx = keys.get(key)
            if idx is None:
                idx = self._new_case(key, 0, 0, 0, 0)
            if self.case_line[idx] == 0:
                self.missing.setdefault(idx, []).append(line)
            detail_id = details.get(detail)
            if detail_id is None:
                detail_id = details[detail] = len(detail_text)
                detail_text.append(detail)
            ev_case.append(idx)
            ev_date.append(ordinal)  # type: ignore[arg-type]
            ev_rank.append(rank)  # type: ignore[arg-type]
            ev_detail.append(detail_id)
            ev_line.append(line)
            ev_existing.append(0)
        bar.close()

    def _check_detail(self, line: int, type_: str, detail: str) -> bool:
        coded = CODED_DETAILS.get(type_)
        if coded is not None and detail not in coded:
            self._error(
                self.events,
                line,
                "detail",
                gettext_noop("“%(value)s” is not one of %(codes)s (required for %(type)s)."),
                value=detail,
                codes=", ".join(coded),
                type=type_,
            )
            return False
        if type_ == "correction" and timeline.correction_target(detail) is None:
            self._error(
                self.events,
                line,
                "detail",
                gettext_noop("A correction's detail must name the voided event."),
            )
            return False
        if type_ == "appointment_scheduled" and detail:
            code = detail.split("|", 1)[0]
            if code not in self.clinics:
                self.unknown_clinics.add(code)
        return True

    # --- phase 3: what the database already holds -----------------------------------------

    def match_database(self) -> None:
        """Find the cases already in the database; compare them; load their events."""
        prefs = {key.split("\t", 1)[0] for key in self.keys}
        pref_ids = [self.pref_ids[p] for p in prefs if p in self.pref_ids]
        matched = array("i")
        rows = Case.objects.filter(prefecture_id__in=pref_ids).values_list(
            "pk", "prefecture_id", "ref", "opened_on"
        )
        for pk, pref_id, ref, opened_on in rows.iterator(chunk_size=5000):
            idx = self.keys.get(f"{self.pref_codes[pref_id]}\t{ref}")
            if idx is not None:
                self.case_db[idx] = pk
                matched.append(idx)
                if self.case_line[idx] == 0:  # known from events.csv only
                    self.case_opened[idx] = opened_on.toordinal()
        for idx, lines in self.missing.items():
            if self.case_db[idx] == 0 and not self.case_bad[idx]:
                for line in lines:
                    self._error(
                        self.events,
                        line,
                        "case_ref",
                        gettext_noop("No such case in cases.csv nor in the database."),
                    )
        # In chunks, so that memory does not grow with the database.
        for start in range(0, len(matched), 500):
            chunk = {self.case_db[idx]: idx for idx in matched[start : start + 500]}
            self._compare_with_database(
                {
                    pk: idx
                    for pk, idx in chunk.items()
                    if self.case_line[idx] and not self.case_bad[idx]
                }
            )
            self._load_existing_events(chunk)

    def _compare_with_database(self, wanted: dict[int, int]) -> None:
        """A case already in the database must have the same data as its row."""
        if not wanted:
            return
        ids = list(wanted)
        people: dict[tuple[int, str], tuple[Any, ...]] = {}
        victims: dict[int, list[Any]] = {}
        # Personal columns are never read: see _digest.
        for case_id, role, sex, age in (
            Person.objects.filter(case_id__in=ids)
            .order_by("case_id", "id")
            .values_list("case_id", "role", "sex", "age")
        ):
            person = (sex, age, "", "", "", "")
            people.setdefault((case_id, role), person)
            if role == "victim":
                victims.setdefault(case_id, []).append(person)
        cases = Case.objects.filter(pk__in=ids).values_list(
            "pk", "station_id", "opened_on", "relationship"
        )
        for pk, station_id, opened_on, relationship in cases:
            off = people.get((pk, "offender"))
            vic = people.get((pk, "victim"))
            row = _CaseRow(
                key="",
                prefecture="",
                ref="",
                station="",
                opened_on=opened_on,
                relationship=relationship,
                offender=(
                    (off[0], off[1], off[2], off[3], off[4])
                    if off
                    else ("unknown", None, "", "", "")
                ),
                victim=(
                    (vic[0], vic[1], vic[2], vic[3], vic[4], vic[5])
                    if vic
                    else ("unknown", None, "", "", "", "")
                ),
                extra=tuple(victims.get(pk, [])[1:]),
            )
            idx = wanted[pk]
            station_key = str(station_id) if station_id else ""
            if self._digest(row, station_key, personal=False) != self.case_public[idx]:
                self._error(
                    self.cases,
                    self.case_line[idx],
                    "case_ref",
                    gettext_noop("This case is already in the database with different data."),
                )

    def _load_existing_events(self, by_db: dict[int, int]) -> None:
        """The events of these database cases (id → case index), for de-duplication."""
        rows = Event.objects.filter(case_id__in=list(by_db)).values_list(
            "case_id", "date", "type", "detail"
        )
        for case_id, day, type_, detail in rows:
            detail_id = self.details.get(detail)
            if detail_id is None:
                detail_id = self.details[detail] = len(self.detail_text)
                self.detail_text.append(detail)
            self.ev_case.append(by_db[case_id])
            self.ev_date.append(day.toordinal())
            self.ev_rank.append(timeline.TYPE_RANK.get(type_, len(timeline.EVENT_ORDER)))
            self.ev_detail.append(detail_id)
            self.ev_line.append(0)
            self.ev_existing.append(1)

    # --- phase 4: sort, de-duplicate, derive states ----------------------------------------

    def plan(self) -> None:
        ev_case = np.frombuffer(self.ev_case, dtype=np.int32)
        ev_date = np.frombuffer(self.ev_date, dtype=np.int32)
        ev_rank = np.frombuffer(self.ev_rank, dtype=np.int8)
        ev_detail = np.frombuffer(self.ev_detail, dtype=np.int32)
        ev_line = np.frombuffer(self.ev_line, dtype=np.int32)
        existing = np.frombuffer(self.ev_existing, dtype=np.int8)
        opened = np.frombuffer(self.case_opened, dtype=np.int32)
        # An event before the case's opening (its first consultation) is a bad row.
        if len(ev_case):
            early = (existing == 0) & (ev_date < opened[ev_case])
            for line in ev_line[early].tolist():
                self._error(
                    self.events,
                    line,
                    "date",
                    gettext_noop("The date is before the case's opened_on date."),
                )
        # Details sort by their text, so that the order never depends on the file's.
        detail_order = np.argsort(np.array(self.detail_text, dtype=object), kind="stable")
        detail_sort = np.empty(len(detail_order), dtype=np.int32)
        detail_sort[detail_order] = np.arange(len(detail_order), dtype=np.int32)
        order = np.lexsort((-existing, detail_sort[ev_detail], ev_rank, ev_date, ev_case))
        self.s_case = ev_case[order]
        self.s_date = ev_date[order]
        self.s_rank = ev_rank[order]
        self.s_detail = ev_detail[order]
        s_existing = existing[order]
        # The unsorted arrays are no longer needed: free them before the next steps.
        del order, ev_case, ev_date, ev_rank, ev_detail, ev_line, existing, opened
        self.ev_case, self.ev_date, self.ev_detail = array("i"), array("i"), array("i")
        self.ev_rank, self.ev_existing, self.ev_line = array("b"), array("b"), array("i")
        n = len(self.s_case)
        first = np.ones(n, dtype=bool)
        if n:
            first[1:] = (
                (self.s_case[1:] != self.s_case[:-1])
                | (self.s_date[1:] != self.s_date[:-1])
                | (self.s_rank[1:] != self.s_rank[:-1])
                | (self.s_detail[1:] != self.s_detail[:-1])
            )
        starts = np.flatnonzero(first).astype(np.int32)
        del first
        sizes = np.diff(np.append(starts, n)).astype(np.int32)
        group_existing = s_existing[starts] == 1
        self.summary.events_unchanged = int(np.count_nonzero(group_existing & (sizes > 1)))
        self.unique = starts
        self.new_mask = ~group_existing
        self.summary.events_created = int(np.count_nonzero(self.new_mask))
        n_cases = len(self.case_line)
        case_db = np.frombuffer(self.case_db, dtype=np.int64)
        case_line = np.frombuffer(self.case_line, dtype=np.int32)
        self.summary.cases_created = int(np.count_nonzero((case_db == 0) & (case_line > 0)))
        self.summary.cases_unchanged = int(np.count_nonzero((case_db != 0) & (case_line > 0)))
        self.summary.people_created = 2 * self.summary.cases_created
        # Which cases need their cached state (re)computed: new ones, and those with new events.
        touched = np.zeros(n_cases, dtype=bool)
        touched[(case_db == 0) & (case_line > 0)] = True
        touched[self.s_case[starts[self.new_mask]]] = True
        self.touched = touched
        self.state_open = np.zeros(n_cases, dtype=bool)
        self.state_measure = np.full(n_cases, -1, dtype=np.int8)
        self.state_measure_on = np.zeros(n_cases, dtype=np.int32)
        if not self.errors:
            self._derive_states()

    def _derive_states(self) -> None:
        """Each touched case's cached columns, by `timeline.case_state` over all its events."""
        u_case = self.s_case[self.unique]
        u_date = self.s_date[self.unique]
        u_rank = self.s_rank[self.unique]
        u_detail = self.s_detail[self.unique]
        n = len(u_case)
        bounds = np.flatnonzero(np.diff(u_case)) + 1
        starts = np.concatenate(([0], bounds)) if n else np.array([], dtype=np.int64)
        ends = np.append(bounds, n) if n else np.array([], dtype=np.int64)
        days: dict[int, dt.date] = {}
        types = timeline.EVENT_ORDER
        measure_rank = {m: i for i, m in enumerate(timeline.MEASURES)}
        texts = self.detail_text
        touched = self.touched
        step = 10_000
        for lo in range(0, len(starts), step):
            s_chunk = starts[lo : lo + step]
            e_chunk = ends[lo : lo + step]
            if not len(s_chunk):
                continue
            a, b = int(s_chunk[0]), int(e_chunk[-1])
            c_case = u_case[a:b].tolist()
            c_date = u_date[a:b].tolist()
            c_rank = u_rank[a:b].tolist()
            c_detail = u_detail[a:b].tolist()
            for s, e in zip(s_chunk.tolist(), e_chunk.tolist(), strict=True):
                idx = c_case[s - a]
                if not touched[idx]:
                    continue
                evs = []
                for i in range(s - a, e - a):
                    ordinal = c_date[i]
                    day = days.get(ordinal)
                    if day is None:
                        day = days[ordinal] = dt.date.fromordinal(ordinal)
                    rank = c_rank[i]
                    evs.append(
                        timeline.Ev(
                            day,
                            types[rank] if rank < len(types) else "",
                            texts[c_detail[i]],
                            i,
                        )
                    )
                state = timeline.case_state(evs)
                self.state_open[idx] = state.is_open
                if state.latest_measure:
                    self.state_measure[idx] = measure_rank[state.latest_measure]
                    assert state.latest_measure_on is not None
                    self.state_measure_on[idx] = state.latest_measure_on.toordinal()

    # --- phase 5: write -----------------------------------------------------------------

    def write(self) -> None:
        now = timezone.now()
        big = connection.vendor == "sqlite" and len(self.s_case) > 100_000
        with transaction.atomic():
            if big:
                # A larger page cache keeps the event indexes' pages in memory while
                # a large import appends to them (the connection's default is 2 MB).
                with connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            self._create_stations()
            self._insert_cases(now)
            self._update_cases()
            self._insert_events(now)
            self._refresh_referrals()
            self._refresh_home_marks()
            audit(
                actor=self.actor,
                action="interchange.import",
                prefecture=(
                    Region.objects.get(code=next(iter(self.scope)))
                    if self.scope and len(self.scope) == 1
                    else None
                ),
                files=self.summary.files,
                stations_created=self.summary.stations_created,
                unknown_clinics=self.summary.unknown_clinics,
                counts=self.summary.counts(),
            )
        if big:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -2000")

    def _create_stations(self) -> None:
        by_pref: dict[str, int] = {}
        for (pref, text), _ in sorted(self.new_stations.items()):
            if pref not in by_pref:
                codes = Region.objects.filter(
                    kind=Region.Kind.STATION, parent_id=self.pref_ids[pref]
                ).values_list("code", flat=True)
                numbers = [
                    int(c.rsplit("-", 1)[1]) for c in codes if c.rsplit("-", 1)[-1].isdigit()
                ]
                by_pref[pref] = max(numbers, default=0)
            by_pref[pref] += 1
            code = f"{pref}-{by_pref[pref]:03d}"
            while Region.objects.filter(code=code).exists():
                by_pref[pref] += 1
                code = f"{pref}-{by_pref[pref]:03d}"
            region = Region.objects.create(
                code=code,
                kind=Region.Kind.STATION,
                parent_id=self.pref_ids[pref],
                name_ja=text,
                name_en=text,
            )
            self.new_stations[(pref, text)] = region.pk

    def _day(self, ordinal: int) -> Any:
        """A date ordinal as the database driver takes a date."""
        value = self._db_days.get(ordinal)
        if value is None:
            value = connection.ops.adapt_datefield_value(dt.date.fromordinal(ordinal))
            self._db_days[ordinal] = value
        return value

    def _station_id(self, row: _CaseRow) -> int | None:
        if not row.station:
            return None
        found = self.stations.get(row.prefecture, {}).get(row.station)
        if found is not None:
            return found
        return self.new_stations[(row.prefecture, row.station)]

    def _insert_cases(self, now: dt.datetime) -> None:
        ops = connection.ops
        day = self._day
        created_at = ops.adapt_datetimefield_value(now)
        actor_id = self.actor.pk if self.actor is not None and self.actor.pk else None
        case_cols = (
            "prefecture_id, station_id, ref, opened_on, relationship, created_at, created_by_id, "
            "is_open, latest_measure, latest_measure_on"
        )
        encrypt = EncryptedTextField().get_prep_value
        prep = {name: encrypt for name in Person.PROTECTED_FIELDS}
        batch: list[tuple[int, _CaseRow]] = []
        done = set()
        measures = timeline.MEASURES

        def flush() -> None:
            if not batch:
                return
            values = []
            params: list[Any] = []
            for idx, row in batch:
                values.append("(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
                m = int(self.state_measure[idx])
                params += [
                    self.pref_ids[row.prefecture],
                    self._station_id(row),
                    row.ref,
                    day(row.opened_on.toordinal()),
                    row.relationship,
                    created_at,
                    actor_id,
                    bool(self.state_open[idx]),
                    measures[m] if m >= 0 else "",
                    day(int(self.state_measure_on[idx])) if m >= 0 else None,
                ]
            sql = f"INSERT INTO cases_case ({case_cols}) VALUES {', '.join(values)} RETURNING id"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                ids = [r[0] for r in cursor.fetchall()]
                people = []
                for (idx, row), pk in zip(batch, ids, strict=True):
                    self.case_db[idx] = pk
                    o_sex, o_age, o_name, o_address, o_phone = row.offender
                    v_sex, v_age, v_name, v_addr, v_phone, v_work = row.victim
                    people.append(
                        (
                            pk,
                            "offender",
                            prep["name"](o_name),
                            o_sex,
                            o_age,
                            prep["address"](o_address),
                            prep["phone"](o_phone),
                            "",
                        )
                    )
                    people.append(
                        (
                            pk,
                            "victim",
                            prep["name"](v_name),
                            v_sex,
                            v_age,
                            prep["address"](v_addr),
                            prep["phone"](v_phone),
                            prep["workplace"](v_work),
                        )
                    )
                    for e_sex, e_age, e_name, e_addr, e_phone, e_work in row.extra:
                        people.append(
                            (
                                pk,
                                "victim",
                                prep["name"](e_name),
                                e_sex,
                                e_age,
                                prep["address"](e_addr),
                                prep["phone"](e_phone),
                                prep["workplace"](e_work),
                            )
                        )
                _bulk_insert(
                    cursor,
                    "cases_person",
                    ("case_id", "role", "name", "sex", "age", "address", "phone", "workplace"),
                    people,
                )
            batch.clear()

        for _, row in self._case_rows(check=False):
            idx = self.keys[row.key]
            if self.case_db[idx] != 0 or idx in done:
                continue
            done.add(idx)
            batch.append((idx, row))
            if len(batch) >= CASE_BATCH:
                flush()
        flush()

    def _update_cases(self) -> None:
        """Cached columns of cases that were in the database and got new events."""
        rows = []
        measures = timeline.MEASURES
        for idx in np.flatnonzero(self.touched).tolist():
            if idx in self._fresh:
                continue
            m = int(self.state_measure[idx])
            rows.append(
                (
                    bool(self.state_open[idx]),
                    measures[m] if m >= 0 else "",
                    self._day(int(self.state_measure_on[idx])) if m >= 0 else None,
                    self.case_db[idx],
                )
            )
        with connection.cursor() as cursor:
            for start in range(0, len(rows), EVENT_BATCH):
                cursor.executemany(
                    "UPDATE cases_case SET is_open = %s, latest_measure = %s, "
                    "latest_measure_on = %s WHERE id = %s",
                    rows[start : start + EVENT_BATCH],
                )

    def _refresh_referrals(self) -> None:
        """Referral stages are a cache of the timeline: refresh those of the database
        cases that got new events (a new case has no referral yet)."""
        from tsunagu.treatment.models import Referral
        from tsunagu.treatment.services import referral_refresh

        ids = [
            self.case_db[idx]
            for idx in np.flatnonzero(self.touched).tolist()
            if idx not in self._fresh
        ]
        for start in range(0, len(ids), EVENT_BATCH):
            referrals = Referral.objects.filter(case_id__in=ids[start : start + EVENT_BATCH])
            for referral in referrals.select_related("case", "clinic"):
                referral_refresh(referral)

    def _refresh_home_marks(self) -> None:
        """The home page's follow-up sources and condition breaches: a cache of the
        timeline, rewritten for every touched case."""
        from tsunagu.treatment.home_marks import refresh_cases

        refresh_cases(int(self.case_db[idx]) for idx in np.flatnonzero(self.touched).tolist())

    def _insert_events(self, now: dt.datetime) -> None:
        ops = connection.ops
        recorded_at = ops.adapt_datetimefield_value(now)
        actor_id = self.actor.pk if self.actor is not None and self.actor.pk else None
        picks = self.unique[self.new_mask]
        types = timeline.EVENT_ORDER
        texts = self.detail_text
        case_db = self.case_db
        day = self._day
        bar = _Progress(self.progress, len(picks), "write ")
        with connection.cursor() as cursor:
            for start in range(0, len(picks), EVENT_BATCH):
                chunk = picks[start : start + EVENT_BATCH]
                rows = [
                    (case_db[c], day(d), types[r], r, texts[t], recorded_at, actor_id)
                    for c, d, r, t in zip(
                        self.s_case[chunk].tolist(),
                        self.s_date[chunk].tolist(),
                        self.s_rank[chunk].tolist(),
                        self.s_detail[chunk].tolist(),
                        strict=True,
                    )
                ]
                _bulk_insert(cursor, "cases_event", EVENT_INSERT_COLUMNS, rows)
                bar.bar.update(len(rows))
        bar.close()

    # --- the whole ----------------------------------------------------------------------

    def run(self, dry_run: bool = False) -> ImportSummary:
        self.summary.dry_run = dry_run
        self.check_cases()
        self.check_events()
        self.match_database()
        self.plan()
        self.summary.stations_created = sorted(f"{p} {t}" for p, t in self.new_stations)
        self.summary.unknown_clinics = sorted(self.unknown_clinics)
        self.errors.sort(key=lambda e: (e.file != self.cases.name, e.file, e.line, e.column))
        if self.errors or dry_run:
            return self.summary
        self._fresh = {
            idx
            for idx in range(len(self.case_line))
            if self.case_db[idx] == 0 and self.case_line[idx] > 0
        }
        try:
            self.write()
        except IntegrityError:
            # Someone else wrote the same case or event between the check and the write.
            self.errors.append(
                fmt.RowError(
                    "",
                    0,
                    "",
                    gettext_noop(
                        "The same cases were changed by someone else during the import; "
                        "nothing was written. Try again."
                    ),
                )
            )
        return self.summary


EVENT_INSERT_COLUMNS = (
    "case_id",
    "date",
    "type",
    "rank",
    "detail",
    "recorded_at",
    "recorded_by_id",
)


def _bulk_insert(cursor: Any, table: str, columns: tuple[str, ...], rows: list[Any]) -> None:
    """Insert rows: COPY on PostgreSQL (much faster than one INSERT a row), else executemany."""
    if connection.vendor == "postgresql":
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    cursor.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
        rows,
    )


def import_files(
    path: Path,
    *,
    actor: User | None = None,
    dry_run: bool = False,
    encoding: str | None = None,
    scope: set[str] | None = None,
    progress: bool = False,
) -> ImportSummary:
    """Import a folder (cases.csv + events.csv) or an .xlsx workbook."""
    cases, events, files = fmt.open_input(path, encoding)
    importer = Importer(cases, events, files=files, actor=actor, scope=scope, progress=progress)
    return importer.run(dry_run=dry_run)
