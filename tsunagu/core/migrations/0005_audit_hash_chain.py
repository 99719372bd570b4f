"""The audit log becomes a hash chain (core/audit.py); PostgreSQL also refuses TRUNCATE.

Existing events are chained here, in id order, under the audit key (created if
none is configured yet): the triggers are lifted for that one update and put back.
"""

from django.db import migrations, models

SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]
PG_TRUNCATE = [
    """CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON core_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()""",
]
PG_TRUNCATE_DOWN = ["DROP TRIGGER audit_no_truncate ON core_auditevent"]


def chain_existing(apps, schema_editor):
    from tsunagu.core import audit

    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    pg = schema_editor.connection.vendor == "postgresql"
    events = AuditEvent.objects.filter(seq__isnull=True).order_by("id")
    seq, mac = 0, ""
    if not pg:
        # Adding the unique column rebuilt the SQLite table, which drops its triggers.
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    if events.exists():
        if pg:
            schema_editor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER audit_no_change")
        for event in events.iterator():
            seq += 1
            event.seq = seq
            event.mac = audit.sign(event, mac)
            mac = event.mac
            AuditEvent.objects.filter(pk=event.pk).update(seq=seq, mac=mac)
        if pg:
            schema_editor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER audit_no_change")
    if not pg:
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql)
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": seq, "mac": mac})


def truncate_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_TRUNCATE:
            schema_editor.execute(sql)


def truncate_trigger_down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_TRUNCATE_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_log_append_only")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(blank=True, editable=False, max_length=96),
        ),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.BigIntegerField(default=0)),
                ("mac", models.CharField(blank=True, max_length=96)),
            ],
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["prefecture", "-at", "-id"], name="audit_pref_at"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["prefecture", "action", "-at"], name="audit_pref_action_at"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["actor", "-at"], name="audit_actor_at"),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.RunPython(truncate_trigger, truncate_trigger_down),
    ]
