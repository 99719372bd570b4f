"""The programme report's own data version: one counter per prefecture, bumped by
database triggers in the same transaction as every insert, update or delete of
an event the report reads (the types below), and when a case is deleted or moved
to another prefecture. Other writes (a warning, a consultation, a person's
details) leave it alone, so the report stays cached under the daily work.

The types are written out here, as a migration must not change afterwards;
`reports/tests/test_programme_version.py` fails when `programme.VERSIONED_TYPES`
no longer equals them (a new migration must then replace the triggers).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

TYPES = (
    "advice_accepted",
    "advice_rejected",
    "appointment_scheduled",
    "assessed_not_needed",
    "correction",
    "recurrence",
    "risk_assessed",
    "treatment_advised",
    "treatment_completed",
    "treatment_halted",
    "treatment_started",
)
IN_TYPES = "(" + ", ".join(f"'{t}'" for t in TYPES) + ")"

BUMP_SQLITE = (
    "INSERT OR IGNORE INTO reports_programmeversion (prefecture_id, n) VALUES ({p}, 0); "
    "UPDATE reports_programmeversion SET n = n + 1 WHERE prefecture_id = {p};"
)
EVENT_CASE = "(SELECT prefecture_id FROM cases_case WHERE id = {row}.case_id)"

# (name, SQL) — fixed names and types from this module, no input.
SQLITE = (
    (
        "programme_version_event_insert",
        f"CREATE TRIGGER programme_version_event_insert AFTER INSERT ON cases_event "
        f"FOR EACH ROW WHEN NEW.type IN {IN_TYPES} BEGIN "
        + BUMP_SQLITE.format(p=EVENT_CASE.format(row="NEW"))
        + " END",
    ),
    (
        "programme_version_event_delete",
        f"CREATE TRIGGER programme_version_event_delete AFTER DELETE ON cases_event "
        f"FOR EACH ROW WHEN OLD.type IN {IN_TYPES} BEGIN "
        + BUMP_SQLITE.format(p=EVENT_CASE.format(row="OLD"))
        + " END",
    ),
    (
        "programme_version_event_update",
        f"CREATE TRIGGER programme_version_event_update AFTER UPDATE ON cases_event "
        f"FOR EACH ROW WHEN NEW.type IN {IN_TYPES} OR OLD.type IN {IN_TYPES} BEGIN "
        + BUMP_SQLITE.format(p=EVENT_CASE.format(row="NEW"))
        + " "
        + BUMP_SQLITE.format(p=EVENT_CASE.format(row="OLD"))
        + " END",
    ),
    (
        "programme_version_case_move",
        "CREATE TRIGGER programme_version_case_move AFTER UPDATE OF prefecture_id ON cases_case "
        "FOR EACH ROW WHEN NEW.prefecture_id IS NOT OLD.prefecture_id BEGIN "
        + BUMP_SQLITE.format(p="NEW.prefecture_id")
        + " "
        + BUMP_SQLITE.format(p="OLD.prefecture_id")
        + " END",
    ),
    (
        "programme_version_case_delete",
        "CREATE TRIGGER programme_version_case_delete AFTER DELETE ON cases_case "
        "FOR EACH ROW BEGIN " + BUMP_SQLITE.format(p="OLD.prefecture_id") + " END",
    ),
)

PG_FUNCTIONS = (
    """CREATE OR REPLACE FUNCTION programme_version_bump(prefectures bigint[]) RETURNS void AS $$
BEGIN
  INSERT INTO reports_programmeversion (prefecture_id, n)
  SELECT p, 1 FROM unnest(prefectures) AS p WHERE p IS NOT NULL
  ON CONFLICT (prefecture_id) DO UPDATE SET n = reports_programmeversion.n + 1;
END $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION programme_version_by_event() RETURNS trigger AS $$
BEGIN
  PERFORM programme_version_bump(ARRAY(
    SELECT DISTINCT c.prefecture_id FROM changed x JOIN cases_case c ON c.id = x.case_id
    WHERE x.type IN {IN_TYPES} ORDER BY 1));
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION programme_version_by_case_move() RETURNS trigger AS $$
BEGIN
  PERFORM programme_version_bump(ARRAY(
    SELECT DISTINCT p FROM (
      SELECT n.prefecture_id AS p FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n.prefecture_id IS DISTINCT FROM o.prefecture_id
      UNION
      SELECT o.prefecture_id FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n.prefecture_id IS DISTINCT FROM o.prefecture_id
    ) moved ORDER BY 1));
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION programme_version_by_case_delete() RETURNS trigger AS $$
BEGIN
  PERFORM programme_version_bump(ARRAY(SELECT DISTINCT prefecture_id FROM changed ORDER BY 1));
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
)

PG_TRIGGERS = (
    ("programme_version_event_insert", "cases_event", "INSERT", "NEW TABLE AS changed", "event"),
    ("programme_version_event_delete", "cases_event", "DELETE", "OLD TABLE AS changed", "event"),
    ("programme_version_event_update_new", "cases_event", "UPDATE", "NEW TABLE AS changed", "event"),
    ("programme_version_event_update_old", "cases_event", "UPDATE", "OLD TABLE AS changed", "event"),
    (
        "programme_version_case_move",
        "cases_case",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "case_move",
    ),
    ("programme_version_case_delete", "cases_case", "DELETE", "OLD TABLE AS changed", "case_delete"),
)


def create(apps: Any, schema_editor: Any) -> None:
    version = apps.get_model("reports", "ProgrammeVersion")
    prefectures = apps.get_model("core", "Region").objects.filter(kind="prefecture")
    version.objects.bulk_create(
        [version(prefecture_id=pk, n=0) for pk in prefectures.values_list("pk", flat=True)]
    )
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in PG_FUNCTIONS:
            schema_editor.execute(sql)
        for name, table, op, referencing, function in PG_TRIGGERS:
            schema_editor.execute(
                f"CREATE TRIGGER {name} AFTER {op} ON {table} REFERENCING {referencing} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION programme_version_by_{function}()"
            )
    elif vendor == "sqlite":
        for _name, sql in SQLITE:
            schema_editor.execute(sql)
    else:  # pragma: no cover - the project runs on these two engines only
        raise NotImplementedError(vendor)


def drop(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for name, table, *_rest in PG_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        for function in ("event", "case_move", "case_delete"):
            schema_editor.execute(f"DROP FUNCTION IF EXISTS programme_version_by_{function}()")
        schema_editor.execute("DROP FUNCTION IF EXISTS programme_version_bump(bigint[])")
    else:
        for name, _sql in SQLITE:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_annual_rollup")]

    operations = [
        migrations.CreateModel(
            name="ProgrammeVersion",
            fields=[
                ("prefecture_id", models.IntegerField(primary_key=True, serialize=False)),
                ("n", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create, drop),
    ]
