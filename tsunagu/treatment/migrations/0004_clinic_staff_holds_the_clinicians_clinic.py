"""A clinician's clinic moves from `core.User.clinic` to `treatment.ClinicStaff`.

Created and filled here while the user still has its clinic column; the next
core migration then drops the column. The reverse copies the rows back.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_user_clinics(apps, schema_editor):
    user_model = apps.get_model("core", "User")
    clinic_staff = apps.get_model("treatment", "ClinicStaff")
    rows = user_model.objects.filter(clinic__isnull=False).values_list("pk", "clinic_id")
    clinic_staff.objects.bulk_create(
        [clinic_staff(user_id=user_id, clinic_id=clinic_id) for user_id, clinic_id in rows]
    )


def copy_back_to_users(apps, schema_editor):
    user_model = apps.get_model("core", "User")
    clinic_staff = apps.get_model("treatment", "ClinicStaff")
    for user_id, clinic_id in clinic_staff.objects.values_list("user_id", "clinic_id"):
        user_model.objects.filter(pk=user_id).update(clinic_id=clinic_id)


class Migration(migrations.Migration):

    dependencies = [
        ('treatment', '0003_referral_police_stage_and_current'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('core', '0006_user_sessions_and_pending_account_changes'),
    ]

    operations = [
        migrations.CreateModel(
            name='ClinicStaff',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('clinic', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='staff', to='treatment.clinic', verbose_name='clinic')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='clinic_staff', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'clinic staff',
            },
        ),
        migrations.RunPython(copy_user_clinics, copy_back_to_users),
    ]
