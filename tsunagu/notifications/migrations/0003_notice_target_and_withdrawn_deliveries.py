"""Each notice names the item it is about (a case or a referral), so that the
inbox lists and counts it only while its recipient can see the item. The notices
written so far get theirs from their link (the item's page). An email whose
notice went out of sight before it was sent is "withdrawn"."""

import re
from typing import Any

from django.db import migrations, models

# The links notices were written with: the referral's and the case's page.
LINKS = {
    "referral": re.compile(r"^/treatment/referrals/(\d+)/$"),
    "case": re.compile(r"^/cases/(\d+)/$"),
}


def targets_from_links(apps: Any, schema_editor: Any) -> None:
    notice = apps.get_model("notifications", "Notice")
    for pk, link in notice.objects.filter(link__gt="").values_list("pk", "link").iterator():
        for target_type, pattern in LINKS.items():
            found = pattern.match(link)
            if found:
                notice.objects.filter(pk=pk).update(
                    target_type=target_type, target_id=int(found.group(1))
                )
                break


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_email_language_moves_to_the_account"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="target_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="notice",
            name="target_type",
            field=models.CharField(
                blank=True, choices=[("case", "case"), ("referral", "referral")], max_length=16
            ),
        ),
        migrations.RunPython(targets_from_links, migrations.RunPython.noop),
        # An email whose notice went out of the user's sight before it was sent.
        migrations.AlterField(
            model_name="delivery",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "pending"),
                    ("sending", "sending"),
                    ("sent", "sent"),
                    ("failed", "failed"),
                    ("withdrawn", "withdrawn"),
                ],
                default="pending",
                max_length=16,
                verbose_name="status",
            ),
        ),
    ]
