"""The inbox: header count, list, opening a notice, preferences, the admin's outbox page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tsunagu.core.models import AuditEvent, Region, User
from tsunagu.notifications import kinds
from tsunagu.notifications.models import Delivery, Notice, Preference
from tsunagu.notifications.outbox import notify
from tsunagu.testing import access_test, client_for
from tsunagu.testing.builders import referred
from tsunagu.treatment import loop
from tsunagu.treatment.models import Clinic, ClinicStaff


def _notice_queries(client: Any) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/cases/").content.decode()
    return page, [q["sql"] for q in ctx.captured_queries if "notifications_notice" in q["sql"]]


def test_header_counts_unread_and_probes_once_when_nothing_is_unread(
    officer_tokyo: User,
) -> None:
    client = client_for(officer_tokyo)
    page, queries = _notice_queries(client)
    # Nothing unread: one plain probe of the user's own notices, no visibility conditions.
    assert 'class="badge"' not in page.split('id="notices-link"')[1].split("</a>")[0]
    assert len(queries) == 1 and "EXISTS" not in queries[0].upper()
    notify([officer_tokyo], kinds.FOLLOWUP_DUE, link="/cases/", key="a")
    notify([officer_tokyo], kinds.LOCKOUT, link="/cases/", key="b")
    Notice.objects.filter(key="b").update(read_at=timezone.now())
    page, queries = _notice_queries(client)
    assert re.search(r'id="notices-link"[^>]*>[^<]*<span class="badge"[^>]*>1</span>', page)
    # Something unread: the probe, then one count of the notices still visible.
    assert len(queries) == 2 and "COUNT" in queries[1].upper()


@access_test("notifications:inbox", "notifications:open", "notifications:read_all")
def test_inbox_lists_only_ones_own_and_opening_marks_read(
    officer_tokyo: User, officer_osaka: User, clinician_tokyo: User, analyst: User
) -> None:
    (mine,) = notify([officer_tokyo], kinds.FOLLOWUP_DUE, link="/cases/", key="a")
    (theirs,) = notify([officer_osaka], kinds.LOCKOUT, link="/cases/", key="a")
    client = client_for(officer_tokyo)
    page = client.get("/notifications/").content.decode()
    assert "事後確認の期日" in page and "アカウントのロック" not in page
    assert ">開く</button>" in page  # the button, not the case status 「継続中」 of one msgid
    assert "<script>" not in page and "style=" not in page
    response = client.post(f"/notifications/{mine.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/cases/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    for other in (officer_tokyo, clinician_tokyo, analyst):
        assert client_for(other).post(f"/notifications/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client_for(officer_osaka).post("/notifications/read/")
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert theirs.read_at is not None
    assert client.get("/notifications/").status_code == 200


def test_the_inbox_needs_sign_in(client: Any) -> None:
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_link_out_of_scope_still_answers_404(
    officer_osaka: User, officer_tokyo: User, make_case: Any
) -> None:
    case = make_case(officer_tokyo)
    (notice,) = notify([officer_osaka], kinds.FOLLOWUP_DUE, link=f"/cases/{case.pk}/", key="x")
    client = client_for(officer_osaka)
    response = client.post(f"/notifications/{notice.pk}/open/", follow=True)
    assert response.status_code == 404


@access_test("notifications:preferences")
def test_preferences_save_and_refuse_unknown_kinds(officer_tokyo: User) -> None:
    officer_tokyo.email = "o@example.jp"
    officer_tokyo.save()
    client = client_for(officer_tokyo)
    response = client.post(
        "/notifications/preferences/",
        {"kind_followup_due": "digest", "kind_lockout": "immediate", "language": "en"},
    )
    assert response.status_code == 302
    assert dict(Preference.objects.filter(user=officer_tokyo).values_list("kind", "mode")) == {
        kinds.FOLLOWUP_DUE: kinds.DIGEST,
        kinds.LOCKOUT: kinds.IMMEDIATE,
    }
    changes = AuditEvent.objects.filter(action="user.notice_preferences", actor=officer_tokyo)
    assert [e.detail["changed"] for e in changes] == [
        {kinds.FOLLOWUP_DUE: kinds.DIGEST, kinds.LOCKOUT: kinds.IMMEDIATE}
    ]
    client.post("/notifications/preferences/", {"kind_lockout": "immediate", "language": "en"})
    assert changes.count() == 1  # nothing changed, nothing audited
    response = client.post(
        "/notifications/preferences/", {"kind_gossip": "immediate", "language": "en"}
    )
    assert response.status_code == 400
    assert "kind_gossip" in response.content.decode()
    response = client.post(
        "/notifications/preferences/", {"kind_lockout": "pigeon", "language": "en"}
    )
    assert response.status_code == 400 and "kind_lockout" in response.content.decode()
    assert Preference.objects.get(user=officer_tokyo, kind=kinds.LOCKOUT).mode == kinds.IMMEDIATE


def test_without_an_address_the_page_says_inbox_only(clinician_tokyo: User) -> None:
    page = client_for(clinician_tokyo).get("/notifications/preferences/").content.decode()
    assert 'id="no-address"' in page


@access_test("notifications:deliveries")
def test_only_administrators_see_the_outbox_and_only_its_kind(
    admin_user: User, supervisor_tokyo: User, clinician_tokyo: User, analyst: User
) -> None:
    supervisor_tokyo.email = "s@example.jp"
    supervisor_tokyo.save()
    Preference.objects.create(user=supervisor_tokyo, kind=kinds.LOCKOUT, mode=kinds.IMMEDIATE)
    notify([supervisor_tokyo], kinds.LOCKOUT, link="/secret-path/", key="a")
    Delivery.objects.update(status="failed", attempts=6, last_error="SMTPRecipientsRefused: 550")
    page = client_for(admin_user).get("/notifications/deliveries/?status=failed").content.decode()
    assert "supervisor-tokyo" in page and "lockout" in page and "550" in page
    assert "/secret-path/" not in page
    for other in (supervisor_tokyo, clinician_tokyo, analyst):
        assert client_for(other).get("/notifications/deliveries/").status_code == 404


def test_lists_do_not_grow_queries_with_rows(
    admin_user: User, officer_tokyo: User, supervisor_tokyo: User
) -> None:
    for user in (officer_tokyo, supervisor_tokyo):
        user.email = f"{user.username}@example.jp"
        user.save()
        Preference.objects.create(user=user, kind=kinds.LOCKOUT, mode=kinds.IMMEDIATE)

    def queries(client: Any, url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    inbox, outbox = client_for(officer_tokyo), client_for(admin_user)
    notify([officer_tokyo, supervisor_tokyo], kinds.LOCKOUT, key="0")
    few = queries(inbox, "/notifications/"), queries(outbox, "/notifications/deliveries/")
    for n in range(1, 15):
        notify([officer_tokyo, supervisor_tokyo], kinds.LOCKOUT, key=str(n))
    many = queries(inbox, "/notifications/"), queries(outbox, "/notifications/deliveries/")
    assert many == few


# --- notices about items the user can no longer see ----------------------------------


def badge(page: str) -> int:
    """The unread count the header shows (no badge: 0)."""
    found = re.search(
        r'id="notices-link"[^>]*>[^<]*(?:<span class="badge"[^>]*>(\d+)</span>)?', page
    )
    assert found is not None
    return int(found.group(1) or 0)


def listed(page: str) -> int:
    return page.count('action="/notifications/') - page.count('action="/notifications/read/"')


def test_notices_about_referrals_a_clinician_can_no_longer_see_are_hidden(
    officer_tokyo: User,
    make_case: Any,
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
    tokyo: Region,
) -> None:
    first = referred(officer_tokyo, make_case, clinic_tokyo)
    second = referred(officer_tokyo, make_case, clinic_tokyo)
    notify([clinician_tokyo], kinds.LOCKOUT, key="about-nothing")
    client = client_for(clinician_tokyo)
    page = client.get("/notifications/").content.decode()
    assert (badge(page), listed(page)) == (3, 3)
    (notice,) = Notice.objects.filter(recipient=clinician_tokyo, target_id=first.pk)
    assert (notice.target_type, notice.link) == ("referral", f"/treatment/referrals/{first.pk}/")

    # The clinician moves to another clinic: the referrals are out of reach.
    elsewhere = Clinic.objects.create(code="13-C777", prefecture=tokyo, name="別のクリニック")
    ClinicStaff.objects.filter(user=clinician_tokyo).update(clinic=elsewhere)
    page = client.get("/notifications/").content.decode()
    assert (badge(page), listed(page)) == (1, 1)
    assert client.post(f"/notifications/{notice.pk}/open/").status_code == 404
    client.post("/notifications/read/")
    assert badge(client.get("/notifications/").content.decode()) == 0

    # Back at the clinic, the notices are there again, still unread.
    ClinicStaff.objects.filter(user=clinician_tokyo).update(clinic=clinic_tokyo)
    page = client.get("/notifications/").content.decode()
    assert (badge(page), listed(page)) == (2, 3)
    response = client.post(f"/notifications/{notice.pk}/open/")
    assert response["Location"] == f"/treatment/referrals/{first.pk}/"

    # Leaving the clinic altogether hides them too.
    ClinicStaff.objects.filter(user=clinician_tokyo).delete()
    clinician_tokyo.refresh_from_db()
    page = client.get("/notifications/").content.decode()
    assert (badge(page), listed(page)) == (0, 1)
    assert Notice.objects.filter(recipient=clinician_tokyo, target_id=second.pk).exists()


def test_notices_about_cases_of_a_prefecture_an_officer_left_are_hidden(
    officer_tokyo: User, make_case: Any, clinic_tokyo: Clinic, clinician_tokyo: User
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    loop.referral_act(
        actor=clinician_tokyo, referral=referral, action="acknowledge", date=dt.date(2016, 6, 3)
    )
    (notice,) = Notice.objects.filter(recipient=officer_tokyo)
    assert (notice.kind, notice.target_type) == (kinds.REFERRAL_STATUS, "case")
    client = client_for(officer_tokyo)
    assert badge(client.get("/notifications/").content.decode()) == 1
    officer_tokyo.region = Region.objects.get(code="27-001")
    officer_tokyo.save()
    page = client.get("/notifications/").content.decode()
    assert (badge(page), listed(page)) == (0, 0)


def test_hiding_costs_no_query_per_notice(
    officer_tokyo: User, make_case: Any, clinic_tokyo: Clinic, clinician_tokyo: User
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    client = client_for(clinician_tokyo)

    def queries() -> tuple[int, int, list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            page = client.get("/notifications/").content.decode()
        assert listed(page) == badge(page)
        sql = [q["sql"] for q in ctx.captured_queries]
        return listed(page), len(sql), [q for q in sql if "notifications_notice" in q]

    shown, few, _ = queries()
    assert shown == 1
    for n in range(12):
        notify([clinician_tokyo], kinds.REFERRAL_OVERDUE, target=referral, key=f"o{n}")
        # About a case file, which no clinician sees: never shown to one.
        notify([clinician_tokyo], kinds.FOLLOWUP_DUE, target=referral.case, key=f"c{n}")
    shown, many, notice_queries = queries()
    assert shown == 13 and Notice.objects.filter(recipient=clinician_tokyo).count() == 25
    assert many == few
    # The page's count, its rows and the header's count: each one query that
    # checks every notice's item inside it (the header's after a plain probe for
    # anything unread at all).
    counted = [q for q in notice_queries if "EXISTS" in q.upper()]
    assert len(counted) == 3 and len(notice_queries) == 4
