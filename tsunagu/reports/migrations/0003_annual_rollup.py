"""The annual statistics' rollup (`AnnualCount`) and its stale marks (`AnnualStale`).

Database triggers mark a (prefecture, month) cell stale in the same transaction
as every write that can change it, whatever writes it (services, an import's bulk
inserts, raw SQL, a data migration):
- a case inserted, deleted or updated marks the month it was opened (an update
  marks the old and the new month, whatever column changed); a case deleted, or
  moved to another prefecture, also marks the months of its counted events, in
  the old and the new prefecture;
- a counted event inserted, deleted or updated marks its month in its case's
  prefecture (both the old and the new one for an update).

SQLite has row triggers only; PostgreSQL gets statement triggers with transition
tables (one upsert of the marks per statement, however many rows it wrote).

Then the rollup is filled from the events with a few grouped statements, so the
first report after `migrate` reads it as it is.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

# Frozen copies of `timeline.COUNTED_MEASURES` and `timeline.ARREST_KINDS` (a later
# change of those lists comes with a migration of its own).
COUNTED = ("warning", "prohibition_order", "emergency_order", "arrest", "assistance", "treatment_advised")
ARREST_KINDS = ("stalking", "order_violation", "other")

TYPES = ", ".join(f"'{t}'" for t in COUNTED)
STALE = "reports_annualstale"
UPSERT = (
    "ON CONFLICT (prefecture_id, month) DO UPDATE SET n = reports_annualstale.n + 1"
)


def month_sql(vendor: str, column: str) -> str:
    """year * 100 + month of a date column, as an integer."""
    if vendor == "postgresql":
        return f"CAST(to_char({column}, 'YYYYMM') AS integer)"
    return f"CAST(substr({column}, 1, 4) || substr({column}, 6, 2) AS integer)"


# --- SQLite: row triggers ---------------------------------------------------------------


def _sqlite_mark(select: str) -> str:
    return f"INSERT INTO {STALE} (prefecture_id, month, n, done) {select} {UPSERT};"  # noqa: S608


def _sqlite_triggers() -> list[str]:
    m = lambda column: month_sql("sqlite", column)  # noqa: E731
    triggers = []

    def event_mark(row: str) -> str:
        # Fixed names from this module, no input.
        return _sqlite_mark(
            f"SELECT c.prefecture_id, {m(f'{row}.date')}, 1, 0 FROM cases_case c "  # noqa: S608
            f"WHERE c.id = {row}.case_id AND {row}.type IN ({TYPES})"
        )

    def events_of_case(prefecture: str, case: str) -> str:
        return _sqlite_mark(
            f"SELECT DISTINCT {prefecture}, {m('e.date')}, 1, 0 FROM cases_event e "  # noqa: S608
            f"WHERE e.case_id = {case} AND e.type IN ({TYPES})"
        )

    for op, rows in (("insert", ("NEW",)), ("delete", ("OLD",)), ("update", ("OLD", "NEW"))):
        body = " ".join(event_mark(row) for row in rows)
        # Other events (most of them) do not run the body at all.
        when = " OR ".join(f"{row}.type IN ({TYPES})" for row in rows)
        triggers.append(
            f"CREATE TRIGGER annual_stale_cases_event_{op} AFTER {op.upper()} ON cases_event "
            f"FOR EACH ROW WHEN {when} BEGIN {body} END"
        )
    opened = lambda row: _sqlite_mark(  # noqa: E731
        f"SELECT {row}.prefecture_id, {m(f'{row}.opened_on')}, 1, 0 WHERE true"
    )
    triggers += [
        "CREATE TRIGGER annual_stale_cases_case_insert AFTER INSERT ON cases_case "
        f"FOR EACH ROW BEGIN {opened('NEW')} END",
        "CREATE TRIGGER annual_stale_cases_case_delete AFTER DELETE ON cases_case "
        f"FOR EACH ROW BEGIN {opened('OLD')} {events_of_case('OLD.prefecture_id', 'OLD.id')} END",
        "CREATE TRIGGER annual_stale_cases_case_update AFTER UPDATE ON cases_case "
        f"FOR EACH ROW BEGIN {opened('NEW')} {opened('OLD')} END",
        "CREATE TRIGGER annual_stale_cases_case_moved AFTER UPDATE OF prefecture_id ON cases_case "
        "FOR EACH ROW WHEN OLD.prefecture_id <> NEW.prefecture_id BEGIN "
        f"{events_of_case('OLD.prefecture_id', 'OLD.id')} "
        f"{events_of_case('NEW.prefecture_id', 'NEW.id')} END",
    ]
    return triggers


SQLITE_NAMES = (
    "annual_stale_cases_event_insert",
    "annual_stale_cases_event_delete",
    "annual_stale_cases_event_update",
    "annual_stale_cases_case_insert",
    "annual_stale_cases_case_delete",
    "annual_stale_cases_case_update",
    "annual_stale_cases_case_moved",
)


# --- PostgreSQL: statement triggers with transition tables ------------------------------


def _pg_function(name: str, cells: str) -> str:
    # The cells in a fixed order (one lock order for every writer), each once (an
    # upsert may not touch a row twice).
    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
BEGIN
  INSERT INTO {STALE} (prefecture_id, month, n, done)
  SELECT p, m, 1, 0 FROM ({cells}) AS cells GROUP BY p, m ORDER BY p, m
  {UPSERT};
  RETURN NULL;
END $$ LANGUAGE plpgsql"""


def _pg_functions() -> list[str]:
    m = lambda column: month_sql("postgresql", column)  # noqa: E731

    def events_of(rows: str) -> str:
        return (
            f"SELECT x.prefecture_id AS p, {m('e.date')} AS m FROM {rows} x "  # noqa: S608
            f"JOIN cases_event e ON e.case_id = x.id WHERE e.type IN ({TYPES})"
        )

    moved = (
        "(SELECT o.id, o.prefecture_id FROM old_rows o JOIN new_rows w ON w.id = o.id "
        "WHERE w.prefecture_id <> o.prefecture_id "
        "UNION ALL SELECT w.id, w.prefecture_id FROM old_rows o JOIN new_rows w ON w.id = o.id "
        "WHERE w.prefecture_id <> o.prefecture_id)"
    )
    return [
        _pg_function(
            "annual_stale_events",
            f"SELECT c.prefecture_id AS p, {m('x.date')} AS m FROM changed x "  # noqa: S608
            f"JOIN cases_case c ON c.id = x.case_id WHERE x.type IN ({TYPES})",
        ),
        _pg_function(
            "annual_stale_cases_opened",
            f"SELECT prefecture_id AS p, {m('opened_on')} AS m FROM changed",  # noqa: S608
        ),
        _pg_function(
            "annual_stale_cases_deleted",
            f"SELECT prefecture_id AS p, {m('opened_on')} AS m FROM changed "  # noqa: S608
            f"UNION ALL {events_of('changed')}",
        ),
        _pg_function(
            "annual_stale_cases_updated",
            f"SELECT prefecture_id AS p, {m('opened_on')} AS m FROM new_rows "  # noqa: S608
            f"UNION ALL SELECT prefecture_id, {m('opened_on')} FROM old_rows "
            f"UNION ALL {events_of(moved)}",
        ),
    ]


PG_FUNCTION_NAMES = (
    "annual_stale_events",
    "annual_stale_cases_opened",
    "annual_stale_cases_deleted",
    "annual_stale_cases_updated",
)
# (name, table, operation, transition tables, function)
PG_TRIGGERS = (
    ("annual_stale_event_insert", "cases_event", "INSERT", "NEW TABLE AS changed", "annual_stale_events"),
    ("annual_stale_event_delete", "cases_event", "DELETE", "OLD TABLE AS changed", "annual_stale_events"),
    ("annual_stale_event_update_new", "cases_event", "UPDATE", "NEW TABLE AS changed", "annual_stale_events"),
    ("annual_stale_event_update_old", "cases_event", "UPDATE", "OLD TABLE AS changed", "annual_stale_events"),
    ("annual_stale_case_insert", "cases_case", "INSERT", "NEW TABLE AS changed", "annual_stale_cases_opened"),
    ("annual_stale_case_delete", "cases_case", "DELETE", "OLD TABLE AS changed", "annual_stale_cases_deleted"),
    (
        "annual_stale_case_update",
        "cases_case",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "annual_stale_cases_updated",
    ),
)


# --- the first fill ---------------------------------------------------------------------


def fill_sql(vendor: str) -> list[str]:
    """INSERT … SELECT of every cell of the rollup, counted from the cases and events."""
    m = lambda column: month_sql(vendor, column)  # noqa: E731
    counted = ", ".join(f"'{t}'" for t in COUNTED if t != "arrest")
    kinds = ", ".join(f"'{k}'" for k in ARREST_KINDS)
    into = "INSERT INTO reports_annualcount (prefecture_id, month, kind, n)"
    return [
        f"{into} SELECT prefecture_id, {m('opened_on')}, 'consultations', COUNT(*) "  # noqa: S608
        "FROM cases_case GROUP BY 1, 2",
        f"{into} SELECT c.prefecture_id, {m('e.date')}, e.type, COUNT(*) "  # noqa: S608
        f"FROM cases_event e JOIN cases_case c ON c.id = e.case_id "
        f"WHERE e.type IN ({counted}) GROUP BY 1, 2, 3",
        f"{into} SELECT c.prefecture_id, {m('e.date')}, "  # noqa: S608
        f"CASE WHEN e.detail IN ({kinds}) THEN 'arrest_' || e.detail ELSE 'arrest_other' END, "
        "COUNT(*) FROM cases_event e JOIN cases_case c ON c.id = e.case_id "
        "WHERE e.type = 'arrest' GROUP BY 1, 2, 3",
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
    elif vendor == "sqlite":
        for sql in _sqlite_triggers():
            schema_editor.execute(sql)
    else:  # pragma: no cover - the project runs on these two engines only
        raise NotImplementedError(vendor)
    for sql in fill_sql(vendor):
        schema_editor.execute(sql)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for name, table, *_rest in PG_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in PG_FUNCTION_NAMES:
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for name in SQLITE_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_data_version_counters"),
        ("cases", "0005_list_order_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AnnualCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("prefecture_id", models.IntegerField()),
                ("month", models.IntegerField()),
                ("kind", models.CharField(max_length=40)),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("prefecture_id", "month", "kind"), name="annual_count_cell_kind"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="AnnualStale",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("prefecture_id", models.IntegerField()),
                ("month", models.IntegerField()),
                ("n", models.BigIntegerField(default=0)),
                ("done", models.BigIntegerField(default=0)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("prefecture_id", "month"), name="annual_stale_cell")
                ],
            },
        ),
        migrations.RunPython(create, drop),
    ]
