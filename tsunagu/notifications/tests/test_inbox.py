"""The inbox: header count, list, opening a notice, preferences, the admin's outbox page."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tsunagu.core.models import User
from tsunagu.notifications import kinds
from tsunagu.notifications.models import Delivery, Notice, Preference
from tsunagu.notifications.outbox import notify
from tsunagu.testing import access_test, client_for


def test_header_counts_unread_with_one_query(officer_tokyo: User) -> None:
    notify([officer_tokyo], kinds.FOLLOWUP_DUE, link="/cases/", key="a")
    notify([officer_tokyo], kinds.LOCKOUT, link="/cases/", key="b")
    Notice.objects.filter(key="b").update(read_at=timezone.now())
    client = client_for(officer_tokyo)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/cases/").content.decode()
    assert re.search(r'id="notices-link">[^<]*<span class="badge"[^>]*>1</span>', page)
    counts = [q["sql"] for q in ctx.captured_queries if "notifications_notice" in q["sql"]]
    assert len(counts) == 1 and "COUNT" in counts[0].upper()


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
