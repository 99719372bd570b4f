"""Each person row gets a random ref that binds its encrypted fields (core/fields.py).

Existing rows get one ref each; their values stay unbound ("v1") until
`tsunagu rotate-keys` re-encrypts them bound to table, column and ref.
"""

import secrets

from django.db import migrations, models

import tsunagu.core.fields


def one_ref_per_row(apps, schema_editor):
    Person = apps.get_model("cases", "Person")
    for pk in Person.objects.values_list("pk", flat=True).iterator():
        Person.objects.filter(pk=pk).update(key_ref=secrets.token_hex(16))


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
