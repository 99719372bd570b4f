"""Risk assessment pages: assess a case (police), the supervisor's and the analyst's views.

Cases are read through `get_for_user` (404 out of scope); roles without a page
get the same 404. Writes go through `services`; refusals through `cases.refusals`.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tsunagu.cases import refusals
from tsunagu.cases.models import Case
from tsunagu.cases.services import ServiceError
from tsunagu.core.access import AuthedRequest, get_for_user
from tsunagu.risk import instruments as loader
from tsunagu.risk import reads, services
from tsunagu.risk.forms import AssessmentForm, InstrumentUploadForm
from tsunagu.risk.models import Instrument, PlanAction


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
        request, "risk/choose.html", {"case": case, "instruments": Instrument.objects.all()}
    )


@never_cache
def assess(request: AuthedRequest, pk: int, instrument_pk: int) -> HttpResponse:
    user = request.user
    case = _police_case(request, pk)
    instrument = get_object_or_404(Instrument, pk=instrument_pk)
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


@require_POST
def action_done(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark a plan action done today (from the officer's home)."""
    user = request.user
    if not user.is_police or user.prefecture_id is None:
        raise Http404
    action = get_for_user(PlanAction, user, pk)
    services.action_done(actor=user, action=action)
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
        {"form": form, "instruments": Instrument.objects.all()},
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
