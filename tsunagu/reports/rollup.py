"""The annual statistics' rollup: consultations and counted measures by prefecture,
month and kind (`AnnualCount`), kept in step with every write.

Database triggers mark a (prefecture, month) cell stale (`AnnualStale`) in the
same transaction as any write of a case or a counted event in it (migration
`0003_annual_rollup`), whoever writes: services, an import's bulk inserts, raw
SQL, a data migration. A report first recounts the stale cells of the
prefectures it shows from the events (`refresh`: an index range on the date of
each stale month, or whole prefectures when many months are stale), then reads
the rollup (`counts`). Corrections are not in the rollup: `annual.monthly_counts`
applies them when it reads (they are few).

A recount never loses a write that commits while it counts: it reads each
stale cell's counter `n` first, counts, then stores the cell's figures and sets
`done = n` only if the counter still holds the value read (PostgreSQL: the mark
rows are locked, and rows that a writer holds are skipped; SQLite: the store's
transaction holds the write lock). A cell written meanwhile stays stale and is
recounted by the next report.

A prefecture's stored figures are cached with the sum of its marks' `done`
(`_read`): every store raises it, and nothing else changes what is stored (a
restore, which replaces both, empties the cache).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F

from tsunagu.cases import timeline
from tsunagu.reports import cache as report_cache
from tsunagu.reports.models import AnnualCount, AnnualStale

Cell = tuple[int, int]  # (prefecture id, year * 100 + month)
Mark = tuple[int, Cell, int]  # (mark id, cell, counter read)

# The kinds stored: consultations, the counted measures, arrests by kind only (the
# arrests' total is their sum, added by `read`).
ARREST_KINDS = tuple(f"arrest_{k}" for k in timeline.ARREST_KINDS)
KINDS: tuple[str, ...] = (
    "consultations",
    *(m for m in timeline.COUNTED_MEASURES if m != "arrest"),
    *ARREST_KINDS,
)
# Above this many stale months, a recount reads whole prefectures (one grouped
# pass) rather than a date range per month.
MONTH_RANGES = 24
# Above this many stale cells, a report stores what it recounted (`counts`).
STORE_AFTER = 24
BATCH = 2000


def month_of(day: dt.date) -> int:
    return day.year * 100 + day.month


def _month_sql(column: str) -> str:
    """year * 100 + month of a date column, in SQL (the triggers compute the same)."""
    if connection.vendor == "postgresql":
        return f"CAST(to_char({column}, 'YYYYMM') AS integer)"
    return f"CAST(substr({column}, 1, 4) || substr({column}, 6, 2) AS integer)"


def _bounds(month: int) -> tuple[Any, Any]:
    year, m = divmod(month, 100)
    start = dt.date(year, m, 1)
    stop = dt.date(year + m // 12, m % 12 + 1, 1)
    adapt = connection.ops.adapt_datefield_value
    return adapt(start), adapt(stop)


def _marks(params: list[Any]) -> str:
    return ", ".join(["%s"] * len(params))


def arrest_kind(detail: str) -> str:
    return f"arrest_{detail if detail in timeline.ARREST_KINDS else 'other'}"


def recount(cells: Collection[Cell]) -> dict[Cell, Counter[str]]:
    """The figures of these cells, counted from the cases and events (one query,
    whatever the number of cells)."""
    found: dict[Cell, Counter[str]] = {cell: Counter() for cell in cells}
    if not cells:
        return found
    prefectures = sorted({p for p, _m in cells})
    months = sorted({m for _p, m in cells})
    types = list(timeline.COUNTED_MEASURES)
    by_range = len(months) <= MONTH_RANGES
    bounds = [b for month in months for b in _bounds(month)] if by_range else []
    ranges, with_params, case_where, event_where = "", [], "", ""
    cases_from, events_from = "FROM cases_case c ", "FROM cases_event e "
    if by_range and connection.vendor == "postgresql":
        # Constant ranges: the planner then estimates a month's rows (with ranges
        # joined from a VALUES list it guesses high, and JIT-compiles the query).
        ors = " OR ".join(["({0} >= %s AND {0} < %s)"] * len(months))
        case_where = " AND (" + ors.format("c.opened_on") + ")"
        event_where = " AND (" + ors.format("e.date") + ")"
    elif by_range:
        # The months' date ranges drive the joins: one index range each.
        ranges = "WITH r (lo, hi) AS (VALUES " + ", ".join(["(%s, %s)"] * len(months)) + ") "
        with_params, bounds = bounds, []
        cases_from = "FROM r JOIN cases_case c ON c.opened_on >= r.lo AND c.opened_on < r.hi "
        events_from = "FROM r JOIN cases_event e ON e.date >= r.lo AND e.date < r.hi "
    in_prefectures = f"c.prefecture_id IN ({_marks(prefectures)})"
    # Each event's prefecture is read from its case by primary key: a month's
    # events are few, a prefecture's cases many (a hash join would read them all).
    prefecture = (
        "(SELECT c.prefecture_id FROM cases_case c WHERE c.id = e.case_id)"
        if by_range
        else "c.prefecture_id"
    )
    join = "" if by_range else "JOIN cases_case c ON c.id = e.case_id "
    with connection.cursor() as cursor:
        cursor.execute(
            f"{ranges}SELECT c.prefecture_id, {_month_sql('c.opened_on')}, "  # noqa: S608
            f"'consultations', '', COUNT(*) {cases_from}WHERE {in_prefectures}{case_where} "
            "GROUP BY 1, 2 UNION ALL SELECT p, m, t, d, COUNT(*) FROM ("
            f"SELECT {prefecture} AS p, {_month_sql('e.date')} AS m, e.type AS t, "
            "CASE WHEN e.type = %s THEN e.detail ELSE '' END AS d "
            f"{events_from}{join}WHERE e.type IN ({_marks(types)}){event_where}"
            f") x WHERE p IN ({_marks(prefectures)}) GROUP BY p, m, t, d",
            [*with_params, *prefectures, *bounds, "arrest", *types, *bounds, *prefectures],
        )
        for prefecture, month, kind, detail, n in cursor.fetchall():
            counts = found.get((prefecture, month))
            if counts is not None:
                counts[arrest_kind(detail) if kind == "arrest" else kind] += n
    return found


def stale(prefecture_ids: Iterable[int] | None) -> list[Mark]:
    """The stale cells of these prefectures (None: of all), as (mark id, cell, counter read)."""
    marks = AnnualStale.objects.filter(n__gt=F("done"))
    if prefecture_ids is not None:
        marks = marks.filter(prefecture_id__in=list(prefecture_ids))
    return [
        (pk, (p, m), n) for pk, p, m, n in marks.values_list("pk", "prefecture_id", "month", "n")
    ]


def store(marks: list[Mark], counts: dict[Cell, Counter[str]]) -> list[Cell]:
    """Store the figures of the cells whose counter still holds the value read before
    they were counted, and mark those cells done. Returns the cells stored."""
    if not marks:
        return []
    with transaction.atomic():
        # PostgreSQL: lock the marks, skipping those a writer holds (they stay stale:
        # its write may not be in the figures); no wait, so no deadlock with writers.
        now = dict(
            AnnualStale.objects.select_for_update(skip_locked=True)
            .filter(pk__in=[pk for pk, _cell, _n in marks])
            .values_list("pk", "n")
        )
        kept = [(pk, cell) for pk, cell, n in marks if now.get(pk) == n]
        if not kept:
            return []
        AnnualStale.objects.filter(pk__in=[pk for pk, _cell in kept]).update(done=F("n"))
        AnnualCount.objects.bulk_create(
            [
                AnnualCount(prefecture_id=p, month=m, kind=kind, n=counts[(p, m)][kind])
                for _pk, (p, m) in kept
                for kind in KINDS
            ],
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["prefecture_id", "month", "kind"],
            update_fields=["n"],
        )
        AnnualCount.objects.filter(prefecture_id__in={p for _pk, (p, _m) in kept}, n=0).delete()
    return [cell for _pk, cell in kept]


def refresh_all() -> None:
    """Recount every stale cell (after an import, in its transaction)."""
    refresh(None)


def refresh(prefecture_ids: Iterable[int] | None) -> dict[Cell, Counter[str]]:
    """Recount the stale cells of these prefectures and store what no write has
    changed meanwhile. Returns the figures recounted (stored or not)."""
    marks = stale(prefecture_ids)
    if not marks:
        return {}
    counts = recount([cell for _pk, cell, _n in marks])
    store(marks, counts)
    return counts


def _stored_name(prefecture: int) -> str:
    return f"reports:rollup:{prefecture}"


def _read(prefecture_ids: Collection[int]) -> tuple[dict[Cell, Counter[str]], list[Mark]]:
    """The rollup's figures of these prefectures as stored, and their stale marks
    (one query).

    A prefecture's stored figures change only when a recount is stored, and every
    store raises the `done` of the cells it stores: the sum of a prefecture's
    `done` is the version of its stored figures. Outside a transaction they are
    cached with that sum, and the query returns a prefecture's stored rows only
    when its sum is not the one cached (read in the same statement as the rows and
    the marks, so the three agree).
    """
    found: dict[Cell, Counter[str]] = {}
    marks: list[Mark] = []
    ids = sorted(set(prefecture_ids))
    if not ids:
        return found, marks
    use_cache = not connection.in_atomic_block
    names = {p: _stored_name(p) for p in ids}
    known: dict[str, tuple[int, dict[int, Counter[str]]]] = (
        cache.get_many(list(names.values())) if use_cache else {}
    )
    versions = [v for p in ids for v in (p, known[names[p]][0] if names[p] in known else -1)]
    now: dict[int, int] = {}
    read: dict[int, dict[int, Counter[str]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH k (p, d) AS (VALUES {', '.join(['(%s, %s)'] * len(ids))}), "  # noqa: S608
            "v (p, d, now) AS (SELECT k.p, k.d, CAST(COALESCE((SELECT SUM(s.done) "
            "FROM reports_annualstale s WHERE s.prefecture_id = k.p), 0) AS bigint) FROM k) "
            "SELECT 0, p, now, 0, '' FROM v UNION ALL "
            "SELECT s.id, s.prefecture_id, s.month, s.n, '' FROM reports_annualstale s "
            f"WHERE s.n > s.done AND s.prefecture_id IN ({_marks(ids)}) UNION ALL "
            "SELECT -1, a.prefecture_id, a.month, a.n, a.kind FROM reports_annualcount a "
            "JOIN v ON v.p = a.prefecture_id WHERE v.now <> v.d",
            [*versions, *ids],
        )
        for row, p, m, n, kind in cursor.fetchall():
            if row == 0:
                now[p] = int(m)
                if int(m) != (known[names[p]][0] if names[p] in known else -1):
                    read.setdefault(p, {})
            elif row > 0:
                marks.append((row, (p, m), n))
            else:
                cell = read.setdefault(p, {}).get(m)
                if cell is None:
                    cell = read[p][m] = Counter()
                cell[kind] = n
    if use_cache and read:
        cache.set_many(
            {names[p]: (now[p], months) for p, months in read.items()},
            report_cache.TIMEOUT_SECONDS,
        )
    for p in ids:
        months = read[p] if p in read else known[names[p]][1]
        for m, counts in months.items():
            found[(p, m)] = counts
    return found, marks


def with_arrests(counts: Counter[str]) -> Counter[str]:
    arrests = sum(counts[k] for k in ARREST_KINDS)
    if arrests:
        counts["arrest"] = arrests
    return counts


def counts(prefecture_ids: Collection[int]) -> dict[Cell, Counter[str]]:
    """Every cell of these prefectures, equal to a recount of all their cases and
    events (corrections aside): the rollup, its stale cells recounted.

    The recounted cells are stored only when there are more than `STORE_AFTER`
    of them: a few stale cells (a write marks one or two) cost less to recount
    with the rest than to store, and the number of queries stays the same.
    """
    found, marks = _read(prefecture_ids)
    if marks:
        fresh = recount([cell for _pk, cell, _n in marks])
        if len(marks) > STORE_AFTER:
            store(marks, fresh)
        for cell, figures in fresh.items():
            found[cell] = Counter(figures)
    for figures in found.values():
        with_arrests(figures)
    return found
