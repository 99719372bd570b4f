"""Importing an interchange file set (DESIGN §3): plan and run the phases.

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
from array import array
from pathlib import Path

import numpy as np
from django.db import IntegrityError
from django.utils.translation import gettext_noop

from tsunagu.cases import timeline
from tsunagu.core.models import User
from tsunagu.interchange import format as fmt
from tsunagu.interchange.importer.base import ImportSummary
from tsunagu.interchange.importer.match import Matcher
from tsunagu.interchange.importer.validate import Validator
from tsunagu.interchange.importer.write import Writer


class Importer(Validator, Matcher, Writer):
    """Validate and import one file set. `scope` limits the prefectures allowed."""

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
                self._event_error(
                    line, "date", gettext_noop("The date is before the case's opened_on date.")
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
        # The recorded order: database events by id (negative lines), then the file's rows.
        self.s_line = ev_line[order]
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
        if not self.summary.error_count:
            self._derive_states()

    def _derive_states(self) -> None:
        """Each touched case's cached columns, by `timeline.case_state` over all its events."""
        u_case = self.s_case[self.unique]
        u_date = self.s_date[self.unique]
        u_rank = self.s_rank[self.unique]
        u_detail = self.s_detail[self.unique]
        # Each event's place in the recorded order: an identical row keeps its first place.
        u_line = self.s_line[self.unique]
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
            c_line = u_line[a:b].tolist()
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
                            c_line[i],
                        )
                    )
                state = timeline.case_state(evs)
                self.state_open[idx] = state.is_open
                if state.latest_measure:
                    self.state_measure[idx] = measure_rank[state.latest_measure]
                    assert state.latest_measure_on is not None
                    self.state_measure_on[idx] = state.latest_measure_on.toordinal()

    def prepare(self) -> None:
        """Read the new cases' rows again, before the write transaction (so that
        the write lock is not held while the file is parsed)."""
        done: set[int] = set()
        self.pending_cases = []
        for _, row in self._case_rows(check=False):
            idx = self.keys[row.key]
            if self.case_db[idx] != 0 or idx in done:
                continue
            done.add(idx)
            self.pending_cases.append((idx, row))

    # --- the whole ----------------------------------------------------------------------

    def run(self, dry_run: bool = False) -> ImportSummary:
        self.summary.dry_run = dry_run
        self.check_cases()
        self.check_events()
        self.check_assessments()
        self.match_database()
        self.check_stations()
        self.plan()
        self.summary.stations_created = sorted(f"{p} {t}" for p, t in self.new_stations)
        self.summary.unknown_clinics = sorted(self.unknown_clinics)
        self.errors.sort(key=lambda e: (e.file != self.cases.name, e.file, e.line, e.column))
        if self.summary.error_count or dry_run:
            return self.summary
        self._fresh = {
            idx
            for idx in range(len(self.case_line))
            if self.case_db[idx] == 0 and self.case_line[idx] > 0
        }
        # Everything that can be built before the write transaction is (on SQLite
        # the transaction holds the database's write lock).
        self.prepare()
        self.prepare_people()
        self.prepare_events()
        try:
            self.write()
        except IntegrityError:
            # Someone else wrote the same case or event between the check and the write.
            self.summary.add_error(
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


def import_files(
    path: Path,
    *,
    actor: User | None = None,
    dry_run: bool = False,
    encoding: str | None = None,
    scope: set[str] | None = None,
    create_stations: bool = False,
    progress: bool = False,
) -> ImportSummary:
    """Import a folder (cases.csv + events.csv, and assessments.csv if present) or
    an .xlsx workbook (sheets cases, events and an optional assessments)."""
    cases, events, files = fmt.open_input(path, encoding)
    assessments = fmt.open_assessments(path, encoding)
    if assessments is not None and assessments.sheet is None:
        files.append(assessments.path)
    importer = Importer(
        cases,
        events,
        assessments=assessments,
        files=files,
        actor=actor,
        scope=scope,
        create_stations=create_stations,
        progress=progress,
    )
    return importer.run(dry_run=dry_run)
