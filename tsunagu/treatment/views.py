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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from tsunagu.cases import refusals
from tsunagu.cases.models import Case
from tsunagu.cases.services import ServiceError
from tsunagu.core.access import AuthedRequest, get_for_user
from tsunagu.treatment import forms, loop, panels
from tsunagu.treatment.models import Clinic, FollowUp, Referral


def _case_action(
    request: AuthedRequest,
    pk: int,
    form_factory: Callable[..., djforms.Form],
    run: Callable[[Case, dict[str, Any]], Any],
    title: Any,
    done: Any,
) -> HttpResponse:
    """One case-panel form: GET shows it alone, POST runs it and returns to the case."""
    case = get_for_user(Case, request.user, pk)
    form = form_factory(request.POST if request.method == "POST" else None, case=case)
    if request.method == "POST":
        if form.is_valid():
            try:
                run(case, form.cleaned_data)
            except ServiceError as err:
                refusals.add_to_form(form, err)
            else:
                messages.success(request, str(done))
                return redirect(reverse("cases:detail", args=[case.pk]) + "#treatment")
    return render(
        request,
        "treatment/case_form.html",
        {"case": case, "form": form, "title": title},
        status=400 if form.errors else 200,
    )


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
        _("The advice was recorded."),
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
        _("The response was recorded."),
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

    return _case_action(
        request, pk, _plain(forms.ConsentForm), run, _("Record consent"), _("Consent recorded.")
    )


@require_http_methods(["GET", "POST"])
def refer(request: AuthedRequest, pk: int) -> HttpResponse:
    """Send a referral; the form suggests clinics with room, nearest first."""
    case = get_for_user(Case, request.user, pk)
    suggestions = panels.clinic_suggestions(case)
    clinics = Clinic.objects.filter(pk__in=[c.pk for c in suggestions])
    form = forms.ReferralForm(request.POST if request.method == "POST" else None, clinics=clinics)
    if request.method == "POST" and form.is_valid():
        try:
            loop.referral_send(
                actor=request.user,
                case=case,
                clinic=form.cleaned_data["clinic"],
                date=form.cleaned_data["date"],
                summary=form.cleaned_data["summary"],
            )
        except ServiceError as err:
            refusals.add_to_form(form, err)
        else:
            messages.success(request, gettext("The referral was sent."))
            return redirect(reverse("cases:detail", args=[case.pk]) + "#treatment")
    return render(
        request,
        "treatment/refer.html",
        {"case": case, "form": form, "suggestions": suggestions},
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
        _("The recurrence was recorded."),
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
        _("The clinic will see that the police ask to be contacted."),
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
        _("The condition was recorded."),
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
        _("The condition was ended."),
    )


@require_http_methods(["GET", "POST"])
def followup_plan(request: AuthedRequest, pk: int) -> HttpResponse:
    def run(case: Case, data: dict[str, Any]) -> None:
        loop.followup_plan(
            actor=request.user,
            case=case,
            source_type=data["source_type"],
            source_date=data["source_date"],
            due_on=data["due_on"],
            offset_days=data.get("offset_days"),
        )

    return _case_action(
        request,
        pk,
        _plain(forms.FollowUpPlanForm),
        run,
        _("Plan a follow-up"),
        _("The follow-up was planned."),
    )


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
            messages.success(request, gettext("The follow-up was recorded."))
            return redirect(reverse("cases:detail", args=[case.pk]) + "#treatment")
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
        context["actions"] = [
            (
                action,
                forms.CLINIC_ACTION_LABELS[action],
                forms.ClinicActionForm(action=action, auto_id=f"{action}_%s"),
            )
            for action in panels.clinic_actions(row)
        ]
        context["consent_form"] = forms.ClinicConsentForm(auto_id="clinic_consent_%s")
        context["today"] = timezone.localdate()
    return render(request, "treatment/referral_detail.html", context)


@require_http_methods(["GET", "POST"])
def referral_act(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    """A clinician's step on a referral of their clinic."""
    if not request.user.is_clinician or action not in forms.CLINIC_ACTION_LABELS:
        raise Http404
    referral = get_for_user(Referral, request.user, pk)
    form = forms.ClinicActionForm(request.POST if request.method == "POST" else None, action=action)
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
            messages.success(request, gettext("Recorded."))
            return redirect("treatment:referral", pk=referral.pk)
    return render(
        request,
        "treatment/referral_act.html",
        {
            "referral": referral,
            "form": form,
            "title": forms.CLINIC_ACTION_LABELS[action],
            "action": action,
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
            messages.success(request, gettext("Consent recorded."))
            return redirect("treatment:referral", pk=referral.pk)
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
