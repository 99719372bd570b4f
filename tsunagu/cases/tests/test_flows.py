"""The case page as an officer works through it: refusals and successes shown where
the officer is looking, a closed case that says why it offers no measure form,
a reveal that a reload does not repeat, selects that must be chosen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tsunagu.cases.models import Case, Person
from tsunagu.core.models import AuditEvent, Region, Role, User
from tsunagu.testing import assert_no_markers, client_for, html_section
from tsunagu.testing.builders import PASSWORD, VICTIM_ADDRESS, VICTIM_MARKERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokyo_case(make_case, officer_tokyo) -> Case:
    return make_case(officer_tokyo)


# --- item 1: a refusal is summarised at the form, a success names what was recorded ----


def test_refused_measure_is_summarised_on_top_of_the_form_with_a_link_to_the_field(
    officer_tokyo, tokyo_case
):
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client_for(officer_tokyo).post(
        reverse("cases:event_record", args=[tokyo_case.pk]),
        {"measure-type": "warning", "measure-date": future},
    )
    assert response.status_code == 400
    html = response.content.decode()
    # The form posts to its own anchor: the refused page opens at the form.
    assert f'action="{reverse("cases:event_record", args=[tokyo_case.pk])}#measure"' in html
    measure = html_section(html, "measure")
    summary = measure[measure.index('class="error-summary"') :]
    assert 'role="alert"' in summary[:80]
    assert "記録していません" in summary
    assert 'href="#id_measure-date"' in summary and "未来の日付は入力できません" in summary
    assert tokyo_case.events.count() == 1


def test_refused_measure_on_a_closed_date_is_shown_in_the_summary(officer_tokyo, tokyo_case):
    client = client_for(officer_tokyo)
    client.post(
        reverse("cases:status", args=[tokyo_case.pk]),
        {"status-type": "case_closed", "status-date": "2016-07-01"},
    )
    response = client.post(
        reverse("cases:event_record", args=[tokyo_case.pk]),
        {"measure-type": "warning", "measure-date": "2016-08-01"},
    )
    assert response.status_code == 400
    summary = html_section(response.content.decode(), "measure-errors")
    assert 'href="#id_measure-date"' in summary and "終結" in summary


def test_recorded_measure_names_what_and_when_beside_the_form(officer_tokyo, tokyo_case):
    client = client_for(officer_tokyo)
    response = client.post(
        reverse("cases:event_record", args=[tokyo_case.pk]),
        {"measure-type": "warning", "measure-date": "2016-06-01"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[tokyo_case.pk]) + "#measure"
    html = client.get(response["Location"]).content.decode()
    message = "警告（2016-06-01）を記録しました。"
    assert message in html_section(html, "measure")
    # Only there, not at the top of the page the browser scrolls away from.
    assert html.count(message) == 1
    assert '<ul class="messages"></ul>' in html


def test_closing_names_the_closing_and_its_date_beside_the_status_form(officer_tokyo, tokyo_case):
    client = client_for(officer_tokyo)
    response = client.post(
        reverse("cases:status", args=[tokyo_case.pk]),
        {"status-type": "case_closed", "status-date": "2016-07-01"},
    )
    assert response["Location"].endswith("#status")
    html = client.get(response["Location"]).content.decode()
    assert "事案終結（2016-07-01）を記録しました。" in html_section(html, "status")


def test_correction_names_the_corrected_record(officer_tokyo, tokyo_case):
    client = client_for(officer_tokyo)
    client.post(
        reverse("cases:event_record", args=[tokyo_case.pk]),
        {"measure-type": "warning", "measure-date": "2016-06-01"},
    )
    warning = tokyo_case.events.get(type="warning")
    response = client.post(
        reverse("cases:event_correct", args=[tokyo_case.pk, warning.pk]),
        {f"correct{warning.pk}-reason": "別の事案の記録"},
    )
    assert response["Location"].endswith("#timeline")
    html = client.get(response["Location"]).content.decode()
    assert "警告（2016-06-01）の記録を訂正しました" in html_section(html, "timeline")


# --- item 17: a closed case offers no measure form and says why ------------------------


def test_closed_case_hides_the_measure_form_says_why_and_offers_reopening(
    officer_tokyo, tokyo_case
):
    client = client_for(officer_tokyo)
    detail = reverse("cases:detail", args=[tokyo_case.pk])
    assert 'id="measure-form"' in client.get(detail).content.decode()
    client.post(
        reverse("cases:status", args=[tokyo_case.pk]),
        {"status-type": "case_closed", "status-date": "2016-07-01"},
    )
    html = client.get(detail).content.decode()
    assert 'id="measure-form"' not in html
    notice = html_section(html, "closed-notice")
    assert "この事案は終結しています（2016-07-01）" in notice and "再開" in notice
    status = html_section(html, "status")
    assert 'value="case_reopened"' in status and "事案を再開" in status
    # Reopened: the form is back.
    client.post(
        reverse("cases:status", args=[tokyo_case.pk]),
        {"status-type": "case_reopened", "status-date": "2016-08-01"},
    )
    assert 'id="measure-form"' in client.get(detail).content.decode()


# --- item 16: the reveal's result has its own address; a reload writes nothing --------


def _reveal(client, case: Case, victim: Person):
    return client.post(
        reverse("cases:reveal", args=[case.pk, victim.pk]),
        {
            f"reveal{victim.pk}-reason": "保護のための訪問予定",
            f"reveal{victim.pk}-reason_category": "contact",
        },
    )


def test_reloading_a_reveal_result_writes_no_second_audit_event(officer_tokyo, tokyo_case):
    victim = tokyo_case.people.get(role="victim")
    client = client_for(officer_tokyo)
    posted = _reveal(client, tokyo_case, victim)
    assert posted.status_code == 302
    assert AuditEvent.objects.filter(action="person.reveal").count() == 1
    result = posted["Location"].split("#")[0]
    for _reload in range(2):
        shown = client.get(result)
        assert shown.status_code == 200 and VICTIM_ADDRESS in shown.content.decode()
        assert "no-store" in shown["Cache-Control"] and "private" in shown["Cache-Control"]
    assert AuditEvent.objects.filter(action="person.reveal").count() == 1


def test_a_reveal_result_expires(officer_tokyo, tokyo_case, monkeypatch):
    from tsunagu.cases import services

    victim = tokyo_case.people.get(role="victim")
    client = client_for(officer_tokyo)
    result = _reveal(client, tokyo_case, victim)["Location"].split("#")[0]
    assert client.get(result).status_code == 200
    # The audit log is append-only: move the window instead of the event.
    monkeypatch.setattr(services, "REVEAL_SHOWN_SECONDS", -60)
    expired = client.get(result)
    assert expired.status_code == 302
    assert expired["Location"].endswith(f"#victim-{victim.pk}")
    page = client.get(expired["Location"])
    assert_no_markers(page.content, VICTIM_MARKERS)
    assert "もう一度" in html_section(page.content.decode(), f"victim-{victim.pk}")
    assert AuditEvent.objects.filter(action="person.reveal").count() == 1


def test_a_reveal_result_is_not_shown_to_a_colleague_with_the_address(officer_tokyo, tokyo_case):
    victim = tokyo_case.people.get(role="victim")
    result = _reveal(client_for(officer_tokyo), tokyo_case, victim)["Location"].split("#")[0]
    colleague = User.objects.create_user(
        "officer-tokyo-2",
        password=PASSWORD,
        role=Role.OFFICER,
        region=Region.objects.get(code="13-003"),
    )
    response = client_for(colleague).get(result, follow=True)
    assert response.status_code == 200
    assert_no_markers(response.content, VICTIM_MARKERS)
    assert AuditEvent.objects.filter(action="person.reveal").count() == 1


# --- item 6: selects that feed the statistics start blank and must be chosen -------------

NEW_CASE = {
    "ref": "NEW-9",
    "opened_on": "2016-05-01",
    "relationship": "partner_or_ex",
    "offender_sex": "male",
    "victims-TOTAL_FORMS": "1",
    "victims-INITIAL_FORMS": "0",
    "victims-MIN_NUM_FORMS": "1",
    "victims-MAX_NUM_FORMS": "20",
    "victims-0-name": "鈴木 花子",
    "victims-0-sex": "female",
}


def test_person_form_starts_with_a_blank_sex_and_refuses_it_unchosen(officer_tokyo, tokyo_case):
    client = client_for(officer_tokyo)
    url = reverse("cases:person_add", args=[tokyo_case.pk])
    page = client.get(url + "?role=victim")
    form = page.context["form"]
    assert form["sex"].value() in (None, "") and form["role"].value() == "victim"
    assert '<option value="" selected>' in page.content.decode()
    refused = client.post(url, {"role": "victim", "name": "二人目"})
    assert refused.status_code == 400
    assert "性別を選んでください" in refused.context["form"].errors["sex"][0]
    assert 'href="#id_sex"' in refused.content.decode()
    assert tokyo_case.people.count() == 2


def test_added_victim_is_the_anchor_of_the_redirect_with_the_message_beside_it(
    officer_tokyo, tokyo_case
):
    client = client_for(officer_tokyo)
    response = client.post(
        reverse("cases:person_add", args=[tokyo_case.pk]),
        {"role": "victim", "name": "二人目", "sex": "unknown"},
    )
    added = tokyo_case.people.order_by("pk").last()
    assert response["Location"].endswith(f"#victim-{added.pk}")
    html = client.get(response["Location"]).content.decode()
    assert "被害者を追加しました。" in html_section(html, f"victim-{added.pk}")


def test_new_case_selects_start_blank_and_must_be_chosen(officer_tokyo):
    client = client_for(officer_tokyo)
    page = client.get(reverse("cases:new"))
    for name in ("relationship", "offender_sex"):
        assert page.context["form"][name].value() in (None, "")
    assert page.context["victims"].forms[0]["sex"].value() in (None, "")
    response = client.post(
        reverse("cases:new"),
        {
            key: value
            for key, value in NEW_CASE.items()
            if key not in ("relationship", "offender_sex", "victims-0-sex")
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "被害者との関係を選んでください" in form.errors["relationship"][0]
    assert "加害者の性別を選んでください" in form.errors["offender_sex"][0]
    assert "性別を選んでください" in response.context["victims"].forms[0].errors["sex"][0]
    assert not Case.objects.exists()


def test_add_a_victim_focuses_the_new_row(officer_tokyo):
    response = client_for(officer_tokyo).post(
        reverse("cases:new"),
        {**NEW_CASE, "add_victim": "1"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    new_row = html_section(html, "new-victim")
    assert 'name="victims-1-name"' in new_row and "autofocus" in new_row
    assert 'name="victims-0-name"' not in new_row
    # Its sex starts blank too (not the first option, 男性).
    assert response.context["victims"].forms[1]["sex"].value() in (None, "")
    assert f'formaction="{reverse("cases:new")}#new-victim"' in html
    assert not Case.objects.exists()


def test_opening_a_case_names_it(officer_tokyo):
    client = client_for(officer_tokyo)
    response = client.post(
        reverse("cases:new"),
        NEW_CASE,
    )
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "事案 NEW-9（受理日 2016-05-01）を登録しました。" in html
