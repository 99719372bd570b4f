"""The programme report is tallied from each prefecture's episode rows, cached on
that prefecture's own data version: a write in Osaka reads and classifies Osaka's
cases only, and the figures stay equal to a full recount for everyone who sees
them (analysts, police, a chosen set of prefectures).

Transactional tests: each write commits, as in the application (nothing is cached
inside a transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tsunagu.cases import services as case_services
from tsunagu.cases.models import Case, Event, statistics_prefectures
from tsunagu.core.models import Region, Role, User
from tsunagu.reports import links, programme
from tsunagu.testing import client_for
from tsunagu.testing.builders import add_events

pytestmark = pytest.mark.usefixtures("transactional_db")

D = dt.date
PARAMS = programme.Params.make(D(2016, 4, 1), D(2016, 12, 31))
PAGE = {"preset": "custom", "date_from": "2016-04-01", "date_to": "2016-12-31"}
API = {"date_from": "2016-04-01", "date_to": "2016-12-31"}


def advise(
    officer: User, case: Case, *events: tuple[dt.date, str] | tuple[dt.date, str, str]
) -> None:
    for ev in events:
        case_services.event_record(
            actor=officer, case=case, date=ev[0], type=ev[1], detail=ev[2] if len(ev) > 2 else ""
        )


def recount(scope: QuerySet[Case], with_levels: bool = False) -> programme.Report:
    return programme.compute(scope, PARAMS, with_levels)


def same(parts: programme.Report, whole: programme.Report) -> None:
    assert parts.as_json() == whole.as_json()
    assert sorted(parts.rows) == sorted(whole.rows)
    assert parts.monthly() == whole.monthly()


@pytest.fixture
def cases(
    officer_tokyo: User, officer_osaka: User, make_case: Callable[..., Case]
) -> dict[str, Case]:
    tokyo = make_case(officer_tokyo, opened_on=D(2016, 4, 2))
    advise(
        officer_tokyo,
        tokyo,
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 3), "advice_rejected", "cost"),
    )
    osaka = make_case(officer_osaka, opened_on=D(2016, 4, 5))
    advise(
        officer_osaka,
        osaka,
        (D(2016, 6, 1), "treatment_advised"),
        (D(2016, 6, 2), "advice_accepted"),
    )
    return {"13": tokyo, "27": osaka}


def test_a_write_in_osaka_reads_osakas_rows_only(
    analyst: User,
    officer_osaka: User,
    supervisor_tokyo: User,
    cases: dict[str, Case],
    counted: list[list[int]],
) -> None:
    everyone = Case.objects.all()
    prefectures = sorted(
        Region.objects.filter(kind=Region.Kind.PREFECTURE).values_list("pk", flat=True)
    )
    tokyo, osaka = cases["13"].prefecture_id, cases["27"].prefecture_id

    same(programme.compute_for(analyst, PARAMS), recount(everyone))
    assert counted == [prefectures]  # every prefecture in one pass
    counted.clear()
    same(programme.compute_for(analyst, PARAMS), recount(everyone))
    assert counted == []  # unchanged data: every part from the cache

    # A service write in Osaka: Osaka's cases are read again, nobody else's.
    advise(officer_osaka, cases["27"], (D(2016, 7, 1), "treatment_advised"))
    report = programme.compute_for(analyst, PARAMS)
    assert counted == [[osaka]]
    assert report.by_prefecture["27"]["advised"] == 2
    same(report, recount(everyone))

    # A correction voids the second advice: Osaka again.
    counted.clear()
    second = Event.objects.get(case=cases["27"], type="treatment_advised", date=D(2016, 7, 1))
    case_services.event_correct(actor=officer_osaka, event=second, reason="wrong case")
    report = programme.compute_for(analyst, PARAMS)
    assert counted == [[osaka]]
    assert report.by_prefecture["27"]["advised"] == 1
    same(report, recount(everyone))

    # A bulk insert that bypasses the services (an import): Tokyo only.
    counted.clear()
    add_events(cases["13"], [(D(2016, 9, 1), "treatment_advised")])
    report = programme.compute_for(analyst, PARAMS)
    assert counted == [[tokyo]]
    assert report.by_prefecture["13"]["advised"] == 2
    same(report, recount(everyone))

    # The police of Tokyo read Tokyo's part, cached by the analyst's report.
    counted.clear()
    tokyo_only = everyone.filter(prefecture_id=tokyo)
    same(programme.compute_for(supervisor_tokyo, PARAMS), recount(tokyo_only))
    assert counted == []


def test_the_breakdown_by_risk_level_is_the_same_from_the_parts(
    analyst: User, cases: dict[str, Case], counted: list[list[int]]
) -> None:
    add_events(cases["13"], [(D(2016, 4, 20), "risk_assessed", "high")])
    whole = recount(Case.objects.all(), with_levels=True)
    same(programme.compute_for(analyst, PARAMS, with_levels=True), whole)
    # The plain report and the breakdown are cached apart.
    programme.compute_for(analyst, PARAMS)
    assert len(counted) == 2
    same(programme.compute_for(analyst, PARAMS, with_levels=True), whole)
    assert len(counted) == 2


def test_queries_do_not_grow_with_the_prefectures_read_again(
    analyst: User, officer_osaka: User, cases: dict[str, Case]
) -> None:
    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as ctx:
            programme.compute_for(analyst, PARAMS)
        return [q["sql"] for q in ctx.captured_queries]

    all_stale = queries()
    advise(officer_osaka, cases["27"], (D(2016, 7, 1), "treatment_advised"))
    one_stale = queries()
    assert len(one_stale) == len(all_stale)
    none_stale = queries()
    assert not [sql for sql in none_stale if "cases_event" in sql]


def test_pages_and_api_show_a_full_recount_for_analysts_and_police(
    analyst: User,
    supervisor_tokyo: User,
    officer_osaka: User,
    cases: dict[str, Case],
    counted: list[list[int]],
) -> None:
    everyone = Case.objects.all()
    tokyo_only = everyone.filter(prefecture__code="13")

    def shown(user: User, **extra: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        client = client_for(user)
        page = client.get(reverse("reports:programme"), {**PAGE, **extra})
        api = client.get(reverse("api:programme_report"), {**API, **extra})
        assert page.status_code == 200 and api.status_code == 200
        return page.context["totals"], api.json()

    for _ in range(2):  # computed, then from the cache
        totals, api = shown(analyst)
        assert totals == recount(everyone).totals
        assert api == recount(everyone).as_json()
        totals, api = shown(supervisor_tokyo)
        assert totals == recount(tokyo_only).totals
        assert api == recount(tokyo_only).as_json()
        # A chosen set of prefectures is a subset of the parts.
        chosen = programme.Params.make(PARAMS.date_from, PARAMS.date_to, prefectures=["27"])
        totals, api = shown(analyst, prefecture="27")
        assert totals == programme.compute(everyone, chosen).totals
        assert api == programme.compute(everyone, chosen).as_json()
    assert len(counted) == 1  # the analyst's first report read every prefecture once

    # After a write in Osaka, the figures follow, the Tokyo police page is unchanged.
    advise(officer_osaka, cases["27"], (D(2016, 8, 1), "treatment_advised"))
    totals, api = shown(analyst)
    assert totals["advised"] == 3 and api == recount(everyone).as_json()
    totals, _api = shown(supervisor_tokyo)
    assert totals == recount(tokyo_only).totals

    # The drill-down reads the episodes itself, as before.
    drill = client_for(analyst).get(reverse("reports:episodes"), {**PAGE, "figure": "advised"})
    assert drill.status_code == 200 and drill.context["count"] == 3
    police = client_for(supervisor_tokyo).get(
        reverse("reports:episodes"), {**PAGE, "figure": "rejected"}
    )
    assert police.status_code == 200 and police.context["count"] == 1


def test_every_reporting_scope_is_whole_prefectures(
    analyst: User, supervisor_tokyo: User, officer_osaka: User, cases: dict[str, Case]
) -> None:
    clinician = User.objects.create(username="c-1", role=Role.CLINICIAN)
    for user in (analyst, supervisor_tokyo, officer_osaka, clinician):
        ids = statistics_prefectures(user)
        whole = Case.objects.all() if ids is None else Case.objects.filter(prefecture_id__in=ids)
        assert set(Case.objects.for_statistics(user)) == set(whole)
    assert statistics_prefectures(clinician) == []


def test_a_linker_makes_the_links_of_link() -> None:
    base = {"preset": "custom", "date_from": "2016-04-01", "prefecture": ["13", "27"]}
    make = links.linker("reports:episodes", base)
    for extra in (
        {},
        {"figure": "rejected", "reason": "cost"},
        {"pref": "", "recurrence": 1},
        {"preset": "x"},
    ):
        assert make(**extra) == links.link("reports:episodes", base, **extra)
    assert links.linker("reports:episodes", {})() == links.link("reports:episodes", {})
