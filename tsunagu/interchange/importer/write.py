"""Writing a validated, planned import (phase 5): raw SQL for speed.

Rows are written directly (multi-row INSERT … RETURNING, COPY on PostgreSQL,
executemany on SQLite), not through `save()`; they carry the same data as the
services write (rank column, cached case columns, encrypted personal fields).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from tsunagu.cases import signals as case_signals
from tsunagu.cases import timeline
from tsunagu.cases.models import Event, Person
from tsunagu.core.audit import audit
from tsunagu.core.fields import as_text, seal_rows
from tsunagu.core.models import Region
from tsunagu.interchange.importer.base import (
    CASE_BATCH,
    EVENT_BATCH,
    SQLITE_CACHE_KIB,
    CaseRow,
    ImportState,
    Progress,
)
from tsunagu.risk import summary as risk_summary
from tsunagu.risk.models import Assessment
from tsunagu.risk.services import assessments_refresh_cases


class Writer(ImportState):
    """Phase 5: write everything in one transaction."""

    def write(self) -> None:
        """Everything in one transaction; the time inside it (the write lock on
        SQLite) is kept in `summary.write_seconds`."""
        now = timezone.now()
        big = connection.vendor == "sqlite" and len(self.s_case) > 100_000
        started, cpu_started = time.monotonic(), time.process_time()
        with transaction.atomic():
            if big:
                # A larger page cache keeps the event indexes' pages in memory while
                # a large import appends to them (the connection's default is 2 MB).
                with connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            steps = self.summary.write_steps
            for name, step in (
                ("stations", self._create_stations),
                ("cases", lambda: self._insert_cases(now)),
                ("case_updates", self._update_cases),
                ("events", lambda: self._insert_events(now)),
                ("assessments", lambda: self._insert_assessments(now)),
                ("referrals", self._refresh_referrals),
                ("home_marks", self._refresh_home_marks),
                ("summaries", lambda: case_signals.bulk_written.send(sender=Event)),
            ):
                step_started = time.monotonic()
                step()
                steps[name] = round(time.monotonic() - step_started, 3)
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
        self.summary.write_seconds = time.monotonic() - started
        self.summary.write_cpu_seconds = time.process_time() - cpu_started
        if big:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -2000")
        started = time.monotonic()
        analyze(("cases_case", "cases_person", "cases_event"))
        self.summary.analyze_seconds = time.monotonic() - started

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

    def _station_id(self, row: CaseRow) -> int | None:
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
        measures = timeline.MEASURES
        pending = self.pending_cases
        p_columns, p_rows, p_counts = self.pending_people
        p_start = 0
        case_db = self.case_db
        for start in range(0, len(pending), CASE_BATCH):
            batch = pending[start : start + CASE_BATCH]
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
                for (idx, _), pk in zip(batch, ids, strict=True):
                    self.case_db[idx] = pk
                # The people's rows were sealed before the transaction, with the
                # case's index where its id goes.
                end = p_start + sum(p_counts[start : start + CASE_BATCH])
                people = [(case_db[r[0]], *r[1:]) for r in p_rows[p_start:end]]
                p_start = end
                _bulk_insert(cursor, "cases_person", p_columns, people)
        self.pending_cases = []
        self.pending_people = None

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

    def _insert_assessments(self, now: dt.datetime) -> None:
        """The new assessments (no answers, text, review or plan: the file has none),
        each on its `risk_assessed` event, then the cache of which ones count for
        every case that got an assessment or an event."""
        rows = self.assessment_rows
        for start in range(0, len(rows), CASE_BATCH):
            batch = rows[start : start + CASE_BATCH]
            case_ids = {int(self.case_db[r.case]) for r in batch}
            taken = set(
                Assessment.objects.filter(case_id__in=case_ids).values_list("event_id", flat=True)
            )
            events: dict[tuple[int, dt.date, str], int] = {}
            for pk, case_id, day, detail in (
                Event.objects.filter(case_id__in=case_ids, type=timeline.RISK_ASSESSED)
                .order_by("id")
                .values_list("id", "case_id", "date", "detail")
            ):
                if pk not in taken:
                    events.setdefault((case_id, day, detail), pk)
            created = []
            for r in batch:
                order, top = risk_summary.level_order(r.instrument.definition, r.level)
                created.append(
                    Assessment(
                        case_id=int(self.case_db[r.case]),
                        instrument=r.instrument,
                        event_id=events.pop(
                            (int(self.case_db[r.case]), dt.date.fromordinal(r.date), r.level)
                        ),
                        date=dt.date.fromordinal(r.date),
                        level=r.level,
                        level_order=order,
                        is_top=top,
                        assessed_by_role=r.role,
                        recorded_at=now,
                    )
                )
            Assessment.objects.bulk_create(created)
        refresh = {int(self.case_db[r.case]) for r in rows}
        refresh.update(int(self.case_db[i]) for i in np.flatnonzero(self.touched).tolist())
        assessments_refresh_cases(sorted(refresh))
        self.assessment_rows = []

    def _refresh_referrals(self) -> None:
        """Referral stages are a cache of the timeline: refresh those of the database
        cases that got new events (a new case has no referral yet)."""
        from tsunagu.treatment.loop import referral_refresh
        from tsunagu.treatment.models import Referral

        ids = [
            self.case_db[idx]
            for idx in np.flatnonzero(self.touched).tolist()
            if idx not in self._fresh
        ]
        for start in range(0, len(ids), EVENT_BATCH):
            referrals = Referral.objects.filter(case_id__in=ids[start : start + EVENT_BATCH])
            for referral in referrals.select_related("case", "clinic"):
                referral_refresh(referral)

    def prepare_people(self) -> None:
        """The new cases' people, encrypted before the write transaction (each value
        is bound to a fresh ref of its own row, not to the row's id)."""
        rows: list[tuple[Any, ...]] = []
        counts: list[int] = []
        for idx, row in self.pending_cases:
            mine = person_rows(idx, row)  # the case's index stands in for its id
            rows += mine
            counts.append(len(mine))
        columns, sealed = seal_rows(Person, PERSON_INSERT_COLUMNS, rows)
        self.pending_people = (columns, sealed, counts)

    def prepare_events(self) -> None:
        """The new events' columns, built before the write transaction: inside it,
        only the case ids (known once the new cases are inserted) are added."""
        picks = self.unique[self.new_mask]
        # Inserted in the file's order, so that the row ids record it: events of one
        # date that the type list does not order keep that order (DESIGN §4).
        picks = picks[np.argsort(self.s_line[picks], kind="stable")]
        types = timeline.EVENT_ORDER
        texts = self.detail_text
        day = self._day
        ranks = self.s_rank[picks].tolist()
        self.pending_events = (
            self.s_case[picks],
            [day(d) for d in self.s_date[picks].tolist()],
            [types[r] for r in ranks],
            ranks,
            [texts[t] for t in self.s_detail[picks].tolist()],
        )

    def _refresh_home_marks(self) -> None:
        """The home page's follow-up sources and condition breaches: a cache of the
        timeline, rewritten for every touched case."""
        from tsunagu.treatment.home_marks import refresh_cases

        refresh_cases(int(self.case_db[idx]) for idx in np.flatnonzero(self.touched).tolist())

    def _insert_events(self, now: dt.datetime) -> None:
        recorded_at = connection.ops.adapt_datetimefield_value(now)
        actor_id = self.actor.pk if self.actor is not None and self.actor.pk else None
        case_idx, days, type_names, ranks, details = self.pending_events
        case_ids = np.frombuffer(self.case_db, dtype=np.int64)[case_idx].tolist()
        bar = Progress(self.progress, len(case_ids), "write ")
        with connection.cursor() as cursor:
            for a in range(0, len(case_ids), EVENT_BATCH):
                b = a + EVENT_BATCH
                ids = case_ids[a:b]
                rows = list(
                    zip(
                        ids,
                        days[a:b],
                        type_names[a:b],
                        ranks[a:b],
                        details[a:b],
                        [recorded_at] * len(ids),
                        [actor_id] * len(ids),
                        strict=True,
                    )
                )
                _bulk_insert(cursor, "cases_event", EVENT_INSERT_COLUMNS, rows)
                bar.bar.update(len(rows))
        bar.close()
        self.pending_events = None


PERSON_INSERT_COLUMNS = ("case_id", "role", "name", "sex", "age", "address", "phone", "workplace")
# Plaintext here; seal_rows encrypts each row bound to its own ref.
_encrypt = as_text


def person_rows(case_id: int, row: CaseRow) -> list[tuple[Any, ...]]:
    """The `cases_person` rows of a new case (PERSON_INSERT_COLUMNS), personal fields
    as plaintext; `seal_rows` encrypts them just before the insert."""
    o_sex, o_age, o_name, o_address, o_phone = row.offender
    v_sex, v_age, v_name, v_addr, v_phone, v_work = row.victim
    enc = _encrypt
    rows: list[tuple[Any, ...]] = [
        (case_id, "offender", enc(o_name), o_sex, o_age, enc(o_address), enc(o_phone), ""),
        (case_id, "victim", enc(v_name), v_sex, v_age, enc(v_addr), enc(v_phone), enc(v_work)),
    ]
    for e_sex, e_age, e_name, e_addr, e_phone, e_work in row.extra:
        rows.append(
            (case_id, "victim", enc(e_name), e_sex, e_age, enc(e_addr), enc(e_phone), enc(e_work))
        )
    return rows


EVENT_INSERT_COLUMNS = (
    "case_id",
    "date",
    "type",
    "rank",
    "detail",
    "recorded_at",
    "recorded_by_id",
)


def analyze(tables: tuple[str, ...]) -> None:
    """Fresh planner statistics for the tables an import filled (after the commit).

    PostgreSQL plans badly without them when autovacuum is off or has not run
    yet; SQLite samples (analysis_limit) so that it stays quick on a large table.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit = 1000")
            for table in tables:
                cursor.execute(f"ANALYZE {table}")


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
