"""The busy pages read a flat number of queries whatever the amount of data:
the same count with 5 and with 50 cases (events, audit rows, referrals)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tsunagu.cases import services as case_services
from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.testing import client_for
from tsunagu.testing.builders import referred
from tsunagu.treatment.models import Clinic


def queries(user: User, url: str) -> int:
    client = client_for(user)
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_case_list_and_audit_log_queries_do_not_grow(
    officer_tokyo: User, supervisor_tokyo: User, make_case: Callable[..., Case]
) -> None:
    urls = {
        officer_tokyo: [
            reverse("cases:list"),
            reverse("cases:list") + "?status=open&page=2",
            reverse("cases:list") + "?measure=warning&measure_from=2016-01-01",
        ],
        supervisor_tokyo: [reverse("core:audit_log")],
    }

    def add(n: int) -> None:
        for _ in range(n):
            case = make_case(officer_tokyo)
            case_services.event_record(
                actor=officer_tokyo, case=case, date=dt.date(2016, 6, 1), type="warning"
            )

    add(5)
    few = {(u.pk, url): queries(u, url) for u, list_ in urls.items() for url in list_}
    add(45)
    many = {(u.pk, url): queries(u, url) for u, list_ in urls.items() for url in list_}
    assert many == few


def test_case_page_queries_do_not_grow_with_its_events(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    day = dt.date(2016, 5, 10)

    def add(n: int) -> None:
        nonlocal day
        for _ in range(n):
            day += dt.timedelta(days=1)
            case_services.event_record(actor=officer_tokyo, case=case, date=day, type="warning")

    add(5)
    few = queries(officer_tokyo, reverse("cases:detail", args=[case.pk]))
    add(45)
    assert queries(officer_tokyo, reverse("cases:detail", args=[case.pk])) == few


def test_referral_lists_queries_do_not_grow(
    officer_tokyo: User,
    clinician_tokyo: User,
    clinic_tokyo: Clinic,
    make_case: Callable[..., Case],
) -> None:
    lists = [
        (officer_tokyo, reverse("treatment:referrals")),
        (clinician_tokyo, reverse("treatment:portal")),
    ]
    for _ in range(5):
        referred(officer_tokyo, make_case, clinic_tokyo)
    few = [queries(user, url) for user, url in lists]
    for _ in range(20):
        referred(officer_tokyo, make_case, clinic_tokyo)
    assert [queries(user, url) for user, url in lists] == few
