"""Annual stalking statistics (consultations, measures, relationship, sex and age).

Counted in the database, a handful of queries whatever the size, prefecture by
prefecture (each prefecture's part is cached on its own data version, so a write
in one prefecture recounts that prefecture only): consultations are the cases
opened in the year (`Case.opened_on`), measures the events dated in it (both
from the monthly rollup kept in step with writes, `reports/rollup.py`), people
the offenders and victims of the cases opened in it (GROUP BY over those cases,
cached per prefecture on `AnnualPeopleVersion`, which events leave alone).
Sex and age come from the plain columns of `Person`, never the encrypted ones.
Events voided by a correction are not counted.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from tsunagu.cases import timeline
from tsunagu.cases.labels import ARREST_KIND_LABELS, EVENT_LABELS, SEX_LABELS
from tsunagu.cases.models import SEXES, Case, Event, Person
from tsunagu.core.models import Code, Region
from tsunagu.reports import cache as report_cache
from tsunagu.reports import rollup
from tsunagu.reports.labels import total_label
from tsunagu.reports.models import AnnualPeopleVersion
from tsunagu.reports.tables import Table

# The measure columns of the annual tables; arrests are split by kind.
MEASURE_KINDS: tuple[str, ...] = tuple(
    kind
    for measure in timeline.COUNTED_MEASURES
    if measure != "treatment_advised"
    for kind in (
        [f"arrest_{k}" for k in timeline.ARREST_KINDS] if measure == "arrest" else [measure]
    )
)
COUNTED_TYPES = timeline.COUNTED_MEASURES
# Columns of the year-on-year table.
YEAR_COLUMNS: tuple[str, ...] = ("consultations", *timeline.COUNTED_MEASURES)

AGE_BANDS: tuple[str, ...] = (
    "under_20",
    "20s",
    "30s",
    "40s",
    "50s",
    "60s",
    "70s",
    "80_plus",
    "unknown",
)
AGE_BAND_LABELS = {
    "under_20": gettext_lazy("19 or under"),
    "20s": gettext_lazy("20s"),
    "30s": gettext_lazy("30s"),
    "40s": gettext_lazy("40s"),
    "50s": gettext_lazy("50s"),
    "60s": gettext_lazy("60s"),
    "70s": gettext_lazy("70s"),
    "80_plus": gettext_lazy("80 or over"),
    "unknown": gettext_lazy("Unknown"),
}


def age_band(age: int | None) -> str:
    """The NPA's 10-year band of an age: 〜19, 20代 … 70代, 80〜, 不明."""
    if age is None or age < 0:
        return "unknown"
    if age < 20:
        return "under_20"
    if age >= 80:
        return "80_plus"
    return f"{age // 10 * 10}s"


def default_year() -> int:
    return timezone.localdate().year


def period_of(year: int, fiscal: bool) -> tuple[dt.date, dt.date]:
    """The calendar year, or the fiscal year 年度 from April of `year` to March."""
    if fiscal:
        return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _year_of(year: int, month: int, fiscal: bool) -> int:
    return year - 1 if fiscal and month < 4 else year


def measure_label(kind: str) -> str:
    if kind.startswith("arrest_"):
        return f"{EVENT_LABELS['arrest']}（{ARREST_KIND_LABELS[kind[len('arrest_') :]]}）"
    if kind == "consultations":
        return _("Consultations")
    return str(EVENT_LABELS[kind])


Month = tuple[int, int]  # (year, month)
# One prefecture's part of the statistics: its counts by month, and the
# relationship and (role, age band, sex) counts of the cases opened in one year.
Months = dict[Month, Counter[str]]


@dataclass
class YearPart:
    relationship: Counter[str]
    people: Counter[tuple[str, str, str]]


def _prefectures(scope: QuerySet[Case]) -> list[int]:
    """The prefectures that have a case in scope (an index probe each)."""
    return list(
        Region.objects.filter(Exists(scope.filter(prefecture_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _voided(prefecture_ids: list[int]) -> list[tuple[int, dt.date, str, str]]:
    """The counted events that a correction voids, as (prefecture, date, type, detail)."""
    targets: dict[tuple[int, dt.date, str, str], int] = {}
    for prefecture, case_id, detail in Event.objects.filter(
        type="correction", case__prefecture_id__in=prefecture_ids
    ).values_list("case__prefecture_id", "case_id", "detail"):
        target = timeline.correction_target(detail)
        if target and target[0] in COUNTED_TYPES:
            targets[(case_id, target[1], target[0], target[2])] = prefecture
    if not targets:
        return []
    existing = Event.objects.filter(
        case_id__in={t[0] for t in targets}, type__in={t[2] for t in targets}
    ).values_list("case_id", "date", "type", "detail")
    return [(targets[ev], ev[1], ev[2], ev[3]) for ev in existing if ev in targets]


def monthly_counts(prefecture_ids: list[int]) -> dict[int, Months]:
    """Consultations and every measure of each prefecture, by month, over all time.

    Read from the rollup (`rollup.counts`: its stale cells recounted from the
    events first), a few queries whatever the number of prefectures; the events
    that a correction voids are taken off here.
    """
    parts: dict[int, Months] = {}

    def add(prefecture: int, key: Month, kind: str, n: int) -> None:
        parts.setdefault(prefecture, {}).setdefault(key, Counter())[kind] += n

    for (prefecture, month), counts in rollup.counts(prefecture_ids).items():
        if min(counts.values(), default=0) <= 0:
            counts = +counts  # without the kinds a recount found none of
        if counts:
            parts.setdefault(prefecture, {})[divmod(month, 100)] = counts
    for prefecture, day, kind, detail in _voided(prefecture_ids):
        add(prefecture, (day.year, day.month), kind, -1)
        if kind == "arrest":
            add(prefecture, (day.year, day.month), rollup.arrest_kind(detail), -1)
    return parts


def people_versions(prefecture_ids: list[int], start: dt.date, end: dt.date) -> dict[int, int]:
    """The version of each prefecture's relationship and people counts of the cases
    opened from `start` to `end`: the sum of its months' `AnnualPeopleVersion`
    counters, which database triggers bump with every write that can change them
    (and with nothing else: events, or a case's summary columns, leave it)."""
    found = dict(
        AnnualPeopleVersion.objects.filter(
            prefecture_id__in=prefecture_ids,
            month__gte=rollup.month_of(start),
            month__lte=rollup.month_of(end),
        )
        .order_by()
        .values("prefecture_id")
        .annotate(v=Sum("n"))
        .values_list("prefecture_id", "v")
    )
    return {p: found.get(p, 0) for p in prefecture_ids}


def year_parts(prefecture_ids: list[int], start: dt.date, end: dt.date) -> dict[int, YearPart]:
    """Relationship and people of the cases each prefecture opened from `start` to `end`.

    Each prefecture's part is cached on its `people_versions` (outside a
    transaction): a write of events only, the load's usual write, leaves it standing.
    The counters are read before anything is counted, so a write committed
    meanwhile can only make a part newer than its key.
    """
    if connection.in_atomic_block:
        return _count_year_parts(prefecture_ids, start, end)
    return report_cache.per_version(
        "annual-year-people",
        people_versions(prefecture_ids, start, end),
        (start, end),
        lambda ids: _count_year_parts(ids, start, end),
        lambda: YearPart(Counter(), Counter()),
    )


def _count_year_parts(
    prefecture_ids: list[int], start: dt.date, end: dt.date
) -> dict[int, YearPart]:
    """`year_parts` counted from the cases and people (a GROUP BY each)."""
    parts: dict[int, YearPart] = {}

    def part(prefecture: int) -> YearPart:
        return parts.setdefault(prefecture, YearPart(Counter(), Counter()))

    opened = Case.objects.filter(
        prefecture_id__in=prefecture_ids, opened_on__gte=start, opened_on__lte=end
    ).order_by()
    for prefecture, rel, n in opened.values_list("prefecture_id", "relationship").annotate(
        n=Count("id")
    ):
        part(prefecture).relationship[rel] += n
    rows = (
        Person.objects.filter(
            case__prefecture_id__in=prefecture_ids,
            case__opened_on__gte=start,
            case__opened_on__lte=end,
        )
        .order_by()
        .values_list("case__prefecture_id", "role", "sex", "age")
        .annotate(n=Count("id"))
    )
    for prefecture, role, sex, age, n in rows:
        if role in ("offender", "victim"):
            part(prefecture).people[(role, age_band(age), sex if sex in SEXES else "unknown")] += n
    return parts


YearSums = dict[bool, dict[int, dict[str, int]]]  # fiscal → year → kind → n


def _add(total: dict[str, int], counts: dict[str, int]) -> None:
    for kind, n in counts.items():  # Counter.update, without its checks
        total[kind] = total.get(kind, 0) + n


def _year_sums(prefecture_ids: list[int]) -> dict[int, YearSums]:
    """Each prefecture's monthly counts summed by calendar year and by fiscal year
    (plain dicts: a part is unpickled on every view of the statistics)."""
    parts: dict[int, YearSums] = {}
    for prefecture, months in monthly_counts(prefecture_ids).items():
        sums: YearSums = {False: {}, True: {}}
        for (year, month), counts in months.items():
            for fiscal in (False, True):
                _add(sums[fiscal].setdefault(_year_of(year, month, fiscal), {}), counts)
        parts[prefecture] = sums
    return parts


def yearly_counts(prefecture_ids: list[int], fiscal: bool) -> dict[int, Counter[str]]:
    """Consultations and every measure, by (fiscal) year, across all the years.

    The sum of each prefecture's part, its monthly counts summed by calendar and by
    fiscal year, cached on that prefecture's data version (`cache.per_prefecture`):
    after a write in one prefecture only its part is counted again. The scope of
    the statistics is whole prefectures (`Case.objects.for_statistics`), so a
    prefecture's part is the same for everyone who sees it.
    """
    parts = report_cache.per_prefecture("annual-years", prefecture_ids, (), _year_sums, dict)
    years: dict[int, Counter[str]] = {}
    for part in parts.values():
        for year, counts in part.get(fiscal, {}).items():
            _add(years.setdefault(year, Counter()), counts)
    return dict(sorted(years.items()))


@dataclass
class Annual:
    """The annual statistics of one (fiscal) year, and every year's headline figures."""

    year: int
    fiscal: bool
    date_from: dt.date
    date_to: dt.date
    prefectures: tuple[str, ...]
    consultations: int
    measures: dict[str, int]
    relationship: dict[str, int]
    people: dict[str, dict[str, dict[str, int]]]  # role → age band → sex → n
    years: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        def sex_totals(role: str) -> dict[str, int]:
            return {sex: sum(self.people[role][band][sex] for band in AGE_BANDS) for sex in SEXES}

        def age_totals(role: str) -> dict[str, int]:
            return {band: sum(self.people[role][band].values()) for band in AGE_BANDS}

        return {
            "period": {
                "year": self.year,
                "fiscal": self.fiscal,
                "from": self.date_from.isoformat(),
                "to": self.date_to.isoformat(),
            },
            "prefectures": list(self.prefectures),
            "consultations": self.consultations,
            "measures": self.measures,
            "relationship": self.relationship,
            "offenders": {
                "sex": sex_totals("offender"),
                "age": age_totals("offender"),
                "age_by_sex": self.people["offender"],
            },
            "victims": {
                "sex": sex_totals("victim"),
                "age": age_totals("victim"),
                "age_by_sex": self.people["victim"],
            },
            "years": self.years,
        }

    def tables(self) -> list[Table]:
        """The tables of the page and the downloads, labelled in the active language."""
        relationship_labels = {
            c.code: c.label for c in Code.objects.filter(table="relationship").order_by("sort")
        }
        total = total_label()
        tables = [
            Table(
                key="measures",
                title=_("Consultations and measures"),
                row_keys=["consultations", *MEASURE_KINDS],
                row_labels=[measure_label(k) for k in ["consultations", *MEASURE_KINDS]],
                col_keys=["count"],
                col_labels=[_("Count")],
                cells=[[self.consultations]] + [[self.measures[k]] for k in MEASURE_KINDS],
                margins=False,
                total_label=total,
                row_heading=_("Measure"),
            ),
            Table(
                key="relationship",
                title=_("Relationship of the offender to the victim"),
                row_keys=list(self.relationship),
                row_labels=[relationship_labels.get(k, k) for k in self.relationship],
                col_keys=["count"],
                col_labels=[pgettext("count", "Cases")],
                cells=[[n] for n in self.relationship.values()],
                total_label=total,
                row_heading=_("Relationship"),
            ),
        ]
        for role, title in (
            ("offender", _("Offenders by age and sex")),
            ("victim", _("Victims by age and sex")),
        ):
            tables.append(
                Table(
                    key=f"{role}s",
                    title=title,
                    row_keys=list(AGE_BANDS),
                    row_labels=[str(AGE_BAND_LABELS[b]) for b in AGE_BANDS],
                    col_keys=list(SEXES),
                    col_labels=[str(SEX_LABELS[s]) for s in SEXES],
                    cells=[[self.people[role][b][s] for s in SEXES] for b in AGE_BANDS],
                    total_label=total,
                    row_heading=_("Age"),
                )
            )
        tables.append(
            Table(
                key="years",
                title=_("Year on year"),
                row_keys=[str(y["year"]) for y in self.years],
                row_labels=[str(y["year"]) for y in self.years],
                col_keys=list(YEAR_COLUMNS),
                col_labels=[measure_label(k) for k in YEAR_COLUMNS],
                cells=[[y[k] for k in YEAR_COLUMNS] for y in self.years],
                margins=False,
                total_label=total,
                row_heading=_("Year"),
            )
        )
        return tables


def change(current: int, previous: int | None) -> dict[str, Any] | None:
    """The change from the previous year: difference and percent to one decimal."""
    if previous is None:
        return None
    pct = None
    if previous:
        tenths = (2000 * (current - previous) + previous) // (2 * previous)
        pct = tenths / 10
    return {"diff": current - previous, "percent": pct}


def compute(
    scope: QuerySet[Case], year: int, fiscal: bool = False, prefectures: Sequence[str] = ()
) -> Annual:
    """The annual statistics for the cases in `scope` (already scoped to the user:
    whole prefectures, `Case.objects.for_statistics`)."""
    if prefectures:
        scope = scope.filter(prefecture__code__in=list(prefectures))
    start, end = period_of(year, fiscal)
    prefecture_ids = _prefectures(scope)
    by_year = yearly_counts(prefecture_ids, fiscal)
    counts = by_year.get(year, Counter())
    parts = report_cache.per_prefecture(
        "annual-year",
        prefecture_ids,
        (start, end),
        lambda ids: year_parts(ids, start, end),
        lambda: YearPart(Counter(), Counter()),
    )
    relationships: Counter[str] = Counter()
    people_counts: Counter[tuple[str, str, str]] = Counter()
    for part in parts.values():
        relationships.update(part.relationship)
        people_counts.update(part.people)
    relationship: dict[str, int] = {
        c: 0
        for c in Code.objects.filter(table="relationship")
        .order_by("sort")
        .values_list("code", flat=True)
    }
    for rel in sorted(relationships):
        relationship[rel] = relationship.get(rel, 0) + relationships[rel]
    people: dict[str, dict[str, dict[str, int]]] = {
        role: {band: dict.fromkeys(SEXES, 0) for band in AGE_BANDS}
        for role in ("offender", "victim")
    }
    for (role, band, sex), n in people_counts.items():
        people[role][band][sex] += n
    years: list[dict[str, Any]] = []
    if by_year:
        previous: dict[str, Any] | None = None
        for y in range(min(by_year), max(by_year) + 1):
            c = by_year.get(y, Counter())
            entry: dict[str, Any] = {"year": y, **{k: c[k] for k in YEAR_COLUMNS}}
            entry["change"] = {
                k: change(c[k], previous[k] if previous else None) for k in YEAR_COLUMNS
            }
            years.append(entry)
            previous = entry
    return Annual(
        year=year,
        fiscal=fiscal,
        date_from=start,
        date_to=end,
        prefectures=tuple(sorted(prefectures)),
        consultations=counts["consultations"],
        measures={k: counts[k] for k in MEASURE_KINDS},
        relationship=relationship,
        people=people,
        years=years,
    )
