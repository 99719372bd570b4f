"""The database itself refuses to change or delete an audit event."""

from django.db import migrations

SQLITE_UP = [
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER audit_no_update", "DROP TRIGGER audit_no_delete"]
PG_UP = [
    """CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$""",
    """CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON core_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
]
PG_DOWN = [
    "DROP TRIGGER audit_no_change ON core_auditevent",
    "DROP FUNCTION audit_append_only()",
]


def forwards(apps, schema_editor):
    statements = PG_UP if schema_editor.connection.vendor == "postgresql" else SQLITE_UP
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = PG_DOWN if schema_editor.connection.vendor == "postgresql" else SQLITE_DOWN
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_load_japan_regions_and_codes")]
    operations = [migrations.RunPython(forwards, backwards)]
