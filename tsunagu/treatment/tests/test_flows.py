"""The loop's pages as officers and clinicians work through them: the referral as a
step of its own, messages beside the panel they concern, the officer's home that
stays short, the clinician's next step first and final steps confirmed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone

from tsunagu.cases.models import Case, Event
from tsunagu.cases.stages import TRANSITIONS, allowed_events
from tsunagu.core.models import Region, User
from tsunagu.testing import client_for, html_section
from tsunagu.testing.builders import D, accepted, referred, started, with_proposals
from tsunagu.treatment import loop, panels
from tsunagu.treatment.models import Clinic, FollowUp, Referral

pytestmark = pytest.mark.django_db


# --- item 2: the referral is a page of its own: choose, confirm, done ------------------


def test_referral_is_sent_in_three_steps_on_a_page_of_its_own(
    officer_tokyo: User, make_case: Callable[..., Case], clinic_tokyo: Clinic
) -> None:
    case = make_case(officer_tokyo)
    accepted(officer_tokyo, case)
    client = client_for(officer_tokyo)
    refer = reverse("treatment:refer", args=[case.pk])
    # The case page links to the step; it no longer squeezes the chooser into a card.
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'href="{refer}"' in html_section(detail, "treatment")
    assert 'type="radio"' not in html_section(detail, "treatment")

    chooser = client.get(refer).content.decode()
    assert 'aria-current="step">1.' in chooser
    assert f'id="clinic-{clinic_tokyo.pk}"' in chooser and "今月空きあり（0 / 5 件）" in chooser

    data = {"date": "2016-06-02", "clinic": clinic_tokyo.pk, "summary": "平日夜の受診を希望。"}
    confirm = client.post(refer, data)
    assert confirm.status_code == 200 and not Referral.objects.exists()
    page = confirm.content.decode()
    assert 'aria-current="step">2.' in page
    assert "新宿こころのクリニック" in html_section(page, "chosen-clinic")
    assert 'name="confirmed" value="1"' in page

    back = client.post(refer, {**data, "edit": "1"})
    assert 'aria-current="step">1.' in back.content.decode()
    assert back.context["form"]["summary"].value() == "平日夜の受診を希望。"
    assert not Referral.objects.exists()

    sent = client.post(refer, {**data, "confirmed": "1"})
    assert sent.status_code == 302
    assert sent["Location"] == reverse("cases:detail", args=[case.pk]) + "#treatment"
    assert Referral.objects.get().clinic == clinic_tokyo
    html = client.get(sent["Location"]).content.decode()
    assert "新宿こころのクリニック への紹介（2016-06-02）を送付しました。" in html_section(
        html, "treatment"
    )


def test_the_chooser_lists_clinics_with_room_first_then_near_the_station(
    officer_tokyo: User, make_case: Callable[..., Case], tokyo: Region
) -> None:
    station = officer_tokyo.region
    assert station is not None
    case = make_case(officer_tokyo, station=station)
    far = Clinic.objects.create(code="13-C010", prefecture=tokyo, name="遠いクリニック")
    near = Clinic.objects.create(code="13-C011", prefecture=tokyo, name="近いクリニック")
    near.nearest_stations.add(station)
    full = Clinic.objects.create(
        code="13-C012", prefecture=tokyo, name="満員の近いクリニック", monthly_capacity=0
    )
    full.nearest_stations.add(station)
    html = client_for(officer_tokyo).get(reverse("treatment:refer", args=[case.pk])).content
    text = html.decode()
    order = [text.index(f'id="clinic-{c.pk}"') for c in (near, far, full)]
    assert order == sorted(order)
    assert "今月は満員（0 / 0 件）" in text


# --- item 8: after advice or consent the message is beside the treatment panel ---------


def test_advice_and_consent_land_at_the_panel_with_a_message_naming_them(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    case = make_case(officer_tokyo)
    client = client_for(officer_tokyo)
    advised = client.post(
        reverse("treatment:advise", args=[case.pk]),
        {"date": "2016-06-01", "method": "leaflet", "advised_by": officer_tokyo.pk},
    )
    assert advised["Location"] == reverse("cases:detail", args=[case.pk]) + "#treatment"
    panel = html_section(client.get(advised["Location"]).content.decode(), "treatment")
    assert "受診の働き掛け（2016-06-01）を記録しました。" in panel
    consent = client.post(
        reverse("treatment:consent", args=[case.pk]),
        {"date": "2016-06-01", "direction": "police_to_clinic", "given": "1", "method": "written"},
    )
    panel = html_section(client.get(consent["Location"]).content.decode(), "treatment")
    assert "同意「警察から医療機関への情報提供」（2016-06-01）を記録しました。" in panel


# --- item 3: the officer's home stays short and schedules in place -----------------------


def test_home_shows_a_count_and_the_first_proposals_by_due_date_with_a_link_to_all(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    cases = with_proposals(officer_tokyo, make_case, 7)
    client = client_for(officer_tokyo)
    html = client.get(reverse("core:home")).content.decode()
    assert re.search(r'id="proposals-count">7<', html)
    proposals = html_section(html, "proposals")
    shown = [c.ref for c in cases if c.ref in proposals]
    # The five due first, in due-date order (the earliest recurrences).
    assert shown == [c.ref for c in cases[:5]]
    assert [proposals.index(ref) for ref in shown] == sorted(proposals.index(r) for r in shown)
    assert f'href="{reverse("treatment:followups")}#proposals"' in html
    # Overdue proposals offer today, never their past date.
    today = timezone.localdate().isoformat()
    assert f'name="due_on" value="{today}" min="{today}"' in proposals
    # The open cases come first in the page; the week's work beside them.
    assert html.index('id="open-cases"') < html.index('id="treatment-home"')
    full = client.get(reverse("treatment:followups")).content.decode()
    assert all(c.ref in full for c in cases)


def test_scheduling_from_home_returns_home_with_a_message(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    (case,) = with_proposals(officer_tokyo, make_case, 1)
    p = panels.due_proposals(officer_tokyo, timezone.localdate())[0][1]
    client = client_for(officer_tokyo)
    due = timezone.localdate() + dt.timedelta(days=2)
    data = {
        "back": "home",
        "source_type": p.source_type,
        "source_date": p.source_date.isoformat(),
        "offset_days": p.offset_days,
        "due_on": due.isoformat(),
    }
    response = client.post(reverse("treatment:followup_plan", args=[case.pk]), data)
    assert response["Location"] == reverse("core:home") + "#followups"
    html = client.get(response["Location"]).content.decode()
    assert f"{case.ref} の事後確認を {due.isoformat()} に予定しました。" in html_section(
        html, "followups"
    )
    assert FollowUp.objects.get().due_on == due


def test_a_past_due_date_is_refused_naming_the_field_and_nothing_is_planned(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    (case,) = with_proposals(officer_tokyo, make_case, 1)
    p = panels.due_proposals(officer_tokyo, timezone.localdate())[0][1]
    client = client_for(officer_tokyo)
    events = Event.objects.count()
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    data = {
        "source_type": p.source_type,
        "source_date": p.source_date.isoformat(),
        "offset_days": p.offset_days,
        "due_on": yesterday,
    }
    url = reverse("treatment:followup_plan", args=[case.pk])
    from_home = client.post(url, {**data, "back": "home"})
    assert from_home["Location"] == reverse("core:home") + "#followups"
    message = html_section(client.get(from_home["Location"]).content.decode(), "followups")
    assert 'class="message error" role="alert"' in message
    assert "予定日に過去の日付は指定できません" in message
    from_case = client.post(url, data)
    assert from_case.status_code == 400
    assert "予定日に過去の日付は指定できません" in from_case.content.decode()
    assert 'href="#id_due_on"' in from_case.content.decode()
    assert not FollowUp.objects.exists() and Event.objects.count() == events


# --- item 17: a closed case offers no follow-up actions and says why ---------------------


def test_closed_case_panel_hides_proposals_and_checks_and_says_why(
    officer_tokyo: User, make_case: Callable[..., Case]
) -> None:
    today = timezone.localdate()
    (case,) = with_proposals(officer_tokyo, make_case, 1)
    followup = loop.followup_plan(
        actor=officer_tokyo,
        case=case,
        source_type="consultation",
        source_date=case.opened_on,
        due_on=today,
    )
    client = client_for(officer_tokyo)
    detail = reverse("cases:detail", args=[case.pk])
    panel = html_section(client.get(detail).content.decode(), "treatment")
    done_url = reverse("treatment:followup_done", args=[followup.pk])
    assert done_url in panel and reverse("treatment:followup_plan", args=[case.pk]) in panel
    client.post(
        reverse("cases:status", args=[case.pk]),
        {"status-type": "case_closed", "status-date": today.isoformat()},
    )
    panel = html_section(client.get(detail).content.decode(), "treatment")
    assert done_url not in panel
    assert reverse("treatment:followup_plan", args=[case.pk]) not in panel
    assert f"この事案は終結しています（{today.isoformat()}）" in panel


# --- item 7: the clinician's next step first, final steps apart and confirmed -----------


def _steps(client, referral: Referral) -> str:
    html = client.get(reverse("treatment:referral", args=[referral.pk])).content.decode()
    return html


def test_next_step_comes_first_above_the_details_and_final_steps_stand_apart(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    client = client_for(clinician_tokyo)
    html = _steps(client, referral)
    assert html.index('id="steps"') < html.index('id="h-ref"')
    steps = html_section(html, "steps")
    primary = html_section(steps, "step-session")
    assert "step-primary" in primary and "次の段階" in primary
    for final in ("complete", "halt"):
        form = html_section(steps, f"step-{final}")
        assert "step-final" in form and 'class="final"' in form
        assert 'name="confirm"' in form
    assert steps.index("step-session") < steps.index("step-complete")
    assert 'name="confirm"' not in primary


def test_final_step_without_confirmation_is_refused_naming_it(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    client = client_for(clinician_tokyo)
    url = reverse("treatment:referral_act", args=[referral.pk, "complete"])
    events = Event.objects.count()
    refused = client.post(url, {"date": "2016-06-20"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "「確認しました」にチェックしてください" in body and 'href="#id_confirm"' in body
    assert Event.objects.count() == events
    done = client.post(url, {"date": "2016-06-20", "confirm": "on"})
    assert done["Location"] == reverse("treatment:referral", args=[referral.pk]) + "#next-step"
    html = client.get(done["Location"]).content.decode()
    assert "「治療終了」（2016-06-20）を記録しました。" in html_section(html, "next-step")
    referral.refresh_from_db()
    assert referral.stage == "completed"


def test_offered_steps_are_the_machines_at_every_stage_on_page_and_api(
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    loop.referral_act(
        actor=clinician_tokyo,
        referral=referral,
        action="halt",
        date=D(2016, 6, 20),
        reason="stopped_attending",
    )
    client = client_for(clinician_tokyo)
    html = _steps(client, referral)
    offered = set(re.findall(r'id="step-(\w+)"', html))
    expected = {a for a, ev in loop.CLINIC_ACTIONS.items() if ev in allowed_events("halted")}
    assert offered == expected
    # After a halt the machine allows a restart (DESIGN: a restart continues); the page
    # says the referral is at a final stage and offers no "next step".
    assert "treatment_started" in allowed_events("halted")
    assert "終了の段階" in html_section(html, "steps") and "次の段階</span>" not in html
    api = client.get(f"/api/v1/treatment/referrals/{referral.pk}").json()
    assert set(api["actions"]) == offered
    # Final steps are those that leave the referral where the clinic has nothing to do.
    assert set(panels.FINAL_ACTIONS) == {
        a
        for a, ev in loop.CLINIC_ACTIONS.items()
        if TRANSITIONS[ev][0] in ("completed", "halted", "assessed_not_needed")
    }


def test_full_follow_up_list_is_for_the_police_of_the_prefecture(
    officer_tokyo: User,
    officer_osaka: User,
    clinician_tokyo: User,
    analyst: User,
    make_case: Callable[..., Case],
) -> None:
    (case,) = with_proposals(officer_tokyo, make_case, 1)
    url = reverse("treatment:followups")
    assert case.ref in client_for(officer_tokyo).get(url).content.decode()
    osaka = client_for(officer_osaka).get(url)
    assert osaka.status_code == 200 and case.ref not in osaka.content.decode()
    for user in (clinician_tokyo, analyst):
        assert client_for(user).get(url).status_code == 404


# --- accessibility by hand: the clinic form's stations are a fieldset with a legend -------


def test_station_checkboxes_are_a_fieldset_with_a_legend(supervisor_tokyo: User) -> None:
    html = client_for(supervisor_tokyo).get(reverse("treatment:clinic_new")).content.decode()
    group = html_section(html, "id_nearest_stations")
    start = html.rfind("<fieldset", 0, html.index('id="id_nearest_stations"'))
    assert html[start:].startswith('<fieldset class="choices"')
    assert "<legend>" in html[start : html.index('id="id_nearest_stations"')]
    assert 'for="id_nearest_stations"' not in html
    assert 'type="checkbox"' in group
