"""Pages of the treatment loop: the clinician's portal, referrals, follow-up
intervals, and the case-panel forms (which answer with a
redirect to the case page, or the form with its errors). The clinic directory's
pages are `treatment.directory_views`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms as djforms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from tsunagu.cases import refusals, timeline
from tsunagu.cases.models import Case
from tsunagu.cases.services import ServiceError
from tsunagu.core import flash
from tsunagu.core.access import AuthedRequest, get_for_user
from tsunagu.treatment import derive, forms, loop, panels
from tsunagu.treatment.models import Clinic, FollowUp, Referral


def _case_action(
    request: AuthedRequest,
    pk: int,
    form_factory: Callable[..., djforms.Form],
    run: Callable[[Case, dict[str, Any]], Any],
    title: Any,
    done: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """One case-panel form: GET shows it alone, POST runs it and returns to the case's
    treatment panel, where the message `done(cleaned_data)` names what was recorded."""
    case = get_for_user(Case, request.user, pk)
    form = form_factory(request.POST if request.method == "POST" else None, case=case)
    if request.method == "POST":
        if form.is_valid():
            try:
                run(case, form.cleaned_data)
            except ServiceError as err:
                refusals.add_to_form(form, err)
            else:
                return to_treatment(request, case, done(form.cleaned_data))
    return render(
        request,
        "treatment/case_form.html",
        {"case": case, "form": form, "title": title},
        status=400 if form.errors else 200,
    )


def to_treatment(request: AuthedRequest, case: Case, text: str) -> HttpResponse:
    """Back to the case's treatment panel, the message beside it."""
    return flash.to_panel(request, reverse("cases:detail", args=[case.pk]), "treatment", text)


def _dated(msgid: str, **names: Callable[[dict[str, Any]], Any]) -> Callable[..., str]:
    """A success message with the record's date, and other names from the form."""

    def text(data: dict[str, Any]) -> str:
        values = {key: str(get(data)) for key, get in names.items()}
        return gettext(msgid) % {"date": data["date"].isoformat(), **values}

    return text


def _plain(form_class: type[djforms.Form]) -> Callable[..., djforms.Form]:
    def make(data: Any, case: Case) -> djforms.Form:
        return form_class(data)

    return make


@require_http_methods(["GET", "POST"])
def advise(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: Case, data: dict[str, Any]) -> None:
        loop.advice_record(
            actor=request.user,
            case=case,
            date=data["date"],
            method=data["method"],
            advised_by=data["advised_by"],
        )

    return _case_action(
        request,
        pk,
        lambda data, case: forms.AdviceForm(data, case=case, user=request.user),
        run,
        _("Record treatment advice"),
        _dated(gettext_noop("Treatment advice (%(date)s) was recorded.")),
    )


@require_http_methods(["GET", "POST"])
def respond(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: Case, data: dict[str, Any]) -> None:
        loop.advice_respond(
            actor=request.user,
            case=case,
            date=data["date"],
            response=data["response"],
            reason=data.get("reason") or "",
        )

    return _case_action(
        request,
        pk,
        _plain(forms.ResponseForm),
        run,
        _("Record the offender's response"),
        _dated(
            gettext_noop("The offender's response “%(what)s” (%(date)s) was recorded."),
            what=lambda d: forms.RESPONSE_LABELS[d["response"]],
        ),
    )


@require_http_methods(["GET", "POST"])
def consent(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: Case, data: dict[str, Any]) -> None:
        loop.consent_record(
            actor=request.user,
            case=case,
            date=data["date"],
            direction=data["direction"],
            given=data["given"],
            method=data.get("method") or "",
        )

    def done(data: dict[str, Any]) -> str:
        msgid = (
            gettext_noop("Consent “%(what)s” (%(date)s) was recorded.")
            if data["given"]
            else gettext_noop("The withdrawal of consent “%(what)s” (%(date)s) was recorded.")
        )
        return _dated(msgid, what=lambda d: forms.CONSENT_DIRECTION_LABELS[d["direction"]])(data)

    return _case_action(request, pk, _plain(forms.ConsentForm), run, _("Record consent"), done)


@require_http_methods(["GET", "POST"])
def refer(request: AuthedRequest, pk: int) -> HttpResponse:
    """Send a referral, a page of its own in three steps that need no script:
    choose a clinic (those with room first, then those near the case's station),
    confirm, done (back to the case's treatment panel with the message)."""
    case = get_for_user(Case, request.user, pk)
    suggestions = panels.clinic_suggestions(case)
    clinics = Clinic.objects.filter(pk__in=[c.pk for c in suggestions])
    posted = request.method == "POST"
    form = forms.ReferralForm(request.POST if posted else None, clinics=clinics)
    step = "choose"
    if posted and form.is_valid() and "edit" not in request.POST:
        step = "confirm"
        if request.POST.get("confirmed") == "1":
            clinic = form.cleaned_data["clinic"]
            try:
                loop.referral_send(
                    actor=request.user,
                    case=case,
                    clinic=clinic,
                    date=form.cleaned_data["date"],
                    summary=form.cleaned_data["summary"],
                )
            except ServiceError as err:
                refusals.add_to_form(form, err)
                step = "choose"
            else:
                return to_treatment(
                    request,
                    case,
                    gettext("The referral to %(clinic)s (%(date)s) was sent.")
                    % {"clinic": clinic.name, "date": form.cleaned_data["date"].isoformat()},
                )
    chosen = form.cleaned_data.get("clinic") if step == "confirm" else None
    return render(
        request,
        "treatment/refer.html",
        {
            "case": case,
            "form": form,
            "suggestions": suggestions,
            "step": step,
            "chosen": next((c for c in suggestions if chosen and c.pk == chosen.pk), None),
            "consent_police_to_clinic": timeline.consent(
                case.timeline_events(), derive.POLICE_TO_CLINIC
            ),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def recurrence(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: Case, data: dict[str, Any]) -> None:
        loop.recurrence_record(
            actor=request.user,
            case=case,
            date=data["date"],
            victim=data["victim"],
            sign=data["sign"],
            arrest_kind=data.get("arrest_kind") or "",
        )

    return _case_action(
        request,
        pk,
        _plain(forms.RecurrenceForm),
        run,
        _("Record a recurrence"),
        _dated(gettext_noop("The recurrence (%(date)s) was recorded.")),
    )


@require_http_methods(["GET", "POST"])
def contact_request(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: Case, data: dict[str, Any]) -> None:
        loop.contact_request(actor=request.user, case=case, date=data["date"])

    return _case_action(
        request,
        pk,
        _plain(forms.DatedForm),
        run,
        _("Ask the clinic to contact the police"),
        lambda data: gettext("The clinic will see that the police ask to be contacted."),
    )


@require_http_methods(["GET", "POST"])
def condition(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: Case, data: dict[str, Any]) -> None:
        loop.condition_set(
            actor=request.user,
            case=case,
            date=data["date"],
            kind=data["kind"],
            expires_on=data.get("expires_on"),
        )

    return _case_action(
        request,
        pk,
        _plain(forms.ConditionForm),
        run,
        _("Record a condition"),
        _dated(
            gettext_noop("The condition “%(what)s” (%(date)s) was recorded."),
            what=lambda d: forms.CONDITION_LABELS[d["kind"]],
        ),
    )


@require_http_methods(["GET", "POST"])
def condition_end(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: Case, data: dict[str, Any]) -> None:
        loop.condition_end(actor=request.user, case=case, date=data["date"], kind=data["kind"])

    return _case_action(
        request,
        pk,
        _plain(forms.ConditionEndForm),
        run,
        _("End a condition"),
        _dated(
            gettext_noop("The end of the condition “%(what)s” (%(date)s) was recorded."),
            what=lambda d: forms.CONDITION_LABELS[d["kind"]],
        ),
    )


# The pages that schedule proposals in place: the officer's home and the full list.
HOME_LISTS = {"home": "core:home", "followups": "treatment:followups"}


def followups(request: AuthedRequest) -> HttpResponse:
    """Every follow-up due within a week and every proposal to confirm (the home
    page shows the first few of each)."""
    if not request.user.is_police or not request.user.prefecture_id:
        raise Http404
    context = panels.officer_home_context(request, cap=panels.FULL_LIST)
    return render(request, "treatment/followups.html", context)


@require_http_methods(["GET", "POST"])
def followup_plan(request: AuthedRequest, pk: int) -> HttpResponse:
    """Plan a proposed follow-up. From the officer's home (`back=home`) the answer,
    a success or a refusal naming the field, is shown back on the home page."""

    def run(case: Case, data: dict[str, Any]) -> None:
        loop.followup_plan(
            actor=request.user,
            case=case,
            source_type=data["source_type"],
            source_date=data["source_date"],
            due_on=data["due_on"],
            offset_days=data.get("offset_days"),
        )

    back = HOME_LISTS.get(request.POST.get("back", ""))
    if request.method == "POST" and back:
        return _followup_plan_from_home(request, pk, run, back)
    return _case_action(
        request,
        pk,
        _plain(forms.FollowUpPlanForm),
        run,
        _("Plan a follow-up"),
        lambda data: (
            gettext("A follow-up check due on %(date)s was planned.")
            % {"date": data["due_on"].isoformat()}
        ),
    )


def _followup_plan_from_home(
    request: AuthedRequest,
    pk: int,
    run: Callable[[Case, dict[str, Any]], None],
    back: str,
) -> HttpResponse:
    case = get_for_user(Case, request.user, pk)
    form = forms.FollowUpPlanForm(request.POST)
    home = reverse(back)
    if form.is_valid():
        try:
            run(case, form.cleaned_data)
        except ServiceError as err:
            refusals.add_to_form(form, err)
        else:
            text = gettext("A follow-up check of %(ref)s due on %(date)s was planned.") % {
                "ref": case.ref,
                "date": form.cleaned_data["due_on"].isoformat(),
            }
            return flash.to_panel(request, home, "followups", text)
    # Each problem named by its field, as the page would show it beside the field.
    problems = [
        f"{form.fields[name].label}: {' '.join(str(e) for e in errors)}"
        if name in form.fields and form.fields[name].label
        else " ".join(str(e) for e in errors)
        for name, errors in form.errors.items()
    ]
    text = gettext("The follow-up of %(ref)s was not planned. %(problems)s") % {
        "ref": case.ref,
        "problems": " ".join(problems),
    }
    return flash.to_panel(request, home, "followups", text, level=messages.ERROR)


@require_http_methods(["GET", "POST"])
def followup_done(request: AuthedRequest, pk: int) -> HttpResponse:
    """Record a planned check; it closes the follow-up."""
    followup = get_for_user(FollowUp, request.user, pk)
    case = followup.case
    form = forms.FollowUpDoneForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            loop.followup_done(
                actor=request.user,
                followup=followup,
                date=form.cleaned_data["date"],
                outcome=form.cleaned_data.get("outcome") or "",
            )
        except ServiceError as err:
            refusals.add_to_form(form, err)
        else:
            return to_treatment(
                request,
                case,
                gettext("The follow-up check (%(date)s) was recorded.")
                % {"date": form.cleaned_data["date"].isoformat()},
            )
    return render(
        request,
        "treatment/case_form.html",
        {"case": case, "form": form, "title": _("Record the follow-up"), "followup": followup},
        status=400 if form.errors else 200,
    )


# --- referrals: clinician portal and police list ----------------------------------


def portal(request: AuthedRequest) -> HttpResponse:
    """The clinician's work list: what needs their answer first."""
    if not request.user.is_clinician:
        raise Http404
    rows = panels.referral_rows(Referral.objects.visible_to(request.user), request.user)
    rows.sort(key=lambda r: r.priority)
    active = [r for r in rows if r.view.is_open]
    closed = [r for r in rows if not r.view.is_open][:50]
    return render(
        request, "treatment/portal.html", {"active": active, "closed": closed, "rows": rows}
    )


REFERRALS_PER_PAGE = 50


def referral_list(request: AuthedRequest) -> HttpResponse:
    """The prefecture's referrals, for the police, filterable by stage and clinic,
    a page at a time with the total."""
    if not request.user.is_police:
        raise Http404
    clinic = request.GET.get("clinic", "")
    stage = request.GET.get("stage", "")
    matching = panels.filter_referrals(
        Referral.objects.visible_to(request.user), request.user, stage=stage, clinic=clinic
    )
    page = Paginator(matching, REFERRALS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "treatment/referral_list.html",
        {
            "rows": panels.referral_rows(cast(QuerySet[Referral], page.object_list), request.user),
            "page": page,
            "stage": stage,
            "stages": panels.FILTER_STAGES,
            "clinic": clinic,
            "clinics": Clinic.objects.visible_to(request.user),
        },
    )


def referral_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """One referral: for the clinic its actions; for the police its status."""
    referral = get_for_user(Referral, request.user, pk)
    row = panels.referral_row(referral, request.user)
    context: dict[str, Any] = {"row": row, "referral": referral}
    if request.user.is_clinician:
        steps = panels.next_steps(row)

        def step(action: str) -> tuple[str, Any, forms.ClinicActionForm]:
            form = forms.ClinicActionForm(
                action=action, final=action in steps.final, auto_id=f"{action}_%s"
            )
            return (action, forms.CLINIC_ACTION_LABELS[action], form)

        context["steps"] = steps
        context["primary"] = step(steps.primary) if steps.primary else None
        context["others"] = [step(a) for a in steps.others]
        context["finals"] = [step(a) for a in steps.final]
        # Every offered step, in the page's order (the next one first).
        context["actions"] = (
            ([context["primary"]] if context["primary"] else [])
            + context["others"]
            + context["finals"]
        )
        context["consent_form"] = forms.ClinicConsentForm(auto_id="clinic_consent_%s")
        context["today"] = timezone.localdate()
    return render(request, "treatment/referral_detail.html", context)


@require_http_methods(["GET", "POST"])
def referral_act(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    """A clinician's step on a referral of their clinic."""
    if not request.user.is_clinician or action not in forms.CLINIC_ACTION_LABELS:
        raise Http404
    referral = get_for_user(Referral, request.user, pk)
    form = forms.ClinicActionForm(
        request.POST if request.method == "POST" else None,
        action=action,
        final=action in panels.FINAL_ACTIONS,
    )
    if request.method == "POST" and form.is_valid():
        try:
            loop.referral_act(
                actor=request.user,
                referral=referral,
                action=action,
                date=form.cleaned_data["date"],
                appointment_on=form.cleaned_data.get("appointment_on"),
                reason=form.cleaned_data.get("reason") or "",
            )
        except ServiceError as err:
            refusals.add_to_form(form, err)
        else:
            return flash.to_panel(
                request,
                reverse("treatment:referral", args=[referral.pk]),
                "next-step",
                gettext("“%(what)s” (%(date)s) was recorded.")
                % {
                    "what": forms.CLINIC_ACTION_LABELS[action],
                    "date": form.cleaned_data["date"].isoformat(),
                },
            )
    return render(
        request,
        "treatment/referral_act.html",
        {
            "referral": referral,
            "form": form,
            "title": forms.CLINIC_ACTION_LABELS[action],
            "action": action,
            "final": action in panels.FINAL_ACTIONS,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def referral_consent(request: AuthedRequest, pk: int) -> HttpResponse:
    """The clinic records the offender's consent to inform the police, or its withdrawal."""
    if not request.user.is_clinician:
        raise Http404
    referral = get_for_user(Referral, request.user, pk)
    form = forms.ClinicConsentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            loop.consent_record(
                actor=request.user,
                case=referral.case,
                date=form.cleaned_data["date"],
                direction="clinic_to_police",
                given=form.cleaned_data["given"],
                method=form.cleaned_data.get("method") or "",
            )
        except ServiceError as err:
            refusals.add_to_form(form, err)
        else:
            return flash.to_panel(
                request,
                reverse("treatment:referral", args=[referral.pk]),
                "next-step",
                _dated(
                    gettext_noop("Consent “%(what)s” (%(date)s) was recorded.")
                    if form.cleaned_data["given"]
                    else gettext_noop(
                        "The withdrawal of consent “%(what)s” (%(date)s) was recorded."
                    ),
                    what=lambda d: forms.CONSENT_DIRECTION_LABELS[derive.CLINIC_TO_POLICE],
                )(form.cleaned_data),
            )
    return render(
        request,
        "treatment/referral_act.html",
        {"referral": referral, "form": form, "title": _("Consent to inform the police")},
        status=400 if form.errors else 200,
    )


@require_http_methods(["POST"])
def referral_contacted(request: AuthedRequest, pk: int) -> HttpResponse:
    """The clinic has contacted the police: clears the flag."""
    if not request.user.is_clinician:
        raise Http404
    referral = get_for_user(Referral, request.user, pk)
    try:
        loop.referral_contact_answered(
            actor=request.user, referral=referral, date=timezone.localdate()
        )
    except ServiceError as err:
        messages.error(request, refusals.text(err))
    return redirect("treatment:referral", pk=referral.pk)


@require_http_methods(["GET", "POST"])
def intervals(request: AuthedRequest) -> HttpResponse:
    """The prefecture's follow-up intervals (supervisors)."""
    user = request.user
    if not user.is_supervisor or user.prefecture is None:
        raise Http404
    current = loop.intervals_for(user.prefecture_id)
    form = forms.IntervalsForm(request.POST if request.method == "POST" else None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            loop.intervals_save(actor=user, prefecture=user.prefecture, days=form.cleaned_data)
        except ServiceError as err:
            refusals.add_to_form(form, err)
        else:
            messages.success(request, gettext("The intervals were saved."))
            return redirect("treatment:intervals")
    return render(
        request, "treatment/intervals.html", {"form": form}, status=400 if form.errors else 200
    )
