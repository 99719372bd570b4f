"""Report pages, drill-down, downloads and API: who may see what, and nothing more."""

from __future__ import annotations

import hashlib
import io
import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from tsunagu.cases.models import Case
from tsunagu.core.models import AuditEvent, User
from tsunagu.reports.models import ReleaseLog
from tsunagu.testing import access_test, assert_no_markers, client_for
from tsunagu.testing.builders import OFFENDER_NAME, VICTIM_MARKERS, D, add_events

pytestmark = pytest.mark.django_db

PERIOD: dict[str, Any] = {"preset": "custom", "date_from": "2016-04-01", "date_to": "2016-12-31"}
PAGES = ("reports:programme", "reports:episodes", "reports:annual", "reports:releases")
DOWNLOADS: list[tuple[str, dict[str, Any]]] = [
    ("reports:programme_download", {**PERIOD, "format": f}) for f in ("json", "csv", "xlsx", "pdf")
] + [("reports:annual_download", {"year": "2016", "format": f}) for f in ("json", "csv", "xlsx")]
API: list[tuple[str, dict[str, Any]]] = [
    ("api:programme_report", {"date_from": "2016-04-01", "date_to": "2016-12-31"}),
    ("api:programme_episodes", {"date_from": "2016-04-01", "date_to": "2016-12-31"}),
    ("api:annual_statistics", {"year": "2016"}),
]


def text_of(response: Any) -> str:
    """Everything a user gets, as text: pages, CSV/JSON, and the text of XLSX and PDF."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response["Content-Type"]
    if "spreadsheetml" in kind:
        wb = load_workbook(io.BytesIO(content))
        return "\n".join(
            str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
        )
    if kind == "application/pdf":
        reader = PdfReader(io.BytesIO(content))
        return re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in reader.pages))
    return content.decode("utf-8-sig")


@pytest.fixture
def programme_cases(officer_tokyo: User, officer_osaka: User, make_case: Any) -> dict[str, Case]:
    tokyo = make_case(officer_tokyo, opened_on=D(2016, 4, 2), ref="TOKYO-REF-1")
    add_events(
        tokyo,
        [
            (D(2016, 5, 1), "treatment_advised"),
            (D(2016, 5, 2), "advice_accepted", "free text about the offender"),
            (D(2016, 5, 9), "treatment_started"),
            (D(2016, 6, 9), "recurrence", "same_victim"),
        ],
    )
    tokyo2 = make_case(officer_tokyo, opened_on=D(2016, 4, 3), ref="TOKYO-REF-2")
    add_events(
        tokyo2, [(D(2016, 7, 1), "treatment_advised"), (D(2016, 7, 2), "advice_rejected", "cost")]
    )
    osaka = make_case(officer_osaka, opened_on=D(2016, 4, 2), ref="OSAKA-REF-1")
    add_events(
        osaka,
        [
            (D(2016, 8, 1), "treatment_advised"),
            (D(2016, 8, 3), "advice_rejected", "distrust"),
            (D(2016, 8, 4), "arrest", "stalking"),
        ],
    )
    return {"tokyo": tokyo, "tokyo2": tokyo2, "osaka": osaka}


@access_test(
    "reports:programme",
    "reports:programme_download",
    "reports:episodes",
    "reports:annual",
    "reports:annual_download",
    "reports:releases",
    "api:programme_report",
    "api:programme_episodes",
    "api:annual_statistics",
)
def test_clinicians_and_admins_get_404_on_every_report_url(
    clinician_tokyo: User, admin_user: User, programme_cases: dict[str, Case]
) -> None:
    for user in (clinician_tokyo, admin_user):
        client = client_for(user)
        for name in PAGES:
            assert client.get(reverse(name), PERIOD).status_code == 404, (user, name)
        for name, query in DOWNLOADS + API:
            assert client.get(reverse(name), query).status_code == 404, (user, name)
    anonymous = Client()
    assert anonymous.get(reverse("reports:programme")).status_code == 302
    assert anonymous.get(reverse("api:programme_report"), API[0][1]).status_code in (401, 403)


def test_every_api_operation_of_the_reports_is_covered() -> None:
    from django.urls import get_resolver

    names = {
        p.name
        for r in get_resolver().url_patterns
        if getattr(r, "namespace", None) == "api"
        for sub in getattr(r, "url_patterns", [])
        for p in getattr(sub, "url_patterns", [sub])
        if getattr(p, "name", None)
    }
    assert {"programme_report", "programme_episodes", "annual_statistics"} <= names


def test_supervisor_sees_only_their_prefecture_everywhere(
    supervisor_osaka: User, programme_cases: dict[str, Case]
) -> None:
    client = client_for(supervisor_osaka)
    page = client.get(reverse("reports:programme"), PERIOD)
    assert page.status_code == 200
    assert page.context["totals"]["advised"] == 1
    assert list(page.context["report"].by_prefecture) == ["27"]
    for name in ("reports:programme", "reports:episodes"):
        body = text_of(client.get(reverse(name), PERIOD))
        assert "TOKYO-REF" not in body and "東京都" not in body
    for name, query in DOWNLOADS:
        response = client.get(reverse(name), query)
        assert response.status_code == 200, name
        body = text_of(response)
        assert "TOKYO-REF" not in body and "東京都" not in body and "Tokyo" not in body
    data = client.get(reverse("api:programme_report"), API[0][1]).json()
    assert data["totals"]["advised"] == 1 and list(data["by_prefecture"]) == ["27"]
    episodes = client.get(reverse("api:programme_episodes"), API[1][1]).json()["results"]
    assert [e["id"] for e in episodes] == ["OSAKA-REF-1"]
    # Another prefecture cannot be asked for, by the page or the API.
    other = client.get(reverse("reports:programme"), {**PERIOD, "prefecture": "13"})
    assert other.context["totals"]["advised"] == 1
    refused = client.get(reverse("api:programme_report"), {**API[0][1], "prefecture": "13"})
    assert refused.status_code == 422 and "prefecture" in refused.text
    annual = client.get(reverse("api:annual_statistics"), {"year": 2016}).json()
    assert annual["consultations"] == 1
    assert annual["measures"]["arrest_stalking"] == 1


def test_supervisor_drill_down_links_to_the_cases(
    supervisor_tokyo: User, programme_cases: dict[str, Case]
) -> None:
    client = client_for(supervisor_tokyo)
    response = client.get(reverse("reports:episodes"), {**PERIOD, "figure": "received"})
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("cases:detail", args=[programme_cases["tokyo"].pk]) in body
    assert "TOKYO-REF-1" in body and "TOKYO-REF-2" not in body
    assert "OSAKA-REF" not in body


def test_analyst_gets_no_personal_data_anywhere(
    analyst: User, programme_cases: dict[str, Case]
) -> None:
    client = client_for(analyst)
    markers = (*VICTIM_MARKERS, OFFENDER_NAME, "TOKYO-REF", "OSAKA-REF", "free text about")
    responses = [client.get(reverse(name), PERIOD) for name in PAGES]
    responses += [client.get(reverse(name), query) for name, query in DOWNLOADS + API]
    responses.append(client.get(reverse("reports:episodes"), {**PERIOD, "format": "csv"}))
    responses.append(
        client.get(reverse("reports:programme_download"), {**PERIOD, "format": "pdf", "release": 1})
    )
    for response in responses:
        assert response.status_code == 200, response.request["PATH_INFO"]
        assert_no_markers(text_of(response), markers)
    # No case page link either: analysts cannot open cases.
    drill = client.get(reverse("reports:episodes"), PERIOD).content.decode()
    assert "/cases/" not in drill
    for case in programme_cases.values():
        assert reverse("cases:detail", args=[case.pk]) not in drill


def test_analyst_drill_down_is_pseudonymous_and_complete(
    analyst: User, programme_cases: dict[str, Case]
) -> None:
    from tsunagu.reports.programme import pseudonym

    client = client_for(analyst)
    episodes = client.get(reverse("api:programme_episodes"), API[1][1]).json()["results"]
    assert sorted(e["id"] for e in episodes) == sorted(
        pseudonym(c.pk) for c in programme_cases.values()
    )
    assert set(episodes[0]) == {
        "id",
        "prefecture",
        "advised_on",
        "answered_on",
        "started_on",
        "leaf",
        "leaf_on",
        "rejection_reason",
        "recurrence_on",
    }
    rejected = client.get(
        reverse("reports:episodes"), {**PERIOD, "figure": "rejected", "pref": "27"}
    )
    assert rejected.context["count"] == 1
    recurred = client.get(
        reverse("reports:episodes"), {**PERIOD, "figure": "not_finished", "recurrence": "1"}
    )
    assert recurred.context["count"] == 1


def test_every_number_on_the_page_links_to_its_episodes(
    analyst: User, programme_cases: dict[str, Case]
) -> None:
    client = client_for(analyst)
    page = client.get(reverse("reports:programme"), {**PERIOD, "open": ["months", "prefectures"]})
    for row in page.context["summary"]:
        drill = client.get(row["url"])
        assert drill.context["count"] == row["count"], row["key"]
    for row in page.context["pref_rows"]:
        for cell in row["cells"]:
            assert client.get(cell["url"]).context["count"] == cell["count"]
    for month in page.context["months"]:
        assert client.get(month["urls"]["advised"]).context["count"] == month["advised"]


def test_by_prefecture_table_sorts_by_query_parameter(
    analyst: User, programme_cases: dict[str, Case]
) -> None:
    client = client_for(analyst)
    ascending = client.get(
        reverse("reports:programme"), {**PERIOD, "sort": "advised", "open": "prefectures"}
    )
    assert [r["code"] for r in ascending.context["pref_rows"]] == ["27", "13"]
    descending = client.get(
        reverse("reports:programme"),
        {**PERIOD, "sort": "advised", "dir": "desc", "open": "prefectures"},
    )
    assert [r["code"] for r in descending.context["pref_rows"]] == ["13", "27"]
    bogus = client.get(
        reverse("reports:programme"), {**PERIOD, "sort": "name; drop", "open": "prefectures"}
    )
    assert [r["code"] for r in bogus.context["pref_rows"]] == ["13", "27"]


def test_analyst_chooses_prefectures(analyst: User, programme_cases: dict[str, Case]) -> None:
    client = client_for(analyst)
    page = client.get(reverse("reports:programme"), {**PERIOD, "prefecture": ["27"]})
    assert page.context["totals"]["advised"] == 1
    both = client.get(reverse("reports:programme"), {**PERIOD, "prefecture": ["27", "13"]})
    assert both.context["totals"]["advised"] == 3
    bad = client.get(reverse("reports:programme"), {**PERIOD, "prefecture": ["99"]})
    assert bad.status_code == 200 and "prefecture" in bad.context["form"].errors


def test_presets_give_the_calendar_and_fiscal_year(
    analyst: User, programme_cases: dict[str, Case]
) -> None:
    client = client_for(analyst)
    fiscal = client.get(reverse("reports:programme"), {"preset": "fiscal", "year": "2016"})
    assert fiscal.context["report"].params.date_from == D(2016, 4, 1)
    assert fiscal.context["report"].params.date_to == D(2017, 3, 31)
    calendar = client.get(reverse("reports:programme"), {"preset": "calendar", "year": "2016"})
    assert calendar.context["report"].params.date_to == D(2016, 12, 31)
    assert calendar.context["totals"]["advised"] == 3
    last12 = client.get(reverse("reports:programme"), {"preset": "last12"})
    params = last12.context["report"].params
    assert (params.date_to - params.date_from).days in range(330, 367)
    today = params.date_to
    months = (today.year - params.date_from.year) * 12 + today.month - params.date_from.month
    assert params.date_from.day == 1 and months == 11


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"preset": "custom", "date_from": "2016-13-01", "date_to": "2016-12-31"}, "date_from"),
        ({"preset": "custom", "date_from": "2016-12-01", "date_to": "2016-01-31"}, "date_to"),
        ({"preset": "custom", "date_from": "2016-04-01"}, "date_to"),
        ({**PERIOD, "as_of": "2015-01-01"}, "as_of"),
        ({"preset": "calendar"}, "year"),
        ({"preset": "calendar", "year": "abc"}, "year"),
        ({"preset": "weekly"}, "preset"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_never_500(
    supervisor_tokyo: User, query: dict[str, str], field: str
) -> None:
    client = client_for(supervisor_tokyo)
    page = client.get(reverse("reports:programme"), query)
    assert page.status_code == 200
    assert field in page.context["form"].errors
    assert f'id="id_{field}-error"' in page.content.decode()
    download = client.get(reverse("reports:programme_download"), {**query, "format": "csv"})
    assert download.status_code == 400 and field in download.json()
    drill = client.get(reverse("reports:episodes"), query)
    assert drill.status_code == 400


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2016-04-01"}, "date_to"),
        ({"date_from": "2016-04-01", "date_to": "yesterday"}, "date_to"),
        ({"date_from": "2016-12-01", "date_to": "2016-01-31"}, "date_to"),
        ({"date_from": "2016-04-01", "date_to": "2016-12-31", "as_of": "2015-01-01"}, "as_of"),
        ({"date_from": "2016-04-01", "date_to": "2016-12-31", "prefecture": "99"}, "prefecture"),
    ],
)
def test_api_bad_input_is_422_naming_the_field(
    analyst: User, query: dict[str, str], field: str
) -> None:
    response = client_for(analyst).get(reverse("api:programme_report"), query)
    assert response.status_code == 422
    assert field in json.dumps(response.json()["detail"])


def test_api_drill_and_annual_bad_input_is_422(analyst: User) -> None:
    client = client_for(analyst)
    bad_figure = client.get(
        reverse("api:programme_episodes"),
        {"date_from": "2016-04-01", "date_to": "2016-12-31", "figure": "everything"},
    )
    assert bad_figure.status_code == 422 and "figure" in bad_figure.text
    bad_year = client.get(reverse("api:annual_statistics"), {"year": "1800"})
    assert bad_year.status_code == 422 and "year" in bad_year.text


def test_public_release_download_is_logged_with_its_hash(
    supervisor_tokyo: User, officer_tokyo: User, programme_cases: dict[str, Case]
) -> None:
    client = client_for(supervisor_tokyo)
    page = client.get(reverse("reports:programme"), {**PERIOD, "release": "1"})
    release = page.context["release"]
    # Tokyo's counts are all 0, 1 or 2: every non-zero one is hidden.
    assert all(v in (None, 0) for v in release.published[0])
    response = client.get(
        reverse("reports:programme_download"), {**PERIOD, "format": "csv", "release": "1"}
    )
    assert response.status_code == 200
    log = ReleaseLog.objects.get()
    assert log.sha256 == hashlib.sha256(response.content).hexdigest()
    assert log.prefecture is not None
    assert (log.actor, log.prefecture.code, log.format) == (supervisor_tokyo, "13", "csv")
    assert log.parameters["from"] == "2016-04-01"
    assert AuditEvent.objects.filter(action="report.release", object_id=str(log.pk)).exists()
    body = response.content.decode("utf-8-sig")
    assert ",x," in body or ",x\r" in body
    listing = client.get(reverse("reports:releases"))
    assert log.sha256 in listing.content.decode()
    # Officers may read their figures but not publish, nor see the log.
    officer = client_for(officer_tokyo)
    assert officer.get(reverse("reports:programme"), PERIOD).status_code == 200
    assert (
        officer.get(
            reverse("reports:programme_download"), {**PERIOD, "format": "csv", "release": "1"}
        ).status_code
        == 404
    )
    assert officer.get(reverse("reports:releases")).status_code == 404


def test_release_log_is_scoped(
    supervisor_tokyo: User, supervisor_osaka: User, analyst: User, programme_cases: dict[str, Case]
) -> None:
    client_for(supervisor_tokyo).get(
        reverse("reports:annual_download"), {"year": "2016", "format": "xlsx", "release": "1"}
    )
    log = ReleaseLog.objects.get()
    assert log.report == "annual"
    assert (
        log.sha256
        not in client_for(supervisor_osaka).get(reverse("reports:releases")).content.decode()
    )
    assert log.sha256 in client_for(analyst).get(reverse("reports:releases")).content.decode()


def test_query_budgets(
    analyst: User,
    supervisor_tokyo: User,
    programme_cases: dict[str, Case],
    django_assert_max_num_queries: Any,
) -> None:
    for i in range(20):
        case = Case.objects.create(
            prefecture=programme_cases["tokyo"].prefecture,
            ref=f"EXTRA-{i}",
            opened_on=D(2016, 4, 1),
        )
        add_events(
            case, [(D(2016, 5, 1), "treatment_advised"), (D(2016, 5, 2), "treatment_started")]
        )
    # +1 each: the unread count of notices in the header (notifications.context).
    for user, budget in ((analyst, 13), (supervisor_tokyo, 15)):
        client = client_for(user)
        with django_assert_max_num_queries(budget):
            client.get(reverse("reports:programme"), PERIOD)
        with django_assert_max_num_queries(budget):
            client.get(reverse("reports:episodes"), PERIOD)
        with django_assert_max_num_queries(budget):
            client.get(reverse("reports:episodes"), {**PERIOD, "format": "csv"})
        for name, query in DOWNLOADS:
            with django_assert_max_num_queries(budget):
                client.get(reverse(name), query)


def test_annual_page_in_release_mode_hides_small_counts(
    supervisor_tokyo: User, programme_cases: dict[str, Case]
) -> None:
    client = client_for(supervisor_tokyo)
    plain = client.get(reverse("reports:annual"), {"year": "2016"})
    assert plain.status_code == 200
    measures = next(t for t in plain.context["tables"] if t.key == "measures")
    assert measures.cells[0] == [2]  # two Tokyo cases opened in 2016
    released = client.get(reverse("reports:annual"), {"year": "2016", "release": "1"})
    tables = {t.key: t for t in released.context["tables"]}
    assert tables["measures"].published[0] == [None]
    assert all(v is None or v == 0 or v > 4 for row in tables["offenders"].published for v in row)
    assert 'class="hidden-cell"' in released.content.decode()
    bad = client.get(reverse("reports:annual"), {"year": "twenty"})
    assert bad.status_code == 200 and "year" in bad.context["form"].errors


def test_pages_speak_english_when_asked(analyst: User, programme_cases: dict[str, Case]) -> None:
    client = client_for(analyst)
    japanese = client.get(reverse("reports:programme"), PERIOD)
    assert "治療継続中" in japanese.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # what the language switch sets
    page = client.get(reverse("reports:programme"), PERIOD)
    body = page.content.decode()
    assert "Received treatment" in body and "受診" not in body.split("<main", 1)[1]
    annual = client.get(reverse("reports:annual"), {"year": "2016"})
    assert "Consultations and measures" in annual.content.decode()


def test_zeros_are_hidden_in_a_release_only_when_configured(
    analyst: User, programme_cases: dict[str, Case], settings: Any
) -> None:
    client = client_for(analyst)
    shown = client.get(reverse("reports:programme"), {**PERIOD, "release": "1"})
    assert 0 in shown.context["release"].published[0]
    settings.SUPPRESSION_HIDE_ZERO = True
    hidden = client.get(reverse("reports:programme"), {**PERIOD, "release": "1"})
    assert 0 not in hidden.context["release"].published[0]


def test_annual_counts_link_police_to_their_case_list(
    supervisor_tokyo: User, analyst: User, programme_cases: dict[str, Case]
) -> None:
    client = client_for(supervisor_tokyo)
    page = client.get(reverse("reports:annual"), {"year": "2016"}).content.decode()
    link = f"{reverse('cases:list')}?opened_from=2016-01-01&amp;opened_to=2016-12-31"
    assert f'<a href="{link}">2</a>' in page
    assert f'{link}&amp;relationship=partner_or_ex">2</a>' in page
    listing = client.get(
        reverse("cases:list"),
        {"opened_from": "2016-01-01", "opened_to": "2016-12-31", "relationship": "partner_or_ex"},
    )
    assert listing.status_code == 200
    assert "TOKYO-REF-1" in listing.content.decode() and "TOKYO-REF-2" in listing.content.decode()
    released = client.get(reverse("reports:annual"), {"year": "2016", "release": "1"})
    assert reverse("cases:list") not in released.content.decode().split("<main", 1)[1]
    analyst_page = client_for(analyst).get(reverse("reports:annual"), {"year": "2016"})
    assert reverse("cases:list") not in analyst_page.content.decode().split("<main", 1)[1]
