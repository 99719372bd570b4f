"""Risk assessment pages: assess a case (police), the supervisor's and the analyst's views.

Cases are read through `get_for_user` (404 out of scope); roles without a page
get the same 404. Writes go through `services`; refusals through `cases.refusals`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tsunagu.cases import refusals, reveal
from tsunagu.cases.forms import RevealForm
from tsunagu.cases.models import Case
from tsunagu.cases.services import ServiceError
from tsunagu.cases.views import MASK
from tsunagu.core import flash as placed
from tsunagu.core.access import AuthedRequest, get_for_user
from tsunagu.risk import instruments as loader
from tsunagu.risk import panels, reads, services
from tsunagu.risk.forms import SCENARIO_LABELS, AssessmentForm, InstrumentUploadForm, ReviewForm
from tsunagu.risk.models import Assessment, Instrument, PlanAction


def _police_case(request: AuthedRequest, pk: int) -> Case:
    user = request.user
    if not user.is_police or user.prefecture_id is None:
        raise Http404
    return get_for_user(Case, user, pk)


@never_cache
def choose(request: AuthedRequest, pk: int) -> HttpResponse:
    """Pick the instrument to assess a case with."""
    case = _police_case(request, pk)
    return render(
        request,
        "risk/choose.html",
        {"case": case, "instruments": Instrument.objects.visible_to(request.user)},
    )


@never_cache
def assess(request: AuthedRequest, pk: int, instrument_pk: int) -> HttpResponse:
    user = request.user
    case = _police_case(request, pk)
    instrument = get_for_user(Instrument, user, instrument_pk)
    form = AssessmentForm(request.POST or None, instrument=instrument)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.assessment_record(actor=user, case=case, data=form.data_for_service())
            except ServiceError as err:
                form.add_error(
                    form.field_for(err.field) if form.field_for(err.field) in form.fields else None,
                    refusals.text(err),
                )
            else:
                return redirect(reverse("cases:detail", args=[case.pk]) + "#risk")
        status = 400
    return render(
        request,
        "risk/assess.html",
        {"case": case, "instrument": instrument, "form": form},
        status=status,
    )


def _police_assessment(request: AuthedRequest, pk: int) -> Assessment:
    user = request.user
    if not user.is_police or user.prefecture_id is None:
        raise Http404
    return get_for_user(Assessment, user, pk)


def _assessment_page(
    request: AuthedRequest,
    assessment: Assessment,
    *,
    revealed: dict[str, Any] | None = None,
    reveal_form: RevealForm | None = None,
    review_form: ReviewForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = panels.assessment_context(assessment, revealed)
    scenarios = context["scenarios"] or {}
    context.update(
        case=assessment.case,
        mask=MASK,
        scenario_rows=[(label, scenarios.get(key, "")) for key, label in SCENARIO_LABELS.items()],
        reveal_form=reveal_form or RevealForm(prefix="reveal"),
        review_form=review_form
        or ReviewForm(prefix="review", initial={"review_on": assessment.review_on}),
    )
    # never_cache on every caller keeps a revealed page out of every cache.
    return render(request, "risk/assessment.html", context, status=status)


@never_cache
def assessment_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """A past assessment: items, ratings, level; victim answers and texts masked."""
    return _assessment_page(request, _police_assessment(request, pk))


@never_cache
@require_POST
def assessment_reveal(request: AuthedRequest, pk: int) -> HttpResponse:
    """The victim's answers and the texts, once, after the step-up and a reason."""
    assessment = _police_assessment(request, pk)
    outcome = reveal.run(
        request,
        "reveal",
        reverse("risk:assessment", args=[assessment.pk]),
        lambda reason: services.assessment_reveal(
            actor=request.user, assessment=assessment, reason=reason
        ),
    )
    if outcome.stepup is not None:
        return outcome.stepup
    if outcome.fields is None:
        return _assessment_page(request, assessment, reveal_form=outcome.form, status=400)
    # Post/redirect/get, as the case page's reveal: a reload writes nothing.
    reveal.remember(request, assessment, outcome.fields.audit_id)
    return redirect(reverse("risk:assessment_revealed", args=[assessment.pk]) + "#reveal")


@never_cache
def assessment_revealed(request: AuthedRequest, pk: int) -> HttpResponse:
    """The result of this session's reveal, shown again on a reload until it expires
    (`cases.services.REVEAL_SHOWN_SECONDS`); writes nothing. Then the masked page."""
    assessment = _police_assessment(request, pk)
    fields = reveal.recalled(
        request,
        assessment,
        lambda audit_id: services.assessment_revealed(
            actor=request.user, assessment=assessment, audit_id=audit_id
        ),
    )
    if fields is None:
        url = reverse("risk:assessment", args=[assessment.pk])
        return placed.to_panel(request, url, "reveal", reveal.no_longer_shown(), flash.INFO)
    return _assessment_page(request, assessment, revealed=fields)


@never_cache
@require_POST
def review_change(request: AuthedRequest, pk: int) -> HttpResponse:
    """Move the review date (the home page's follow-up follows)."""
    assessment = _police_assessment(request, pk)
    form = ReviewForm(request.POST, prefix="review")
    if form.is_valid():
        try:
            services.review_change(
                actor=request.user,
                assessment=assessment,
                review_on=form.cleaned_data["review_on"],
            )
        except ServiceError as err:
            refusals.add_to_form(form, err)
        else:
            flash.success(request, _("The review date was changed."))
            return redirect("risk:assessment", assessment.pk)
    return _assessment_page(request, assessment, review_form=form, status=400)


@require_POST
def action_done(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark a plan action done today (from the officer's home); one already done is
    refused with a message beside the panel, its done date unchanged."""
    user = request.user
    if not user.is_police or user.prefecture_id is None:
        raise Http404
    action = get_for_user(PlanAction, user, pk)
    try:
        services.action_done(actor=user, action=action)
    except ServiceError as err:  # already done: its date stands
        return placed.to_panel(
            request, reverse("core:home"), "risk-home", refusals.text(err), flash.WARNING
        )
    return redirect(reverse("core:home") + "#risk-home")


@never_cache
def instruments(request: AuthedRequest) -> HttpResponse:
    """The loaded instruments, and the upload of a new one (supervisors and admins)."""
    user = request.user
    if not (user.is_supervisor or user.is_admin):
        raise Http404
    form = InstrumentUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = upload.read().decode("utf-8")
                instrument, created = loader.load(loader.parse(text, upload.name), actor=user)
            except UnicodeDecodeError:
                form.add_error("file", _("The file is not UTF-8 text."))
            except loader.InstrumentError as err:
                form.add_error("file", f"{err.path or '(file)'}: {err.message}")
            else:
                message = _("Loaded.") if created else _("Already loaded with the same content.")
                flash.success(request, f"{instrument}: {message}")
                return redirect("risk:instruments")
        status = 400
    return render(
        request,
        "risk/instruments.html",
        {
            "form": form,
            "instruments": Instrument.objects.visible_to(user).select_related("prefecture"),
        },
        status=status,
    )


@never_cache
def supervisor(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not user.is_supervisor or user.prefecture_id is None:
        raise Http404
    return render(request, "risk/supervisor.html", reads.supervisor_view(user))


@never_cache
def analyst(request: AuthedRequest) -> HttpResponse:
    if not request.user.is_analyst:
        raise Http404
    return render(request, "risk/analyst.html", reads.national_view(request.user))
