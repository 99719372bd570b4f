"""The clinician's clinic now lives in `treatment.ClinicStaff` (copied there by
treatment's 0004), so that core names no other app."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0006_user_sessions_and_pending_account_changes'),
        ('treatment', '0004_clinic_staff_holds_the_clinicians_clinic'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='user',
            name='clinic',
        ),
    ]
