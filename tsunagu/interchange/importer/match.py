"""Matching the input with the database (phase 3 of an import): the cases
already there (compared on their non-personal columns) and their events (for
de-duplication)."""

from __future__ import annotations

from array import array
from typing import Any

from django.utils.translation import gettext_noop

from tsunagu.cases import timeline
from tsunagu.cases.models import Case, Event, Person
from tsunagu.interchange.importer.base import CaseRow, ImportState
from tsunagu.risk.models import Assessment

# Below every file line (int32), so that database events sort first.
EXISTING_LINE_BASE = 2**30


class Matcher(ImportState):
    """Phase 3: what the database already holds."""

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
        if self.assessments is not None:
            for idx, lines in self.assessment_missing.items():
                if self.case_db[idx] == 0 and not self.case_bad[idx]:
                    for line in lines:
                        self._error(
                            self.assessments,
                            line,
                            "case_ref",
                            gettext_noop("No such case in cases.csv nor in the database."),
                        )
            self._match_assessments()
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
            row = CaseRow(
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
        rows = (
            Event.objects.filter(case_id__in=list(by_db))
            .order_by("id")
            .values_list("case_id", "date", "type", "detail")
        )
        # Database events were recorded before any row of the file: negative "lines"
        # in id order place them first in the recorded order.
        for seq, (case_id, day, type_, detail) in enumerate(rows):
            detail_id = self.details.get(detail)
            if detail_id is None:
                detail_id = self.details[detail] = len(self.detail_text)
                self.detail_text.append(detail)
            self.ev_case.append(by_db[case_id])
            self.ev_date.append(day.toordinal())
            self.ev_rank.append(timeline.TYPE_RANK.get(type_, len(timeline.EVENT_ORDER)))
            self.ev_detail.append(detail_id)
            self.ev_line.append(seq - EXISTING_LINE_BASE)
            self.ev_existing.append(1)

    def _match_assessments(self) -> None:
        """An assessments row already in the database is unchanged if it names the
        same instrument version and role, and a bad row otherwise; the rows left
        are the ones to create (`assessment_rows`)."""
        in_db = [r for r in self.assessment_rows if self.case_db[r.case]]
        new = [r for r in self.assessment_rows if not self.case_db[r.case]]
        for start in range(0, len(in_db), 500):
            rows = in_db[start : start + 500]
            known = {
                (case_id, day.toordinal(), level): (instrument_id, role)
                for case_id, day, level, instrument_id, role in Assessment.objects.filter(
                    case_id__in={self.case_db[r.case] for r in rows}
                ).values_list("case_id", "date", "level", "instrument_id", "assessed_by_role")
            }
            for row in rows:
                found = known.get((self.case_db[row.case], row.date, row.level))
                if found is None:
                    new.append(row)
                elif found == (row.instrument.pk, row.role):
                    self.summary.assessments_unchanged += 1
                else:
                    assert self.assessments is not None
                    self._error(
                        self.assessments,
                        row.line,
                        "instrument",
                        gettext_noop(
                            "This assessment is already in the database with a different "
                            "instrument or role."
                        ),
                    )
        self.assessment_rows = sorted(new)
        self.summary.assessments_created = len(new)
