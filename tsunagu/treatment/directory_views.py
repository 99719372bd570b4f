"""Pages of the clinic directory: the prefecture's clinics, their load and staff.

Police see their prefecture's clinics; only its supervisor changes them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from tsunagu.cases import refusals
from tsunagu.cases.services import ServiceError
from tsunagu.core.access import AuthedRequest, get_for_user
from tsunagu.core.models import User
from tsunagu.treatment import directory, forms
from tsunagu.treatment.models import Clinic


def clinic_list(request: AuthedRequest) -> HttpResponse:
    """The prefecture's cooperating clinics with this month's load against capacity."""
    if not request.user.is_police:
        raise Http404
    clinics = list(
        Clinic.objects.visible_to(request.user)
        .with_load()
        .prefetch_related("nearest_stations", "staff")
    )
    return render(
        request,
        "treatment/clinic_list.html",
        {"clinics": clinics, "no_room": not any(c.has_room for c in clinics)},
    )


def clinic_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    if not request.user.is_police:
        raise Http404
    clinic = get_for_user(Clinic, request.user, pk)
    clinic_with_load = Clinic.objects.with_load().get(pk=clinic.pk)
    context: dict[str, Any] = {
        "clinic": clinic_with_load,
        "staff": User.objects.filter(clinic_staff__clinic=clinic).order_by("username"),
        "stations": clinic.nearest_stations.all(),
    }
    if request.user.is_supervisor:
        context["attach_form"] = forms.AttachForm(clinic=clinic)
        context["new_form"] = forms.NewClinicianForm()
    return render(request, "treatment/clinic_detail.html", context)


def _clinic_form(request: AuthedRequest, clinic: Clinic | None) -> HttpResponse:
    user = request.user
    if not user.is_supervisor or user.prefecture is None:
        raise Http404
    instance = clinic or Clinic(prefecture=user.prefecture)
    form = forms.ClinicForm(
        request.POST if request.method == "POST" else None,
        instance=instance,
        prefecture=user.prefecture,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = directory.clinic_save(
                actor=user,
                clinic=form.save(commit=False),
                stations=list(form.cleaned_data.get("nearest_stations") or []),
            )
        except ServiceError as err:
            refusals.add_to_form(form, err)
        else:
            messages.success(request, gettext("The clinic was saved."))
            return redirect("treatment:clinic", pk=saved.pk)
    return render(
        request,
        "treatment/clinic_form.html",
        {"form": form, "clinic": clinic},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def clinic_new(request: AuthedRequest) -> HttpResponse:
    return _clinic_form(request, None)


@require_http_methods(["GET", "POST"])
def clinic_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    if not request.user.is_supervisor:
        raise Http404
    return _clinic_form(request, get_for_user(Clinic, request.user, pk))


@require_http_methods(["POST"])
def clinic_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    if not request.user.is_supervisor:
        raise Http404
    clinic = get_for_user(Clinic, request.user, pk)
    try:
        directory.clinic_delete(actor=request.user, clinic=clinic)
    except ServiceError as err:
        messages.error(request, refusals.text(err))
        return redirect("treatment:clinic", pk=clinic.pk)
    messages.success(request, gettext("The clinic was removed."))
    return redirect("treatment:clinics")


@require_http_methods(["POST"])
def clinic_staff(request: AuthedRequest, pk: int) -> HttpResponse:
    """Attach, detach or create a clinician account of the clinic."""
    if not request.user.is_supervisor:
        raise Http404
    clinic = get_for_user(Clinic, request.user, pk)
    op = request.POST.get("op", "")
    context: dict[str, Any] = {
        "clinic": Clinic.objects.with_load().get(pk=clinic.pk),
        "stations": clinic.nearest_stations.all(),
        "attach_form": forms.AttachForm(clinic=clinic),
        "new_form": forms.NewClinicianForm(),
    }
    try:
        if op == "attach":
            attach = forms.AttachForm(request.POST, clinic=clinic)
            context["attach_form"] = attach
            if attach.is_valid():
                directory.clinic_attach(
                    actor=request.user, clinic=clinic, user=attach.cleaned_data["user"]
                )
                messages.success(request, gettext("The account was attached."))
                return redirect("treatment:clinic", pk=clinic.pk)
        elif op == "detach":
            raw = request.POST.get("user", "")
            member = (
                User.objects.filter(clinic_staff__clinic=clinic, pk=int(raw)).first()
                if raw.isdigit()
                else None
            )
            if member is None:
                raise Http404
            directory.clinic_detach(actor=request.user, clinic=clinic, user=member)
            messages.success(request, gettext("The account was detached."))
            return redirect("treatment:clinic", pk=clinic.pk)
        elif op == "create":
            new = forms.NewClinicianForm(request.POST)
            context["new_form"] = new
            if new.is_valid():
                account = directory.clinic_create_clinician(
                    actor=request.user,
                    clinic=clinic,
                    username=new.cleaned_data["username"],
                    full_name=new.cleaned_data.get("full_name") or "",
                )
                context["created"] = account
                context["new_form"] = forms.NewClinicianForm()
        else:
            raise Http404
    except ServiceError as err:
        target = context["attach_form"] if op == "attach" else context["new_form"]
        refusals.add_to_form(target, err)
    context["staff"] = User.objects.filter(clinic_staff__clinic=clinic).order_by("username")
    status = 400 if any(f.errors for f in (context["attach_form"], context["new_form"])) else 200
    # The temporary password is shown in this one response and never stored in clear.
    return render(request, "treatment/clinic_detail.html", context, status=status)
