"""Risk pages and API: what each role sees, bad input, query budgets, victim markers."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tsunagu.cases import services as case_services
from tsunagu.core.models import User
from tsunagu.risk.models import Assessment
from tsunagu.risk.services import ActionData
from tsunagu.risk.tests.helpers import RATIONALE, RISK_MARKERS, assess, load
from tsunagu.testing import access_test, client_for
from tsunagu.testing.builders import VICTIM_MARKERS, accepted, advised

pytestmark = pytest.mark.django_db
D = dt.date
MARKERS = (*VICTIM_MARKERS, *RISK_MARKERS)


def text(response: Any) -> str:
    return response.content.decode()


def no_markers(response: Any) -> None:
    body = text(response)
    for marker in MARKERS:
        assert marker not in body


@pytest.fixture
def assessed(officer_tokyo: User, make_case: Any) -> Any:
    case = make_case(officer_tokyo)
    assess(
        officer_tokyo,
        case,
        load(),
        level="top",
        review_on=D(2016, 7, 1),
        actions=[ActionData("RISK-ACTION-MARKER", "Station A", D(2016, 6, 8))],
    )
    return case


def test_case_page_shows_level_date_review_and_history(officer_tokyo: User, assessed: Any) -> None:
    response = client_for(officer_tokyo).get(f"/cases/{assessed.pk}/")
    body = text(response)
    assert 'id="risk"' in body and "2016-06-01" in body and "2016-07-01" in body
    assert "最高" in body  # the level's label from the instrument
    assert RATIONALE not in body


def test_timeline_words_the_level_by_its_instrument_without_a_query_per_row(
    officer_tokyo: User, make_case: Any
) -> None:
    """ "リスク評価 最高", not the code "top"; a third assessment costs no extra query."""
    from tsunagu.testing import html_section

    case = make_case(officer_tokyo)
    instrument = load("external")
    assess(officer_tokyo, case, instrument, on=D(2016, 6, 1), level="top")
    assess(officer_tokyo, case, instrument, on=D(2016, 6, 2), level="low")
    client = client_for(officer_tokyo)

    def timeline() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as ctx:
            body = text(client.get(f"/cases/{case.pk}/"))
        return html_section(body, "timeline"), len(ctx)

    section, queries = timeline()
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", section)
    assert "最高" in cells and "低" in cells and "top" not in cells and "low" not in cells
    assess(officer_tokyo, case, instrument, on=D(2016, 6, 3), level="mid")
    section, more = timeline()
    assert "中" in re.findall(r"<td[^>]*>([^<]*)</td>", section)
    assert more == queries


def test_home_shows_due_review_and_plan_action(officer_tokyo: User, assessed: Any) -> None:
    response = client_for(officer_tokyo).get("/")
    body = text(response)
    assert 'id="risk-home"' in body
    # The review (case link and "Review") and the plan action (case link).
    assert body.count(f"/cases/{assessed.pk}/#risk") == 3
    no_markers(response)


def test_home_leaves_out_a_corrected_assessment(officer_tokyo: User, assessed: Any) -> None:
    a = Assessment.objects.get()
    case_services.event_correct(actor=officer_tokyo, event=a.event, reason="wrong case")
    assert f"/cases/{assessed.pk}/#risk" not in text(client_for(officer_tokyo).get("/"))


def test_assess_page_records_and_refuses_naming_the_field(
    officer_tokyo: User, make_case: Any
) -> None:
    case = make_case(officer_tokyo)
    instrument = load("count")
    url = f"/risk/cases/{case.pk}/assess/{instrument.pk}/"
    client = client_for(officer_tokyo)
    assert f"/risk/cases/{case.pk}/assess/" in text(client.get(f"/cases/{case.pk}/"))
    assert url in text(client.get(f"/risk/cases/{case.pk}/assess/"))
    assert client.get(url).status_code == 200
    bad = client.post(url, {"date": "2016-06-01", "item_v1": "y"})
    assert bad.status_code == 400
    assert "item_v2" in text(bad) and not Assessment.objects.exists()
    ok = client.post(url, {"date": "2016-06-01", "item_v1": "y", "item_v2": "y", "note_v1": "x"})
    assert ok.status_code == 302
    assert Assessment.objects.get().level == "top"


@access_test("risk:assess", "risk:choose", "api:assessments_list", "api:assessments_record")
@pytest.mark.parametrize(
    "who", ["officer_osaka", "supervisor_osaka", "clinician_tokyo", "analyst", "admin_user"]
)
def test_others_get_404_on_case_assessments(request: Any, who: str, assessed: Any) -> None:
    user = request.getfixturevalue(who)
    client = client_for(user)
    instrument = Assessment.objects.get().instrument
    page = client.get(f"/risk/cases/{assessed.pk}/assess/{instrument.pk}/")
    assert page.status_code == 404
    assert client.get(f"/risk/cases/{assessed.pk}/assess/").status_code == 404
    listing = client.get(f"/api/v1/risk/cases/{assessed.pk}/assessments")
    assert listing.status_code == 404
    posted = client.post(
        f"/api/v1/risk/cases/{assessed.pk}/assessments",
        {"instrument_id": instrument.pk, "date": "2016-06-02", "level": "low", "rationale": "r"},
        content_type="application/json",
    )
    assert posted.status_code == 404
    no_markers(page)
    no_markers(listing)


def test_api_lists_and_records_with_422_naming_the_field(
    officer_tokyo: User, assessed: Any
) -> None:
    client = client_for(officer_tokyo)
    instrument = Assessment.objects.get().instrument
    instruments = client.get("/api/v1/risk/instruments").json()
    assert [i["name"] for i in instruments] == ["test-judgement"]
    url = f"/api/v1/risk/cases/{assessed.pk}/assessments"
    bad = client.post(
        url,
        {
            "instrument_id": instrument.pk,
            "date": "2016-06-02",
            "level": "low",
            "rationale": "r",
            "answers": {"v1": {"rating": "y"}, "v2": {"rating": "sometimes"}},
        },
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "items.v2"]
    good = client.post(
        url,
        {
            "instrument_id": instrument.pk,
            "date": "2016-06-02",
            "level": "low",
            "rationale": "r",
            "answers": {"v1": {"rating": "y"}, "v2": {"rating": "n"}},
        },
        content_type="application/json",
    )
    assert good.status_code == 201 and good.json()["current"]
    with CaptureQueriesContext(connection) as ctx:
        rows = client.get(url).json()
    assert [r["level"] for r in rows] == ["top", "low"]
    no_markers(client.get(url))
    # session, user, case, assessments + instruments, actions (prefetch), audit of case read
    assert len(ctx) <= 10


def test_supervisor_page(
    supervisor_tokyo: User, officer_tokyo: User, make_case: Any, assessed: Any
) -> None:
    ordered = make_case(officer_tokyo)
    case_services.police_event_record(
        actor=officer_tokyo, case=ordered, date=D(2016, 6, 1), type="prohibition_order"
    )
    for _ in range(3):
        c = make_case(officer_tokyo)
        assess(
            officer_tokyo,
            c,
            Assessment.objects.get(case=assessed).instrument,
            review_on=D(2016, 7, 1),
        )
    client = client_for(supervisor_tokyo)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/risk/supervisor/")
    assert response.status_code == 200
    body = text(response)
    assert re.search(r"<td[^>]*>4</td>", body)  # four open cases at the top level
    assert f"/cases/{assessed.pk}/#risk" in body  # its review is overdue
    assert f"/cases/{ordered.pk}/#risk" in body  # an order, never assessed
    no_markers(response)
    queries = len(ctx)
    for _ in range(3):
        c = make_case(officer_tokyo)
        assess(
            officer_tokyo,
            c,
            Assessment.objects.get(case=assessed).instrument,
            review_on=D(2016, 7, 1),
        )
    with CaptureQueriesContext(connection) as ctx:
        client.get("/risk/supervisor/")
    assert len(ctx) == queries  # no query per case


@access_test("risk:supervisor")
@pytest.mark.parametrize("who", ["officer_tokyo", "clinician_tokyo", "analyst", "admin_user"])
def test_supervisor_page_is_404_for_other_roles(request: Any, who: str, assessed: Any) -> None:
    assert client_for(request.getfixturevalue(who)).get("/risk/supervisor/").status_code == 404


def test_another_prefectures_supervisor_sees_none_of_it(
    supervisor_osaka: User, assessed: Any
) -> None:
    response = client_for(supervisor_osaka).get("/risk/supervisor/")
    assert response.status_code == 200
    assert assessed.ref not in text(response)
    assert not re.search(r"<td[^>]*>1</td>", text(response))


def test_analyst_page_has_figures_and_no_personal_data(
    analyst: User, officer_tokyo: User, make_case: Any, assessed: Any
) -> None:
    accepted(officer_tokyo, assessed, D(2016, 6, 2))
    advised(officer_tokyo, assessed, D(2016, 6, 3))
    client = client_for(analyst)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/risk/national/")
    assert response.status_code == 200
    body = text(response)
    assert "2016" in body and "最高" in body
    # Level "top" at both advices: the first accepted, the second not answered yet.
    assert "<tr><td>最高</td><td>1</td><td>0</td><td>0</td><td>1</td><td>2</td></tr>" in body
    assert assessed.ref not in body
    no_markers(response)
    assert len(ctx) <= 12


@access_test("risk:analyst")
@pytest.mark.parametrize("who", ["officer_tokyo", "supervisor_tokyo", "clinician_tokyo"])
def test_analyst_page_is_404_for_other_roles(request: Any, who: str) -> None:
    assert client_for(request.getfixturevalue(who)).get("/risk/national/").status_code == 404


def test_plan_action_marked_done_leaves_the_home(officer_tokyo: User, assessed: Any) -> None:
    from tsunagu.risk.models import PlanAction

    action = PlanAction.objects.get()
    client = client_for(officer_tokyo)
    assert f"/risk/actions/{action.pk}/done/" in text(client.get("/"))
    assert client.get(f"/risk/actions/{action.pk}/done/").status_code == 405
    assert client.post(f"/risk/actions/{action.pk}/done/").status_code == 302
    action.refresh_from_db()
    assert action.done_on is not None
    assert f"/risk/actions/{action.pk}/done/" not in text(client.get("/"))


def test_marking_a_done_action_again_keeps_its_date(officer_tokyo: User, assessed: Any) -> None:
    """Refused (the service names `done_on`), nothing written: the first date stands."""
    from tsunagu.cases.services import ServiceError
    from tsunagu.core.models import AuditEvent
    from tsunagu.risk import services
    from tsunagu.risk.models import PlanAction
    from tsunagu.testing import html_section

    action = PlanAction.objects.get()
    services.action_done(actor=officer_tokyo, action=action, on=D(2016, 6, 8))
    with pytest.raises(ServiceError) as exc:
        services.action_done(actor=officer_tokyo, action=PlanAction.objects.get())
    assert exc.value.field == "done_on"
    client = client_for(officer_tokyo)
    again = client.post(f"/risk/actions/{action.pk}/done/")
    assert again.status_code == 302 and again["Location"].endswith("#risk-home")
    assert "2016-06-08" in html_section(text(client.get(again["Location"])), "risk-home")
    assert PlanAction.objects.get().done_on == D(2016, 6, 8)
    assert AuditEvent.objects.filter(action="risk.action_done").count() == 1


def test_a_due_date_before_the_assessment_is_refused_on_the_page(
    officer_tokyo: User, make_case: Any
) -> None:
    """0001-01-01 included: the service refuses it, the page names the action's row."""
    case = make_case(officer_tokyo)
    instrument = load()
    form = {
        "date": "2016-06-01",
        "item_v1": "y",
        "item_v2": "n",
        "level": "top",
        "rationale": "r",
        "action_0": "Call",
        "owner_0": "Station A",
    }
    client = client_for(officer_tokyo)
    for due in ("0001-01-01", "2016-05-31"):
        page = client.post(f"/risk/cases/{case.pk}/assess/{instrument.pk}/", {**form, "due_0": due})
        assert page.status_code == 400
        assert 'id="id_due_0_error"' in text(page), due
    assert not Assessment.objects.exists()


@access_test("risk:action_done")
@pytest.mark.parametrize("who", ["officer_osaka", "supervisor_osaka", "clinician_tokyo", "analyst"])
def test_others_cannot_mark_a_plan_action_done(request: Any, who: str, assessed: Any) -> None:
    from tsunagu.risk.models import PlanAction

    action = PlanAction.objects.get()
    client = client_for(request.getfixturevalue(who))
    assert client.post(f"/risk/actions/{action.pk}/done/").status_code == 404
    action.refresh_from_db()
    assert action.done_on is None


def test_nav_links_by_role(supervisor_tokyo: User, analyst: User, officer_tokyo: User) -> None:
    assert "/risk/supervisor/" in text(client_for(supervisor_tokyo).get("/cases/"))
    assert "/risk/supervisor/" not in text(client_for(officer_tokyo).get("/cases/"))


def test_instrument_upload_page(admin_user: User, supervisor_tokyo: User) -> None:
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from tsunagu.risk.models import Instrument
    from tsunagu.risk.tests.helpers import definition

    client = client_for(admin_user)
    good = SimpleUploadedFile("form.json", json.dumps(definition("count")).encode())
    assert client.post("/risk/instruments/", {"file": good}).status_code == 302
    assert Instrument.objects.get().kind == "count"
    bad_doc = definition("external", name="other")
    bad_doc["levels"][0]["order"] = "first"
    bad = SimpleUploadedFile("bad.yaml", json.dumps(bad_doc).encode())
    response = client_for(supervisor_tokyo).post("/risk/instruments/", {"file": bad})
    assert response.status_code == 400
    assert "levels/0/order" in text(response)
    deep = SimpleUploadedFile("deep.yaml", b"[" * 100_000 + b"]" * 100_000)
    response = client_for(supervisor_tokyo).post("/risk/instruments/", {"file": deep})
    assert response.status_code == 400
    assert "nested too deeply" in text(response)
    assert Instrument.objects.count() == 1


@access_test("risk:instruments")
@pytest.mark.parametrize("who", ["officer_tokyo", "clinician_tokyo", "analyst"])
def test_instrument_upload_page_is_404_for_other_roles(request: Any, who: str) -> None:
    assert client_for(request.getfixturevalue(who)).get("/risk/instruments/").status_code == 404


@access_test("api:instruments_list")
@pytest.mark.parametrize("who", ["clinician_tokyo", "analyst", "admin_user"])
def test_instrument_list_api_is_404_outside_the_police(request: Any, who: str) -> None:
    load()
    client = client_for(request.getfixturevalue(who))
    assert client.get("/api/v1/risk/instruments").status_code == 404


def test_api_assessment_dates_have_their_lower_bounds(officer_tokyo: User, assessed: Any) -> None:
    """Not before the case's opening (2016-05-10); the review and every action's due
    date not before the assessment; dates only as YYYY-MM-DD. Nothing written."""
    client = client_for(officer_tokyo)
    instrument = Assessment.objects.get().instrument
    url = f"/api/v1/risk/cases/{assessed.pk}/assessments"
    base = {
        "instrument_id": instrument.pk,
        "date": "2016-06-02",
        "level": "low",
        "rationale": "r",
        "answers": {"v1": {"rating": "y"}, "v2": {"rating": "n"}},
    }
    refusals: list[tuple[dict[str, Any], list[str]]] = [
        ({"date": "2016-05-09"}, ["body", "date"]),
        ({"review_on": "2016-06-01"}, ["body", "review_on"]),
        (
            {"actions": [{"action": "Call", "owner": "Station A", "due_on": "2016-06-01"}]},
            ["body", "actions.0.due_on"],
        ),
        ({"date": 1464825600}, ["body", "date"]),
    ]
    for change, loc in refusals:
        answer = client.post(url, {**base, **change}, content_type="application/json")
        assert answer.status_code == 422, (change, answer.content)
        assert answer.json()["detail"][0]["loc"] == loc
    assert Assessment.objects.count() == 1
