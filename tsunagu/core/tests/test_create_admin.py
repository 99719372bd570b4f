"""The first administrator, and the demo's accounts, come through the one account service."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tsunagu.core.models import AuditEvent, Role, User

pytestmark = pytest.mark.django_db


def test_create_admin_makes_an_active_admin_with_a_temporary_password_printed_once():
    out = io.StringIO()
    call_command("create-admin", "first-admin", stdout=out)
    admin = User.objects.get(username="first-admin")
    password = out.getvalue().rsplit(": ", 1)[1].strip()
    assert admin.role == Role.ADMIN and admin.is_active
    assert admin.must_change_password and admin.check_password(password)
    event = AuditEvent.objects.get(action="user.create", object_id=str(admin.pk))
    assert event.actor is None
    assert password not in str(event.detail)


def test_create_admin_refuses_a_taken_name():
    call_command("create-admin", "first-admin", stdout=io.StringIO())
    with pytest.raises(CommandError, match="既に使われています"):
        call_command("create-admin", "FIRST-admin", stdout=io.StringIO())


def test_demo_accounts_are_created_by_the_account_service(settings):
    settings.DEMO = True
    from tsunagu.core import demo

    demo.load(io.StringIO())
    created = AuditEvent.objects.filter(action="user.create").count()
    assert created == len(demo.DEMO_USERS)
    officer = User.objects.get(username="officer-tokyo")
    assert officer.check_password(demo.DEMO_PASSWORD) and not officer.must_change_password
    demo.load(io.StringIO())  # twice changes nothing
    assert AuditEvent.objects.filter(action="user.create").count() == created
