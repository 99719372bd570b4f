"""The version of the annual statistics' people counts, and stale marks only for the
case columns the rollup counts.

1. `AnnualPeopleVersion`: a counter per (prefecture, month a case was opened),
   bumped by database triggers in the same transaction as every write that can
   change the relationship or the people counted for the cases opened in it:
   - a case inserted or deleted, or updated in its opening date, prefecture or
     relationship (the old and the new month);
   - a person inserted or deleted, or updated in its case, role, sex or age (the
     month of the old and of the new case).
   No fill: a cell never written has version 0.
2. The rollup's stale marks (`0003_annual_rollup`) of an updated case: only a
   change of its opening date or its prefecture marks its opening month. Every
   event recorded through the services updates its case's summary columns
   (`is_open`, `latest_measure*`), which marked an old month stale for nothing.

SQLite has row triggers only; PostgreSQL gets statement triggers with transition
tables. The PostgreSQL triggers are named `people_version_*`, so they run after
`data_version_*` on the same statement (one lock order for every writer).
"""

from __future__ import annotations

import importlib
from typing import Any

from django.db import migrations, models

rollup_0003 = importlib.import_module("tsunagu.reports.migrations.0003_annual_rollup")
month_sql = rollup_0003.month_sql

TABLE = "reports_annualpeopleversion"
UPSERT = f"ON CONFLICT (prefecture_id, month) DO UPDATE SET n = {TABLE}.n + 1"
CASE_COLUMNS = ("opened_on", "prefecture_id", "relationship")
PERSON_COLUMNS = ("case_id", "role", "sex", "age")


def _changed(old: str, new: str, columns: tuple[str, ...]) -> str:
    return " OR ".join(f"{old}.{c} IS NOT {new}.{c}" for c in columns)


# --- SQLite: row triggers ---------------------------------------------------------------


def _sqlite_bump(select: str) -> str:
    return f"INSERT INTO {TABLE} (prefecture_id, month, n) {select} {UPSERT};"  # noqa: S608


def _sqlite_triggers() -> list[str]:
    m = lambda column: month_sql("sqlite", column)  # noqa: E731
    case = lambda row: _sqlite_bump(  # noqa: E731
        f"SELECT {row}.prefecture_id, {m(f'{row}.opened_on')}, 1 WHERE true"
    )
    person = lambda row: _sqlite_bump(  # noqa: E731
        f"SELECT c.prefecture_id, {m('c.opened_on')}, 1 FROM cases_case c "  # noqa: S608
        f"WHERE c.id = {row}.case_id"
    )
    return [
        "CREATE TRIGGER people_version_case_insert AFTER INSERT ON cases_case "
        f"FOR EACH ROW BEGIN {case('NEW')} END",
        "CREATE TRIGGER people_version_case_delete AFTER DELETE ON cases_case "
        f"FOR EACH ROW BEGIN {case('OLD')} END",
        "CREATE TRIGGER people_version_case_update AFTER UPDATE ON cases_case "
        f"FOR EACH ROW WHEN {_changed('OLD', 'NEW', CASE_COLUMNS)} "
        f"BEGIN {case('NEW')} {case('OLD')} END",
        "CREATE TRIGGER people_version_person_insert AFTER INSERT ON cases_person "
        f"FOR EACH ROW BEGIN {person('NEW')} END",
        "CREATE TRIGGER people_version_person_delete AFTER DELETE ON cases_person "
        f"FOR EACH ROW BEGIN {person('OLD')} END",
        "CREATE TRIGGER people_version_person_update AFTER UPDATE ON cases_person "
        f"FOR EACH ROW WHEN {_changed('OLD', 'NEW', PERSON_COLUMNS)} "
        f"BEGIN {person('NEW')} {person('OLD')} END",
    ]


SQLITE_NAMES = (
    "people_version_case_insert",
    "people_version_case_delete",
    "people_version_case_update",
    "people_version_person_insert",
    "people_version_person_delete",
    "people_version_person_update",
)

# 0003's trigger that marked a case's opening month on any update, and its
# replacement: only when the opening date or the prefecture changes.
SQLITE_STALE_UPDATE = "annual_stale_cases_case_update"


def _sqlite_stale_update(narrow: bool) -> str:
    m = lambda column: month_sql("sqlite", column)  # noqa: E731
    opened = lambda row: rollup_0003._sqlite_mark(  # noqa: E731
        f"SELECT {row}.prefecture_id, {m(f'{row}.opened_on')}, 1, 0 WHERE true"
    )
    when = f"WHEN {_changed('OLD', 'NEW', ('opened_on', 'prefecture_id'))} " if narrow else ""
    return (
        f"CREATE TRIGGER {SQLITE_STALE_UPDATE} AFTER UPDATE ON cases_case "
        f"FOR EACH ROW {when}BEGIN {opened('NEW')} {opened('OLD')} END"
    )


# --- PostgreSQL: statement triggers with transition tables ------------------------------


def _pg_function(name: str, cells: str) -> str:
    # The cells in a fixed order (one lock order for every writer), each once.
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
  INSERT INTO {TABLE} (prefecture_id, month, n)
  SELECT p, m, 1 FROM ({cells}) AS cells GROUP BY p, m ORDER BY p, m
  {UPSERT};
  RETURN NULL;
END $$ LANGUAGE plpgsql"""


def _distinct(columns: tuple[str, ...]) -> str:
    return (
        "(" + ", ".join(f"o.{c}" for c in columns) + ") IS DISTINCT FROM ("
        + ", ".join(f"w.{c}" for c in columns) + ")"
    )


def _pg_functions() -> list[str]:
    m = lambda column: month_sql("postgresql", column)  # noqa: E731
    changed_cases = (
        f"old_rows o JOIN new_rows w ON w.id = o.id WHERE {_distinct(CASE_COLUMNS)}"
    )
    changed_people = (
        f"old_rows o JOIN new_rows w ON w.id = o.id WHERE {_distinct(PERSON_COLUMNS)}"
    )
    return [
        _pg_function(
            "people_version_cases",
            f"SELECT prefecture_id AS p, {m('opened_on')} AS m FROM changed",  # noqa: S608
        ),
        _pg_function(
            "people_version_cases_updated",
            f"SELECT o.prefecture_id AS p, {m('o.opened_on')} AS m FROM {changed_cases} "  # noqa: S608
            f"UNION ALL SELECT w.prefecture_id, {m('w.opened_on')} FROM {changed_cases}",
        ),
        _pg_function(
            "people_version_persons",
            f"SELECT c.prefecture_id AS p, {m('c.opened_on')} AS m FROM changed x "  # noqa: S608
            "JOIN cases_case c ON c.id = x.case_id",
        ),
        _pg_function(
            "people_version_persons_updated",
            f"SELECT c.prefecture_id AS p, {m('c.opened_on')} AS m FROM cases_case c "  # noqa: S608
            f"JOIN (SELECT o.case_id FROM {changed_people} "
            f"UNION ALL SELECT w.case_id FROM {changed_people}) x ON c.id = x.case_id",
        ),
    ]


PG_FUNCTION_NAMES = (
    "people_version_cases",
    "people_version_cases_updated",
    "people_version_persons",
    "people_version_persons_updated",
)
BOTH = "OLD TABLE AS old_rows NEW TABLE AS new_rows"
# (name, table, operation, transition tables, function)
PG_TRIGGERS = (
    ("people_version_case_insert", "cases_case", "INSERT", "NEW TABLE AS changed", "people_version_cases"),
    ("people_version_case_delete", "cases_case", "DELETE", "OLD TABLE AS changed", "people_version_cases"),
    ("people_version_case_update", "cases_case", "UPDATE", BOTH, "people_version_cases_updated"),
    ("people_version_person_insert", "cases_person", "INSERT", "NEW TABLE AS changed", "people_version_persons"),
    ("people_version_person_delete", "cases_person", "DELETE", "OLD TABLE AS changed", "people_version_persons"),
    ("people_version_person_update", "cases_person", "UPDATE", BOTH, "people_version_persons_updated"),
)


def _pg_stale_update(narrow: bool) -> str:
    """0003's `annual_stale_cases_updated`, marking only the cases whose opening date
    or prefecture changed when `narrow`."""
    m = lambda column: month_sql("postgresql", column)  # noqa: E731
    if not narrow:
        return next(f for f in rollup_0003._pg_functions() if "annual_stale_cases_updated()" in f)
    changed = (
        "old_rows o JOIN new_rows w ON w.id = o.id "
        f"WHERE {_distinct(('opened_on', 'prefecture_id'))}"
    )
    moved = (
        "(SELECT o.id, o.prefecture_id FROM old_rows o JOIN new_rows w ON w.id = o.id "
        "WHERE w.prefecture_id <> o.prefecture_id "
        "UNION ALL SELECT w.id, w.prefecture_id FROM old_rows o JOIN new_rows w ON w.id = o.id "
        "WHERE w.prefecture_id <> o.prefecture_id)"
    )
    events_of_moved = (
        f"SELECT x.prefecture_id AS p, {m('e.date')} AS m FROM {moved} x "  # noqa: S608
        f"JOIN cases_event e ON e.case_id = x.id WHERE e.type IN ({rollup_0003.TYPES})"
    )
    return rollup_0003._pg_function(
        "annual_stale_cases_updated",
        f"SELECT o.prefecture_id AS p, {m('o.opened_on')} AS m FROM {changed} "  # noqa: S608
        f"UNION ALL SELECT w.prefecture_id, {m('w.opened_on')} FROM {changed} "
        f"UNION ALL {events_of_moved}",
    )


# --- the cells 0003 marked for nothing, recounted once --------------------------------


STALE = "s.n > s.done AND s.prefecture_id = x.p AND s.month = x.m"


def recount_stale_sql(vendor: str) -> list[str]:
    """Recount and store every stale cell, as `rollup.refresh_all` does, in SQL.

    Under 0003 every event recorded through the services marked its case's opening
    month, and a report recounts every stale cell of the prefectures it counts until
    more than `rollup.STORE_AFTER` are stale: those months would be recounted on
    every view. The writers wait meanwhile (PostgreSQL: the marks' table is locked;
    SQLite: the migration holds the write lock), so `done = n` is what was counted.
    """
    m = lambda column: month_sql(vendor, column)  # noqa: E731
    counted = ", ".join(f"'{t}'" for t in rollup_0003.COUNTED if t != "arrest")
    kinds = ", ".join(f"'{k}'" for k in rollup_0003.ARREST_KINDS)
    into = "INSERT INTO reports_annualcount (prefecture_id, month, kind, n) SELECT p, m, k, n FROM"
    stale = f"WHERE EXISTS (SELECT 1 FROM reports_annualstale s WHERE {STALE})"
    lock = (
        ["LOCK TABLE reports_annualstale IN SHARE ROW EXCLUSIVE MODE"]
        if vendor == "postgresql"
        else []
    )
    return [
        *lock,
        "DELETE FROM reports_annualcount WHERE EXISTS (SELECT 1 FROM reports_annualstale s "
        "WHERE s.n > s.done AND s.prefecture_id = reports_annualcount.prefecture_id "
        "AND s.month = reports_annualcount.month)",
        f"{into} (SELECT prefecture_id AS p, {m('opened_on')} AS m, "  # noqa: S608
        "'consultations' AS k, COUNT(*) AS n FROM cases_case GROUP BY 1, 2) x "
        f"{stale}",
        f"{into} (SELECT c.prefecture_id AS p, {m('e.date')} AS m, e.type AS k, "  # noqa: S608
        "COUNT(*) AS n FROM cases_event e JOIN cases_case c ON c.id = e.case_id "
        f"WHERE e.type IN ({counted}) GROUP BY 1, 2, 3) x {stale}",
        f"{into} (SELECT c.prefecture_id AS p, {m('e.date')} AS m, "  # noqa: S608
        f"CASE WHEN e.detail IN ({kinds}) THEN 'arrest_' || e.detail ELSE 'arrest_other' END "
        "AS k, COUNT(*) AS n FROM cases_event e JOIN cases_case c ON c.id = e.case_id "
        f"WHERE e.type = 'arrest' GROUP BY 1, 2, 3) x {stale}",
        "UPDATE reports_annualstale SET done = n WHERE n > done",
    ]


def create(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in _pg_functions():
            schema_editor.execute(sql)
        for name, table, op, tables, function in PG_TRIGGERS:
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {op} ON {table} REFERENCING {tables} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
        schema_editor.execute(_pg_stale_update(narrow=True))
    elif vendor == "sqlite":
        for sql in _sqlite_triggers():
            schema_editor.execute(sql)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {SQLITE_STALE_UPDATE}")
        schema_editor.execute(_sqlite_stale_update(narrow=True))
    else:  # pragma: no cover - the project runs on these two engines only
        raise NotImplementedError(vendor)
    for sql in recount_stale_sql(vendor):
        schema_editor.execute(sql)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for name, table, *_rest in PG_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in PG_FUNCTION_NAMES:
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")
        schema_editor.execute(_pg_stale_update(narrow=False))
    else:
        for name in SQLITE_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {SQLITE_STALE_UPDATE}")
        schema_editor.execute(_sqlite_stale_update(narrow=False))


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_programme_version"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnnualPeopleVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("prefecture_id", models.IntegerField()),
                ("month", models.IntegerField()),
                ("n", models.BigIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("prefecture_id", "month"), name="annual_people_version_cell"
                    )
                ],
            },
        ),
        migrations.RunPython(create, drop),
    ]
