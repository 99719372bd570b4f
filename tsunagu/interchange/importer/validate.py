"""Validating the input, row by row (phases 1 and 2 of an import).

Each bad row becomes a `RowError`; good rows become compact entries in the
shared arrays (see `base.ImportState`).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

from django.utils.translation import gettext_noop

from tsunagu.cases import timeline
from tsunagu.cases.models import RELATIONSHIPS, SEXES
from tsunagu.core.models import Role
from tsunagu.interchange import format as fmt
from tsunagu.interchange.importer.base import (
    ASSESSMENT_LINE_BASE,
    CODED_DETAILS,
    EXTRA_VICTIM_KEYS,
    OPTIONAL_CODES,
    OUTSIDE_SCOPE,
    AssessmentRow,
    CaseRow,
    ImportState,
    Progress,
)
from tsunagu.risk.models import Instrument


class Validator(ImportState):
    """Phases 1 and 2: check `cases` and `events`, row by row."""

    def _station_key(self, pref: str, text: str, line: int) -> str:
        """The station a text names: its id, or the text for a station to create."""
        if not text:
            return ""
        found = self.stations.get(pref, {}).get(text)
        if found is not None:
            return str(found)
        self.new_stations.setdefault((pref, text), 0)
        self.new_station_lines.setdefault((pref, text), line)
        return "new:" + text

    def check_stations(self) -> None:
        """Unknown police stations are bad rows unless their creation was chosen."""
        if self.create_stations:
            return
        for (pref, text), line in sorted(self.new_station_lines.items(), key=lambda kv: kv[1]):
            self._error(
                self.cases,
                line,
                "station",
                gettext_noop(
                    "Unknown police station “%(value)s” in prefecture %(prefecture)s: "
                    "correct the name, or choose to create the station."
                ),
                value=text,
                prefecture=pref,
            )

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
            self._error(table, line, "prefecture", OUTSIDE_SCOPE)
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

    def _case_rows(self, check: bool) -> Iterator[tuple[int, CaseRow]]:
        """Validated case rows; with `check`, bad ones are reported (and skipped)."""
        table = self.cases
        positions = [table.index.get(c, -1) for c in fmt.CASE_COLUMNS]
        bar = Progress(self.progress and check, table, "cases ")
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
            n_errors = self.summary.error_count
            if check:
                self._check_nul(table, line, row)
            if not ref:
                self._error(table, line, "case_ref", gettext_noop("A case reference is required."))
            elif len(ref) > fmt.MAX_REF:
                self._error(
                    table, line, "case_ref", gettext_noop("The case reference is too long.")
                )
            pref: str | None = pref_raw
            if self.own_only and self._outside(pref_raw):
                if check:
                    self.summary.rows_skipped += 1
                continue
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
            if self.summary.error_count > n_errors:
                if not check:
                    raise AssertionError("a row changed between the two passes")
                if ref and pref:
                    self._register_bad(f"{pref}\t{ref}")
                continue
            assert pref is not None and opened is not None
            yield (
                line,
                CaseRow(
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

    def check_cases(self) -> None:
        table = self.cases
        table.require(fmt.CASE_REQUIRED)
        for line, row in self._case_rows(check=True):
            station_key = self._station_key(row.prefecture, row.station, line)
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
        bar = Progress(self.progress, table, "events")
        for line, row in table.rows():
            bar.tick()
            if len(row) <= need:
                row = row + [""] * (need + 1 - len(row))
            ref = row[p_ref].strip()
            pref_raw = row[p_pref].strip()
            date_raw = row[p_date].strip()
            type_ = row[p_type].strip()
            detail = row[p_detail].strip() if 0 <= p_detail < len(row) else ""
            if self.own_only and self._outside(pref_raw):
                self.summary.rows_skipped += 1
                continue
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
        if (
            coded is not None
            and detail not in coded
            and not (detail == "" and type_ in OPTIONAL_CODES)
        ):
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

    # --- phase 2b: assessments (optional file) --------------------------------------

    def check_assessments(self) -> None:
        """Each row names a loaded instrument version and one of its levels; it also
        stands for its `risk_assessed` event (added to the event arrays, so that a
        row matching an event of events.csv or of the database is the same event)."""
        table = self.assessments
        if table is None:
            return
        table.require(fmt.ASSESSMENT_REQUIRED)
        positions = [table.index.get(c, -1) for c in fmt.ASSESSMENT_COLUMNS]
        # Per prefecture code, its instrument versions by name: a row matches only
        # an instrument its prefecture's police use (its own or a national one).
        loaded: dict[str, dict[str, dict[str, Instrument]]] = {}
        roles = (Role.OFFICER.value, Role.SUPERVISOR.value)
        rank = timeline.TYPE_RANK[timeline.RISK_ASSESSED]
        seen: dict[tuple[int, int, str], AssessmentRow] = {}
        for line, row in table.rows():
            width = len(row)
            ref, pref_raw, date_raw, name, version, level, role = (
                row[p].strip() if 0 <= p < width else "" for p in positions
            )
            if self.own_only and self._outside(pref_raw):
                self.summary.rows_skipped += 1
                continue
            n_errors = self.summary.error_count
            self._check_nul(table, line, row)
            pref = self._prefecture(table, line, pref_raw)
            if not ref:
                self._error(table, line, "case_ref", gettext_noop("A case reference is required."))
            ordinal = self._date(table, line, "date", date_raw)
            instrument = None
            if pref is not None:  # else the prefecture's error is the row's
                if pref not in loaded:
                    loaded[pref] = self._instruments_of(pref)
                instrument = self._instrument(table, line, loaded[pref], name, version, level)
            role = role or Role.OFFICER.value
            if role not in roles:
                self._error(
                    table,
                    line,
                    "assessed_by_role",
                    gettext_noop("“%(value)s” is not one of %(codes)s."),
                    value=role,
                    codes=", ".join(roles),
                )
            if self.summary.error_count > n_errors:
                continue
            assert instrument is not None and ordinal is not None
            key = f"{pref}\t{ref}"
            idx = self.keys.get(key)
            if idx is None:
                idx = self._new_case(key, 0, 0, 0, 0)
            entry = AssessmentRow(line, idx, ordinal, level, instrument, role)
            first = seen.get((idx, ordinal, level))
            if first is not None:
                if (first.instrument.pk, first.role) != (instrument.pk, role):
                    self._error(
                        table,
                        line,
                        "instrument",
                        gettext_noop(
                            "This case's assessment of that date and level is already on "
                            "line %(first)s with different data."
                        ),
                        first=first.line,
                    )
                continue
            seen[(idx, ordinal, level)] = entry
            if self.case_line[idx] == 0:
                self.assessment_missing.setdefault(idx, []).append(line)
            self.assessment_rows.append(entry)
            detail_id = self.details.get(level)
            if detail_id is None:
                detail_id = self.details[level] = len(self.detail_text)
                self.detail_text.append(level)
            self.ev_case.append(idx)
            self.ev_date.append(ordinal)
            self.ev_rank.append(rank)
            self.ev_detail.append(detail_id)
            self.ev_line.append(ASSESSMENT_LINE_BASE + line)
            self.ev_existing.append(0)

    def _instruments_of(self, pref: str) -> dict[str, dict[str, Instrument]]:
        """The instrument versions of one prefecture, by name and version; its own
        version wins over a national one of the same name and version."""
        found: dict[str, dict[str, Instrument]] = {}
        for row in Instrument.objects.for_prefecture(self.pref_ids[pref]):
            versions = found.setdefault(row.name, {})
            if row.prefecture_id is not None or row.version not in versions:
                versions[row.version] = row
        return found

    def _instrument(
        self,
        table: fmt.Table,
        line: int,
        loaded: dict[str, dict[str, Instrument]],
        name: str,
        version: str,
        level: str,
    ) -> Instrument | None:
        """The loaded instrument version a row names, with the level checked against it."""
        if name not in loaded:
            self._error(
                table,
                line,
                "instrument",
                gettext_noop("Unknown instrument “%(value)s”: load it before importing."),
                value=name,
            )
            return None
        instrument = loaded[name].get(version)
        if instrument is None:
            self._error(
                table,
                line,
                "version",
                gettext_noop(
                    "Version “%(value)s” of instrument %(name)s is not loaded: load it "
                    "before importing."
                ),
                value=version,
                name=name,
            )
            return None
        if level not in {lv["code"] for lv in instrument.levels()}:
            self._error(
                table,
                line,
                "level",
                gettext_noop("“%(value)s” is not a level of %(instrument)s."),
                value=level,
                instrument=str(instrument),
            )
            return None
        return instrument
