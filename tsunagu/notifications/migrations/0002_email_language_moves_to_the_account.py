"""The language of a user's email becomes their account's (`core.User.language`):
each user's choice so far is copied there, then dropped from `MailSettings`."""

from typing import Any

from django.db import migrations


def to_account(apps: Any, schema_editor: Any) -> None:
    mail_settings = apps.get_model("notifications", "MailSettings")
    user_model = apps.get_model("core", "User")
    for language in ("en", "ja"):
        chosen = mail_settings.objects.filter(language=language).values("user_id")
        user_model.objects.filter(pk__in=chosen).update(language=language)


def to_mail_settings(apps: Any, schema_editor: Any) -> None:
    mail_settings = apps.get_model("notifications", "MailSettings")
    user_model = apps.get_model("core", "User")
    # The field comes back with its default, Japanese: only English needs a row.
    for user_id in user_model.objects.filter(language="en").values_list("pk", flat=True):
        mail_settings.objects.update_or_create(user_id=user_id, defaults={"language": "en"})


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0009_user_language"),
        ("notifications", "0001_notices_outbox_preferences"),
    ]

    operations = [
        migrations.RunPython(to_account, to_mail_settings),
        migrations.RemoveField(model_name="mailsettings", name="language"),
    ]
