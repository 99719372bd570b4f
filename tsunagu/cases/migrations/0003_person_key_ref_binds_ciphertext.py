"""Each person row gets a random ref that binds its encrypted fields (core/fields.py).

Existing rows get one ref each; their values stay unbound ("v1") until
`tsunagu rotate-keys` re-encrypts them bound to table, column and ref.
"""

from django.db import migrations, models

import tsunagu.core.fields


def one_ref_per_row(apps, schema_editor):
    """One statement, not one UPDATE a row: a national database holds ~440,000 people."""
    table = apps.get_model("cases", "Person")._meta.db_table
    if schema_editor.connection.vendor == "postgresql":
        random_hex = "replace(gen_random_uuid()::text, '-', '')"
    else:
        random_hex = "lower(hex(randomblob(16)))"
    schema_editor.execute(f"UPDATE {table} SET key_ref = {random_hex}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_case_links")]

    operations = [
        migrations.AddField(
            model_name="person",
            name="key_ref",
            field=models.CharField(
                default=tsunagu.core.fields.new_ref, editable=False, max_length=32
            ),
        ),
        migrations.RunPython(one_ref_per_row, migrations.RunPython.noop),
    ]
