"""Email through a real SMTP server: delivery, retries, a killed worker, digests,
and no case detail in any message of any kind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from tsunagu.cases.models import Case
from tsunagu.core.models import AuditEvent, Region, User
from tsunagu.notifications import kinds, mail
from tsunagu.notifications.models import Attempt, Delivery, MailSettings, Preference
from tsunagu.notifications.outbox import notify
from tsunagu.testing import client_for
from tsunagu.testing.builders import OFFENDER_NAME, VICTIM_MARKERS, referred
from tsunagu.treatment.models import Clinic, ClinicStaff

from .conftest import Recorder


def opted_in(user: User, mode: str = kinds.IMMEDIATE, language: str = "ja") -> User:
    user.email = f"{user.username}@example.jp"
    user.language = language
    user.save()
    for kind in kinds.KINDS:
        Preference.objects.create(user=user, kind=kind, mode=mode)
    return user


def body(message: Any) -> str:
    payload = message.get_payload(decode=True)
    return str(message["Subject"]) + "\n" + payload.decode(message.get_content_charset())


def test_delivered_as_plain_text_in_the_users_language(smtp: Recorder, officer_tokyo: User) -> None:
    opted_in(officer_tokyo, language="en")
    notify([officer_tokyo], kinds.FOLLOWUP_DUE, link="/cases/1/", key="k1")
    assert mail.run_once() == 1
    (message,) = smtp.messages
    assert message["To"] == "officer-tokyo@example.jp"
    assert message.get_content_type() == "text/plain"
    assert not message.is_multipart()
    text = body(message)
    assert "A follow-up due or overdue" in text
    assert "https://tsunagu.example.jp/notifications/" in text
    assert "/cases/1/" not in text
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert message["Message-ID"] == f"<{delivery.delivery_key}@tsunagu.invalid>"
    assert mail.run_once() == 0


def test_japanese_by_default(smtp: Recorder, officer_tokyo: User) -> None:
    opted_in(officer_tokyo)
    notify([officer_tokyo], kinds.FOLLOWUP_DUE, key="k1")
    mail.run_once()
    assert "ログイン" in body(smtp.messages[0])


def test_each_account_gets_email_in_its_own_language(
    smtp: Recorder, officer_tokyo: User, supervisor_tokyo: User
) -> None:
    """The language is the account's, chosen by the user on their settings page."""
    for user in (officer_tokyo, supervisor_tokyo):
        user.email = f"{user.username}@example.jp"
        user.save()
        Preference.objects.create(user=user, kind=kinds.CONTACT_REPORT, mode=kinds.IMMEDIATE)
    assert (officer_tokyo.language, supervisor_tokyo.language) == ("ja", "ja")  # the default
    response = client_for(officer_tokyo).post("/notifications/preferences/", {"language": "en"})
    assert response.status_code == 302
    officer_tokyo.refresh_from_db()
    assert officer_tokyo.language == "en"
    change = AuditEvent.objects.get(action="user.language")
    assert (change.actor, change.detail["after"]) == (officer_tokyo, "en")
    refused = client_for(supervisor_tokyo).post("/notifications/preferences/", {"language": "fr"})
    assert refused.status_code == 400 and "language: " in refused.content.decode()
    supervisor_tokyo.refresh_from_db()
    assert supervisor_tokyo.language == "ja"

    notify([officer_tokyo, supervisor_tokyo], kinds.CONTACT_REPORT, key="k1")
    assert mail.run_once() == 2
    by_address = {m["To"]: body(m) for m in smtp.messages}
    english = by_address["officer-tokyo@example.jp"]
    japanese = by_address["supervisor-tokyo@example.jp"]
    assert "A contact report under an active condition" in english and "Sign in" in english
    assert "ログイン" not in english
    assert "ログイン" in japanese and "Sign in" not in japanese


def test_a_failed_delivery_is_retried_with_backoff_and_succeeds(
    smtp: Recorder, officer_tokyo: User, settings: Any
) -> None:
    settings.NOTIFY_RETRY_BASE_SECONDS = 60
    opted_in(officer_tokyo)
    notify([officer_tokyo], kinds.LOCKOUT, key="k1")
    smtp.fail = 2
    assert mail.run_once() == 0
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "451" in delivery.last_error
    wait = delivery.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=50) < wait <= dt.timedelta(seconds=60)
    assert mail.run_once() == 0  # not due yet: nothing tried
    assert Attempt.objects.count() == 1
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert mail.run_once() == 0
    delivery.refresh_from_db()
    wait = delivery.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=110) < wait <= dt.timedelta(seconds=120)  # doubled
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert mail.run_once() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    assert list(Attempt.objects.values_list("ok", flat=True)) == [False, False, True]
    assert len(smtp.messages) == 1


def test_a_bouncing_address_fails_after_the_retries_and_stops(
    smtp: Recorder, officer_tokyo: User, settings: Any
) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 3
    opted_in(officer_tokyo)
    notify([officer_tokyo], kinds.LOCKOUT, key="k1")
    smtp.fail = 100
    for _ in range(6):
        Delivery.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        mail.run_once()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert Attempt.objects.count() == 3
    assert MailSettings.objects.get(user=officer_tokyo).failing_since is not None
    page = client_for(officer_tokyo).get("/notifications/").content.decode()
    assert 'id="mail-failing"' in page
    # The address works again (an administrator fixed it): the next success clears it.
    smtp.fail = 0
    notify([officer_tokyo], kinds.LOCKOUT, key="k2")
    assert mail.run_once() == 1
    assert MailSettings.objects.get(user=officer_tokyo).failing_since is None


def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(
    smtp: Recorder, officer_tokyo: User
) -> None:
    opted_in(officer_tokyo)
    notify([officer_tokyo], kinds.LOCKOUT, key="k1")
    notify([officer_tokyo], kinds.FOLLOWUP_DUE, key="k2")
    claimed = mail.claim()  # a worker claims both, then dies before sending
    assert len(claimed) == 2
    assert mail.run_once() == 0  # a second worker: leased to the dead one
    Delivery.objects.update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    assert mail.run_once() == 2
    assert mail.run_once() == 0
    keys = [m["Message-ID"] for m in smtp.messages]
    assert len(keys) == 2 and len(set(keys)) == 2


def test_two_workers_never_claim_the_same_row(officer_tokyo: User) -> None:
    opted_in(officer_tokyo)
    for n in range(5):
        notify([officer_tokyo], kinds.LOCKOUT, key=f"k{n}")
    first = {d.pk for d in mail.claim(limit=3)}
    second = {d.pk for d in mail.claim(limit=10)}
    assert len(first) == 3 and len(second) == 2 and not first & second


def test_a_digest_gathers_the_days_notices(
    smtp: Recorder, officer_tokyo: User, supervisor_tokyo: User
) -> None:
    opted_in(officer_tokyo, mode=kinds.DIGEST, language="en")
    opted_in(supervisor_tokyo, mode=kinds.IMMEDIATE)
    notify([officer_tokyo], kinds.FOLLOWUP_DUE, key="a")
    notify([officer_tokyo], kinds.FOLLOWUP_DUE, key="b")
    notify([officer_tokyo, supervisor_tokyo], kinds.CONTACT_REPORT, key="c")
    assert mail.run_once() == 1  # the supervisor's, at once; the digest waits
    assert mail.send_digests(timezone.localdate()) == 1
    assert len(smtp.messages) == 2
    digest = body(smtp.messages[1])
    assert "daily summary" in digest
    assert "A follow-up due or overdue (2)" in digest
    assert "A contact report under an active condition (1)" in digest
    assert mail.send_digests(timezone.localdate()) == 0
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_no_message_of_any_kind_holds_case_detail(
    smtp: Recorder,
    officer_tokyo: User,
    clinician_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo, ref="REF-MARKER-77")
    case = referral.case
    opted_in(officer_tokyo)
    for kind in kinds.KINDS:
        notify([officer_tokyo], kind, link=f"/cases/{case.pk}/", key=f"all:{kind}")
    assert mail.run_once(limit=100) == len(kinds.KINDS)
    opted_in(clinician_tokyo, mode=kinds.DIGEST, language="en")
    for kind in kinds.KINDS:
        notify([clinician_tokyo], kind, link=f"/cases/{case.pk}/", key=f"all:{kind}")
    assert mail.send_digests() == 1
    markers = (
        *VICTIM_MARKERS,
        OFFENDER_NAME,
        "REF-MARKER-77",
        clinic_tokyo.name,
        clinic_tokyo.code,
        f"/cases/{case.pk}",
        "2016-06",
        "2016",
    )
    assert len(smtp.raw) == len(kinds.KINDS) + 1
    seen_kinds: set[str] = set()
    for raw, message in zip(smtp.raw, smtp.messages, strict=True):
        text = body(message)
        for marker in markers:
            assert marker not in text and marker.encode() not in raw, marker
        seen_kinds.update(k for k, label in kinds.LABELS.items() if str(label) in text)
    assert len(seen_kinds) >= 1


def test_email_about_a_referral_out_of_sight_is_withdrawn_unsent(
    smtp: Recorder,
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
    tokyo: Region,
) -> None:
    """Even the kind ("a new referral") would tell a clinician who left the clinic
    that their former clinic got one: neither the email nor the digest says it."""
    opted_in(clinician_tokyo)
    first = referred(officer_tokyo, make_case, clinic_tokyo)
    elsewhere = Clinic.objects.create(code="13-C777", prefecture=tokyo, name="別のクリニック")
    ClinicStaff.objects.filter(user=clinician_tokyo).update(clinic=elsewhere)
    assert mail.run_once() == 0 and smtp.messages == []
    delivery = Delivery.objects.get(notice__target_id=first.pk)
    assert (delivery.status, delivery.attempts) == ("withdrawn", 0)
    assert not Attempt.objects.exists()
    assert MailSettings.objects.filter(failing_since__isnull=False).count() == 0
    # A digest gathers only what the user still sees by the time it is sent.
    Preference.objects.update(mode=kinds.DIGEST)
    ClinicStaff.objects.filter(user=clinician_tokyo).update(clinic=clinic_tokyo)
    referred(officer_tokyo, make_case, clinic_tokyo)
    notify([clinician_tokyo], kinds.LOCKOUT, key="about-nothing")
    ClinicStaff.objects.filter(user=clinician_tokyo).update(clinic=elsewhere)
    assert mail.send_digests() == 1
    (digest,) = smtp.messages
    assert "アカウントのロック (1)" in body(digest)
    assert "新しい紹介" not in body(digest)
    assert Delivery.objects.filter(status="withdrawn").count() == 2
