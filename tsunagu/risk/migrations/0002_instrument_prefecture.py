"""Instruments belong to an agency: a prefecture's (a supervisor's load) or national
(empty: an admin's load, the demo's). Versions already loaded become national."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0010_station_names_in_english"),
        ("risk", "0001_instruments_and_assessments"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="instrument",
            options={"ordering": ["name", "version", "id"], "verbose_name": "risk instrument"},
        ),
        migrations.RemoveConstraint(
            model_name="instrument",
            name="instrument_version_unique",
        ),
        migrations.AddField(
            model_name="instrument",
            name="prefecture",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.region",
                verbose_name="prefecture",
            ),
        ),
        migrations.AddConstraint(
            model_name="instrument",
            constraint=models.UniqueConstraint(
                condition=models.Q(("prefecture__isnull", False)),
                fields=("prefecture", "name", "version"),
                name="instrument_agency_version_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="instrument",
            constraint=models.UniqueConstraint(
                condition=models.Q(("prefecture__isnull", True)),
                fields=("name", "version"),
                name="instrument_national_version_unique",
            ),
        ),
    ]
