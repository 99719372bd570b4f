"""Reports are cached on a data version that every write in scope changes (database
triggers, whatever writes), never on time; viewed again they read no events.

Transactional tests: each write commits, as in the application (a report computed
inside a transaction is never cached)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tsunagu.cases import services as case_services
from tsunagu.cases.models import Case, Event, Person
from tsunagu.core.models import User
from tsunagu.reports.cache import data_version
from tsunagu.testing import client_for

JUNE = dt.date(2016, 6, 1)


def test_every_write_in_scope_changes_the_data_version(
    transactional_db: None,
    officer_tokyo: User,
    officer_osaka: User,
    analyst: User,
    make_case: Callable[..., Case],
) -> None:
    case = make_case(officer_tokyo)
    osaka_case = make_case(officer_osaka)
    seen: set[tuple[str, str]] = set()

    def versions() -> tuple[str, str, str]:
        return data_version(officer_tokyo), data_version(officer_osaka), data_version(analyst)

    def changed(write: Callable[[], object], tokyo: bool) -> None:
        before = versions()
        write()
        after = versions()
        assert (after[0] != before[0]) is tokyo
        assert (after[1] != before[1]) is not tokyo
        assert after[2] != before[2]  # the analyst counts every prefecture
        assert (after[0], after[2]) not in seen
        seen.add((after[0], after[2]))

    changed(
        lambda: case_services.event_record(
            actor=officer_tokyo, case=case, date=JUNE, type="warning"
        ),
        tokyo=True,
    )
    changed(
        lambda: case_services.event_record(
            actor=officer_osaka, case=osaka_case, date=JUNE, type="warning"
        ),
        tokyo=False,
    )
    # Writes that bypass the services (an import's bulk insert, a fix in SQL) count too.
    changed(
        lambda: Event.objects.bulk_create(
            [Event(case=case, date=JUNE, type="arrest", detail="stalking", rank=0)]
        ),
        tokyo=True,
    )
    changed(lambda: Case.objects.filter(pk=case.pk).update(relationship="stranger"), tokyo=True)
    changed(lambda: Person.objects.filter(case=case).update(age=40), tokyo=True)
    changed(lambda: Event.objects.filter(case=case, type="arrest").delete(), tokyo=True)


def test_annual_statistics_viewed_again_come_from_the_cache_until_a_write(
    transactional_db: None, officer_tokyo: User, analyst: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    client = client_for(analyst)
    url = reverse("reports:annual") + "?year=2016"

    def warnings_shown() -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url)
        assert page.status_code == 200
        return page.context["stats"].measures["warning"], [
            q["sql"] for q in ctx.captured_queries if "cases_event" in q["sql"]
        ]

    assert warnings_shown()[0] == 0
    count, event_queries = warnings_shown()
    assert (count, event_queries) == (0, [])  # served from the cache
    case_services.event_record(actor=officer_tokyo, case=case, date=JUNE, type="warning")
    count, event_queries = warnings_shown()
    assert count == 1 and event_queries  # counted afresh after the write


def test_programme_report_viewed_again_reads_no_events(
    transactional_db: None,
    officer_tokyo: User,
    supervisor_tokyo: User,
    make_case: Callable[..., Case],
) -> None:
    make_case(officer_tokyo)
    client = client_for(supervisor_tokyo)
    url = reverse("reports:programme") + "?preset=custom&date_from=2016-01-01&date_to=2016-12-31"
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url)
    assert page.status_code == 200
    assert not [q for q in ctx.captured_queries if "cases_event" in q["sql"]]
    # The long tables are not in the page: they load when opened.
    body = page.content.decode()
    assert 'id="prefectures"' in body and '<table class="sortable">' not in body
    part = client.get(url + "&part=prefectures")
    assert part.status_code == 200 and '<table class="sortable">' in part.content.decode()
