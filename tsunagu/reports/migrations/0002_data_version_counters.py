"""The report cache's data version: one counter per prefecture, bumped by database
triggers in the same transaction as every insert, update or delete of a case, an
event or a person (services, imports and raw SQL alike).

SQLite has row triggers only; PostgreSQL gets statement triggers with transition
tables, and bumps each prefecture's counter once per transaction (a bulk import or
a row-by-row data migration writes the counter row once, not per row).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

# (table, how a row finds its prefecture)
TABLES = (
    ("cases_case", "prefecture"),
    ("cases_event", "case"),
    ("cases_person", "case"),
)


def _sqlite(table: str, via: str, op: str, row: str) -> str:
    if via == "prefecture":
        pref = f"{row}.prefecture_id"
    else:
        pref = f"(SELECT prefecture_id FROM cases_case WHERE id = {row}.case_id)"  # noqa: S608
    # Fixed table and column names from this module, no input.
    return (  # noqa: S608
        f"CREATE TRIGGER data_version_{table}_{op.lower()}_{row.lower()} "
        f"AFTER {op} ON {table} FOR EACH ROW WHEN {pref} IS NOT NULL BEGIN "
        f"INSERT OR IGNORE INTO reports_dataversion (prefecture_id, n) VALUES ({pref}, 0); "
        f"UPDATE reports_dataversion SET n = n + 1 WHERE prefecture_id = {pref}; END"
    )


PG_FUNCTIONS = (
    # Once per prefecture and transaction: a transaction-local setting remembers the
    # bump, so a migration that updates 400,000 rows one by one does not pile up as
    # many versions of the counter row (PostgreSQL keeps each until the commit).
    """CREATE OR REPLACE FUNCTION data_version_bump(prefectures bigint[]) RETURNS void AS $$
DECLARE
  p bigint;
  tx text := txid_current()::text;
BEGIN
  FOREACH p IN ARRAY prefectures LOOP
    IF coalesce(current_setting('tsunagu.data_version_' || p, true), '') <> tx THEN
      INSERT INTO reports_dataversion (prefecture_id, n) VALUES (p, 1)
      ON CONFLICT (prefecture_id) DO UPDATE SET n = reports_dataversion.n + 1;
      PERFORM set_config('tsunagu.data_version_' || p, tx, true);
    END IF;
  END LOOP;
END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION data_version_by_case() RETURNS trigger AS $$
BEGIN
  PERFORM data_version_bump(ARRAY(
    SELECT DISTINCT c.prefecture_id FROM changed x JOIN cases_case c ON c.id = x.case_id
    ORDER BY 1));
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION data_version_by_prefecture() RETURNS trigger AS $$
BEGIN
  PERFORM data_version_bump(ARRAY(SELECT DISTINCT prefecture_id FROM changed ORDER BY 1));
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
)


def _pg(table: str, via: str, op: str, row: str) -> str:
    which = "NEW" if row == "NEW" else "OLD"
    function = "data_version_by_prefecture" if via == "prefecture" else "data_version_by_case"
    return (
        f"CREATE TRIGGER data_version_{table}_{op.lower()}_{row.lower()} AFTER {op} ON {table} "
        f"REFERENCING {which} TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    )


def _triggers() -> list[tuple[str, str, str, str]]:
    found = []
    for table, via in TABLES:
        found.append((table, via, "INSERT", "NEW"))
        found.append((table, via, "DELETE", "OLD"))
        found.append((table, via, "UPDATE", "NEW"))
        if via == "prefecture":  # a case moved to another prefecture changes both
            found.append((table, via, "UPDATE", "OLD"))
    return found


def create_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    prefectures = apps.get_model("core", "Region").objects.filter(kind="prefecture")
    apps.get_model("reports", "DataVersion").objects.bulk_create(
        [
            apps.get_model("reports", "DataVersion")(prefecture_id=pk, n=0)
            for pk in prefectures.values_list("pk", flat=True)
        ]
    )
    if vendor == "postgresql":
        for sql in PG_FUNCTIONS:
            schema_editor.execute(sql)
        for trigger in _triggers():
            schema_editor.execute(_pg(*trigger))
    elif vendor == "sqlite":
        for trigger in _triggers():
            schema_editor.execute(_sqlite(*trigger))
    else:  # pragma: no cover - the project runs on these two engines only
        raise NotImplementedError(vendor)


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table, _via, op, row in _triggers():
        name = f"data_version_{table}_{op.lower()}_{row.lower()}"
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS data_version_by_case()")
        schema_editor.execute("DROP FUNCTION IF EXISTS data_version_by_prefecture()")
        schema_editor.execute("DROP FUNCTION IF EXISTS data_version_bump(bigint[])")


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_release_log"),
        ("cases", "0002_case_links"),
        ("core", "0003_load_japan_regions_and_codes"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("prefecture_id", models.IntegerField(primary_key=True, serialize=False)),
                ("n", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
