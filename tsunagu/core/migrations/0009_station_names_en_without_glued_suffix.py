"""Stations whose English name was the Japanese name with " Police Station" glued on
(「新宿 Police Station」) take the stored Japanese name in English too (新宿警察署).

Only the few stations with a known romanisation (`0003`'s ROMAJI, e.g. "Chuo Police
Station") keep an English name: no romanisation is invented for the others.
"""

from django.db import migrations

SUFFIX_JA, SUFFIX_EN = "警察署", " Police Station"


def unglue(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    changed = []
    for region in Region.objects.filter(kind="station", name_en__endswith=SUFFIX_EN):
        stem = region.name_en[: -len(SUFFIX_EN)]
        if not stem.isascii() and region.name_ja == stem + SUFFIX_JA:
            region.name_en = region.name_ja
            changed.append(region)
    Region.objects.bulk_update(changed, ["name_en"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("core", "0008_personal_access_tokens")]

    operations = [migrations.RunPython(unglue, migrations.RunPython.noop)]
