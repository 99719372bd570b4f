"""Every count of the annual page links police to the cases behind it (DESIGN §4)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tsunagu.cases import timeline
from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.reports import annual
from tsunagu.testing import client_for
from tsunagu.testing.builders import D, add_events, bare_case


@pytest.fixture
def annual_cases(db: Any) -> list[Case]:
    one = bare_case("13", "ANN-1", D(2016, 2, 1))
    add_events(
        one,
        [
            (D(2016, 2, 1), "warning"),
            (D(2016, 5, 1), "warning"),  # a second warning: two measures, one case
            (D(2016, 6, 1), "arrest", "stalking"),
            (D(2016, 7, 1), "assistance"),
        ],
    )
    two = bare_case("13", "ANN-2", D(2016, 3, 1))
    voided = timeline.Ev(D(2016, 3, 2), "prohibition_order")
    add_events(
        two,
        [
            (D(2016, 3, 2), "warning"),
            (D(2016, 3, 2), "prohibition_order"),
            (D(2016, 3, 3), "correction", timeline.correction_detail(voided, "mistake")),
            (D(2016, 8, 1), "arrest", "order_violation"),
            (D(2016, 9, 1), "emergency_order"),
        ],
    )
    three = bare_case("13", "ANN-3", D(2015, 12, 1))
    add_events(three, [(D(2015, 12, 5), "warning"), (D(2016, 10, 1), "arrest", "other")])
    osaka = bare_case("27", "ANN-OSAKA", D(2016, 4, 1))
    add_events(osaka, [(D(2016, 4, 2), "warning")])
    return [one, two, three, osaka]


def hrefs(page: str) -> list[str]:
    main = page.split("<main", 1)[1]
    return [h.replace("&amp;", "&") for h in re.findall(r'<a href="([^"]+)">\d+</a>', main)]


def listed(client: Client, href: str) -> set[str]:
    response = client.get(href)
    assert response.status_code == 200
    assert not response.context["form"].errors
    return {row["case"].ref for row in response.context["rows"]}


def test_every_measure_count_links_to_the_cases_with_that_measure(
    supervisor_tokyo: User, annual_cases: list[Case]
) -> None:
    client = client_for(supervisor_tokyo)
    response = client.get(reverse("reports:annual"), {"year": "2016"})
    stats = response.context["stats"]
    assert stats.measures["warning"] == 3 and stats.measures["prohibition_order"] == 0
    links = {t.key: t.links for t in response.context["tables"]}["measures"]
    assert set(links) == {"consultations", *annual.MEASURE_KINDS}
    expected = {
        "consultations": {"ANN-1", "ANN-2"},
        "warning": {"ANN-1", "ANN-2"},  # 3 warnings, 2 cases: the list says "cases with"
        "prohibition_order": set(),  # voided by a correction
        "emergency_order": {"ANN-2"},
        "arrest_stalking": {"ANN-1"},
        "arrest_order_violation": {"ANN-2"},
        "arrest_other": {"ANN-3"},
        "assistance": {"ANN-1"},
    }
    for key, refs in expected.items():
        assert listed(client, links[key]) == refs, key
    # Where no case has two such measures, the count and the list agree.
    for key in ("emergency_order", "arrest_stalking", "arrest_order_violation", "assistance"):
        assert stats.measures[key] == len(expected[key])
    page = response.content.decode()
    for href in links.values():
        assert href.replace("&", "&amp;") in page
    # The year-on-year counts link too, each year to its own period.
    year_links = [h for h in hrefs(page) if "measure_from=2015-01-01" in h]
    assert year_links and all("measure_to=2015-12-31" in h for h in year_links)
    assert listed(client, next(h for h in year_links if "measure=warning" in h)) == {"ANN-3"}


def test_fiscal_year_links_use_the_fiscal_period(
    supervisor_tokyo: User, annual_cases: list[Case]
) -> None:
    client = client_for(supervisor_tokyo)
    response = client.get(reverse("reports:annual"), {"year": "2015", "fiscal": "on"})
    links = {t.key: t.links for t in response.context["tables"]}["measures"]
    assert "measure_from=2015-04-01" in links["warning"]
    assert "measure_to=2016-03-31" in links["warning"]
    assert listed(client, links["warning"]) == {"ANN-1", "ANN-2", "ANN-3"}


def test_analysts_see_plain_numbers_and_no_case_refs(
    analyst: User, annual_cases: list[Case]
) -> None:
    response = client_for(analyst).get(reverse("reports:annual"), {"year": "2016"})
    assert response.status_code == 200
    main = response.content.decode().split("<main", 1)[1]
    assert reverse("cases:list") not in main
    assert hrefs(response.content.decode()) == []
    assert "ANN-" not in main
    assert all(not t.links for t in response.context["tables"])


def test_no_links_in_public_release_mode(supervisor_tokyo: User, annual_cases: list[Case]) -> None:
    response = client_for(supervisor_tokyo).get(
        reverse("reports:annual"), {"year": "2016", "release": "1"}
    )
    assert reverse("cases:list") not in response.content.decode().split("<main", 1)[1]
