"""Police stations named in Latin letters on English pages (新宿警察署 → Shinjuku Police
Station) instead of 「新宿 Police Station」: the loader of 0003 had the Latin names of
five stations only. Renames only the stations 0003 created with a mixed name; a name
someone has changed since is left as it is."""

from importlib import import_module

from django.db import migrations

REGIONS = import_module("tsunagu.core.migrations.0003_load_japan_regions_and_codes")


def forwards(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    for code, _ja, _en, stations in REGIONS.PREFECTURES:
        for i, station in enumerate(stations, start=1):
            Region.objects.filter(
                code=f"{code}-{i:03d}", kind="station", name_en=f"{station} Police Station"
            ).update(name_en=f"{REGIONS.ROMAJI[station]} Police Station")


class Migration(migrations.Migration):
    dependencies = [("core", "0009_user_language")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
