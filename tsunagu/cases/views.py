"""Case registry pages for police users: one function per screen.

Every case is read through `Case.objects.visible_to` (404 outside scope) and
every write goes through `tsunagu.cases.services`. Pages with personal data are
never cached (`Cache-Control: no-store, private`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tsunagu.cases import forms, labels, pages, refusals, reveal, services, timeline
from tsunagu.cases.filters import CaseFilterForm, relationship_choices
from tsunagu.cases.models import Case, Event, Person
from tsunagu.cases.police import police_case
from tsunagu.core import flash
from tsunagu.core.access import AuthedRequest, get_for_user
from tsunagu.core.paging import BoundedPaginator

PAGE_SIZE = 50
MASK = "●●●●"


def recorded_text(event_type: str, day: Any) -> str:
    """What a success message says: the event recorded and its date."""
    return _("%(what)s (%(date)s) was recorded.") % {
        "what": labels.event_label(event_type),
        "date": day.isoformat(),
    }


def _police_only(request: AuthedRequest) -> None:
    # Other roles have no case pages at all: the same 404 as an out-of-scope case.
    if not request.user.is_police or request.user.prefecture is None:
        raise Http404


def _rows(cases: Any) -> list[dict[str, Any]]:
    relationship = dict(relationship_choices())
    return [
        {
            "case": c,
            "relationship": relationship.get(c.relationship, c.relationship),
            "latest_measure": labels.event_label(c.latest_measure) if c.latest_measure else "",
        }
        for c in cases
    ]


@never_cache
def officer_home(request: AuthedRequest) -> HttpResponse:
    """The officer's start page: the prefecture's open cases, and the treatment panel."""
    _police_only(request)
    cases = (
        Case.objects.visible_to(request.user)
        .filter(is_open=True)
        .select_related("station")
        .order_by("-latest_measure_on", "-opened_on", "-id")
    )
    page = BoundedPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {"page": page, "rows": _rows(page.object_list)}
    context.update(pages.home_panels(request))
    return render(request, "cases/home.html", context)


@never_cache
def case_list(request: AuthedRequest) -> HttpResponse:
    """Search and filter the prefecture's cases. An htmx request gets the table only."""
    _police_only(request)
    form = CaseFilterForm(request.GET or None, prefecture=request.user.prefecture)
    cases = form.filter(Case.objects.visible_to(request.user)).select_related("station")
    page = BoundedPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": _rows(page.object_list),
        "query": form.query_string(),
    }
    # htmx gets the table only, except when it restores a page from history.
    partial = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "cases/_table.html" if partial else "cases/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _timeline_rows(rows: list[Any], correct_forms: dict[int, Any]) -> list[dict[str, Any]]:
    """The police's timeline rows (`cases.police`), each with its correction form."""
    return [
        {
            "event": row.event,
            "label": row.label,
            "detail": row.detail,
            "voided": row.voided,
            "correctable": row.correctable,
            "correct_form": correct_forms.get(row.event.pk)
            or forms.CorrectForm(prefix=f"correct{row.event.pk}"),
        }
        for row in rows
    ]


def _detail_context(request: AuthedRequest, case: Case, **extra: Any) -> dict[str, Any]:
    today = timezone.localdate()
    people = list(case.people.all())
    context: dict[str, Any] = {
        "case": case,
        "relationship": dict(relationship_choices()).get(case.relationship, case.relationship),
        "offenders": [p for p in people if p.role == Person.Role.OFFENDER],
        "victims": [p for p in people if p.role == Person.Role.VICTIM],
        "mask": MASK,
        "measure_form": forms.MeasureForm(prefix="measure", initial={"date": today}),
        "status_form": forms.StatusForm(
            prefix="status",
            initial={"date": today, "type": "case_closed" if case.is_open else "case_reopened"},
        ),
        "reveal_forms": {},
        "revealed": {},
        "correct_forms": {},
        "sex_labels": labels.SEX_LABELS,
    }
    context.update(extra)
    context.setdefault("as_of_form", forms.AsOfForm())
    police = police_case(case.events.all())
    context["timeline"] = _timeline_rows(police.rows, context["correct_forms"])
    # A closed case offers no measure form and no follow-up actions; the page says why.
    context["closed_on"] = police.state().closed_on
    if context.get("as_of"):
        for row in context["timeline"]:
            row["after_as_of"] = row["event"].date > context["as_of"]
    context["reveal_rows"] = [
        {
            "person": p,
            "form": context["reveal_forms"].get(p.pk) or forms.RevealForm(prefix=f"reveal{p.pk}"),
            "revealed": context["revealed"].get(p.pk),
        }
        for p in context["victims"]
    ]
    context.update(pages.case_panels(request, case))
    return context


def _get_case(request: AuthedRequest, pk: int) -> Case:
    _police_only(request)
    return get_for_user(
        Case,
        request.user,
        pk,
        related=lambda cases: cases.select_related("prefecture", "station").prefetch_related(
            Prefetch(
                "events", queryset=Event.objects.in_timeline_order().select_related("recorded_by")
            ),
            "people",
        ),
    )


@never_cache
def case_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    """The case page: header, people (victims masked), timeline, and the forms.

    `?as_of=YYYY-MM-DD` shows the state the timeline gives on that date (DESIGN §2:
    "as of" is a filter on the events, not a second model).
    """
    case = _get_case(request, pk)
    as_of_form = forms.AsOfForm(request.GET or None)
    extra: dict[str, Any] = {"as_of_form": as_of_form}
    if as_of_form.is_bound and as_of_form.is_valid() and as_of_form.cleaned_data["as_of"]:
        as_of = as_of_form.cleaned_data["as_of"]
        # The police view: no clinic status reported after a consent withdrawal.
        state = police_case(case.events.all()).state(as_of)
        extra["as_of"] = as_of
        extra["as_of_state"] = {
            "is_open": state.is_open,
            "latest_measure": labels.event_label(state.latest_measure)
            if state.latest_measure
            else "",
            "latest_measure_on": state.latest_measure_on,
            "episodes": [labels.LEAF_LABELS[timeline.classify(ep).leaf] for ep in state.episodes],
        }
    return render(request, "cases/detail.html", _detail_context(request, case, **extra))


@never_cache
@require_POST
def event_record(request: AuthedRequest, pk: int) -> HttpResponse:
    """Record a measure on the case's timeline."""
    case = _get_case(request, pk)
    form = forms.MeasureForm(request.POST, prefix="measure")
    if form.is_valid():
        try:
            services.police_event_record(
                actor=request.user,
                case=case,
                date=form.cleaned_data["date"],
                type=form.cleaned_data["type"],
                detail=form.detail(),
            )
        except services.ServiceError as err:
            refusals.add_to_form(form, err, {"detail": form.detail_field()})
        else:
            return flash.to_panel(
                request,
                reverse("cases:detail", args=[case.pk]),
                "measure",
                recorded_text(form.cleaned_data["type"], form.cleaned_data["date"]),
            )
    context = _detail_context(request, case, measure_form=form)
    return render(request, "cases/detail.html", context, status=400)


@never_cache
@require_POST
def case_status(request: AuthedRequest, pk: int) -> HttpResponse:
    """Close or reopen the case on a date (an event on the timeline)."""
    case = _get_case(request, pk)
    form = forms.StatusForm(request.POST, prefix="status")
    if form.is_valid():
        try:
            services.police_event_record(
                actor=request.user,
                case=case,
                date=form.cleaned_data["date"],
                type=form.cleaned_data["type"],
                detail=form.cleaned_data["note"],
            )
        except services.ServiceError as err:
            refusals.add_to_form(form, err, {"detail": "note", "type": "date"})
        else:
            return flash.to_panel(
                request,
                reverse("cases:detail", args=[case.pk]),
                "status",
                recorded_text(form.cleaned_data["type"], form.cleaned_data["date"]),
            )
    context = _detail_context(request, case, status_form=form)
    return render(request, "cases/detail.html", context, status=400)


@never_cache
@require_POST
def event_correct(request: AuthedRequest, pk: int, event_pk: int) -> HttpResponse:
    """Void a mistaken event by recording a correction with a reason."""
    case = _get_case(request, pk)
    event = get_for_user(Event, request.user, event_pk, case=case)
    form = forms.CorrectForm(request.POST, prefix=f"correct{event.pk}")
    if form.is_valid():
        try:
            services.event_correct(
                actor=request.user, event=event, reason=form.cleaned_data["reason"]
            )
        except services.ServiceError as err:
            refusals.add_to_form(form, err, {"type": "reason"})
        else:
            return flash.to_panel(
                request,
                reverse("cases:detail", args=[case.pk]),
                "timeline",
                _("The record %(what)s (%(date)s) was corrected: it is struck through.")
                % {"what": labels.event_label(event.type), "date": event.date.isoformat()},
            )
    context = _detail_context(request, case, correct_forms={event.pk: form})
    return render(request, "cases/detail.html", context, status=400)


@never_cache
@require_POST
def victim_reveal(request: AuthedRequest, pk: int, person_pk: int) -> HttpResponse:
    """Reveal a victim's protected fields after a reason; the service audits it.

    Post/redirect/get: the result is shown at its own address (`victim_revealed`),
    so a reload neither posts again nor writes a second audit event."""
    case = _get_case(request, pk)
    person = get_for_user(Person, request.user, person_pk, case=case, role=Person.Role.VICTIM)
    # Step-up, reason and daily limit (cases.reveal); the service audits the reveal.
    outcome = reveal.run(
        request,
        f"reveal{person.pk}",
        reverse("cases:detail", args=[case.pk]) + f"#victim-{person.pk}",
        lambda reason: services.victim_reveal_recorded(
            actor=request.user, person=person, reason=reason
        ),
    )
    if outcome.stepup is not None:
        return outcome.stepup
    if outcome.fields is None:
        # never_cache (above) keeps the page out of every cache.
        context = _detail_context(request, case, reveal_forms={person.pk: outcome.form})
        return render(request, "cases/detail.html", context, status=400)
    reveal.remember(request, person, outcome.fields.audit_id)
    return redirect(reverse("cases:revealed", args=[case.pk, person.pk]) + f"#victim-{person.pk}")


@never_cache
def victim_revealed(request: AuthedRequest, pk: int, person_pk: int) -> HttpResponse:
    """The result of this session's reveal, shown again on a reload until it expires
    (`services.REVEAL_SHOWN_SECONDS`); writes nothing. Then the case page, masked."""
    case = _get_case(request, pk)
    person = get_for_user(Person, request.user, person_pk, case=case, role=Person.Role.VICTIM)
    fields = reveal.recalled(
        request,
        person,
        lambda audit_id: services.victim_revealed(
            actor=request.user, person=person, audit_id=audit_id
        ),
    )
    if fields is None:
        return flash.to_panel(
            request,
            reverse("cases:detail", args=[case.pk]),
            f"victim-{person.pk}",
            reveal.no_longer_shown(),
            level=messages.INFO,
        )
    context = _detail_context(request, case, revealed={person.pk: fields})
    return render(request, "cases/detail.html", context)


@never_cache
def case_open(request: AuthedRequest) -> HttpResponse:
    """A new case with its offender and one or more victims.

    "Add a victim" is a submit button: without JavaScript it re-renders the form
    with one more victim row; with htmx only the victims block is swapped.
    """
    _police_only(request)
    prefecture = request.user.prefecture
    assert prefecture is not None
    if request.method != "POST":
        form = forms.CaseOpenForm(
            prefecture=prefecture,
            initial={"opened_on": timezone.localdate(), "station": request.user.region},
        )
        victims = forms.VictimFormSet(prefix="victims")
        return render(request, "cases/new.html", {"form": form, "victims": victims})
    form = forms.CaseOpenForm(request.POST, prefecture=prefecture)
    victims = forms.VictimFormSet(request.POST, prefix="victims")
    if "add_victim" in request.POST:
        data = request.POST.copy()
        try:
            total = max(int(data.get("victims-TOTAL_FORMS") or 1), 1)
        except ValueError:
            total = 1
        data["victims-TOTAL_FORMS"] = str(min(total + 1, 20))
        victims = forms.VictimFormSet(data, prefix="victims")
        # Focus goes to the new row (its first field; the button's anchor scrolls to it).
        victims.forms[-1].fields["name"].widget.attrs["autofocus"] = True
        # The typed values come back; the template hides errors while adding.
        form = forms.CaseOpenForm(data, prefecture=prefecture)
        return render(
            request,
            "cases/new.html",
            {"form": form, "victims": victims, "adding": True},
        )
    if form.is_valid() and victims.is_valid():
        people = [form.offender()] + [
            v.person_data("victim") for v in victims.forms if v.has_content()
        ]
        try:
            case = services.case_open(
                actor=request.user,
                prefecture=prefecture,
                ref=form.cleaned_data["ref"],
                opened_on=form.cleaned_data["opened_on"],
                station=form.cleaned_data["station"],
                relationship=form.cleaned_data["relationship"],
                people=people,
                detail=form.cleaned_data["note"],
            )
        except services.ServiceError as err:
            refusals.add_to_form(form, err, {"detail": "note"})
        else:
            messages.success(
                request,
                _("Case %(ref)s was opened (%(date)s).")
                % {"ref": case.ref, "date": case.opened_on.isoformat()},
            )
            return redirect("cases:detail", case.pk)
    return render(request, "cases/new.html", {"form": form, "victims": victims}, status=400)


@never_cache
def person_add(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add an offender or a victim to an existing case."""
    case = _get_case(request, pk)
    # The link says which role ("Add a victim" / "Add an offender"); otherwise it is chosen.
    role = request.GET.get("role", "")
    form = forms.PersonAddForm(
        request.POST or None, initial={"role": role if role in Person.Role.values else ""}
    )
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_add(
                actor=request.user,
                case=case,
                data=form.person_data(form.cleaned_data["role"]),
            )
        except services.ServiceError as err:
            refusals.add_to_form(form, err)
        else:
            role = form.cleaned_data["role"]
            return flash.to_panel(
                request,
                reverse("cases:detail", args=[case.pk]),
                f"{role}-{person.pk}",
                _("The victim was added.")
                if role == Person.Role.VICTIM
                else _("The offender was added."),
            )
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/person_add.html", {"case": case, "form": form}, status=status)
