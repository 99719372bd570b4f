"""`tsunagu worker`, `tsunagu notify-due` and the mail settings from the environment."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tsunagu.core.models import User
from tsunagu.notifications import kinds, mail
from tsunagu.notifications.conf import BACKENDS, mail_settings
from tsunagu.notifications.models import Delivery, Preference
from tsunagu.notifications.outbox import notify

from .conftest import Recorder


def test_worker_once_and_the_loop_send_due_mail(smtp: Recorder, officer_tokyo: User) -> None:
    officer_tokyo.email = "o@example.jp"
    officer_tokyo.save()
    Preference.objects.create(user=officer_tokyo, kind=kinds.LOCKOUT, mode=kinds.IMMEDIATE)
    notify([officer_tokyo], kinds.LOCKOUT, key="a")
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert out.getvalue().strip() == "sent 1"
    notify([officer_tokyo], kinds.LOCKOUT, key="b")
    mail.run_forever(poll_seconds=0, stop_after=1)
    assert len(smtp.messages) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_notify_due_refuses_a_bad_date(db: None) -> None:
    with pytest.raises(CommandError, match="--date"):
        call_command("notify-due", "--date", "June")
    out = io.StringIO()
    call_command("notify-due", "--date", "2016-06-10", stdout=out)
    assert "referral_overdue: 0" in out.getvalue()


def test_mail_settings_from_the_environment(tmp_path: Path) -> None:
    smtp = mail_settings(
        {"TSUNAGU_EMAIL_URL": "smtp://u%40x:p%2Fw@mail.example.jp:587?tls=1"}, tmp_path
    )
    assert smtp["EMAIL_HOST"] == "mail.example.jp" and smtp["EMAIL_PORT"] == 587
    assert (smtp["EMAIL_HOST_USER"], smtp["EMAIL_HOST_PASSWORD"]) == ("u@x", "p/w")
    assert smtp["EMAIL_USE_TLS"] and not smtp["EMAIL_USE_SSL"]
    assert mail_settings({"TSUNAGU_EMAIL_URL": "smtps://h"}, tmp_path)["EMAIL_PORT"] == 465
    parts = mail_settings({"TSUNAGU_SMTP_HOST": "h", "TSUNAGU_SMTP_PORT": "2525"}, tmp_path)
    assert (parts["EMAIL_HOST"], parts["EMAIL_PORT"]) == ("h", 2525)
    demo = mail_settings({}, tmp_path)
    assert demo == {"EMAIL_BACKEND": BACKENDS["file"], "EMAIL_FILE_PATH": str(tmp_path / "mail")}
    with pytest.raises(ValueError, match="TSUNAGU_EMAIL_URL"):
        mail_settings({"TSUNAGU_EMAIL_URL": "pigeon://x"}, tmp_path)
