"""JSON API of the case registry, mounted at /api/v1/cases.

The same scoping as the pages (`Case.objects.visible_to`: 404 outside), the
same filter definition as the case list (`CaseFilterForm`), the same services
for writes. Bad input answers 422 with the field named in `loc`, in the shape
django-ninja uses for its own validation errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.utils.translation import gettext
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from tsunagu.cases import labels, refusals, services
from tsunagu.cases.filters import MEASURE_FILTER_KINDS, CaseFilterForm
from tsunagu.cases.models import RELATIONSHIPS, SEXES, Case, Event, Person
from tsunagu.cases.police import police_case
from tsunagu.core.access import get_for_user
from tsunagu.core.api import OneLineText, StrictDate, StrictIn, auth_for, police, responses
from tsunagu.core.models import Region

router = Router(tags=["cases"], auth=auth_for(police))

MASK = "●●●●"
MAX_PAGE_SIZE = 200


def _user(request: HttpRequest) -> Any:
    """The signed-in police user; every other role has no case data (404)."""
    user = request.user
    if not getattr(user, "is_police", False) or user.prefecture is None:  # type: ignore[union-attr]
        raise Http404
    return user


_invalid = refusals.unprocessable


In = StrictIn


class CaseSummary(Schema):
    id: int
    ref: str
    prefecture: str
    station: str | None
    opened_on: dt.date
    relationship: str
    latest_measure: str
    latest_measure_on: dt.date | None
    is_open: bool


class CasePage(Schema):
    count: int
    page: int
    pages: int
    results: list[CaseSummary]


class PersonOut(Schema):
    id: int
    role: Literal[tuple(Person.Role.values)]  # type: ignore[valid-type]
    name: str
    sex: str
    age: int | None
    address: str
    phone: str
    workplace: str
    masked: bool


class CaseEventOut(Schema):
    id: int
    date: dt.date
    type: str
    label: str
    detail: str
    voided: bool
    recorded_by: str | None


class CaseDetail(CaseSummary):
    people: list[PersonOut]
    events: list[CaseEventOut]


class CaseFilters(In):
    q: str = ""
    station: str = ""
    opened_from: str = ""
    opened_to: str = ""
    relationship: str = ""
    latest_measure: str = ""
    status: Literal["", "open", "closed"] = ""
    measure: Literal[("", *MEASURE_FILTER_KINDS)] = ""  # type: ignore[valid-type]
    measure_detail: str = ""
    measure_from: str = ""
    measure_to: str = ""
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


# The same length limits as the web forms (tsunagu/cases/forms.py).
class PersonIn(In):
    name: OneLineText = Field("", max_length=200)
    sex: Literal[SEXES] = "unknown"  # type: ignore[valid-type]
    age: int | None = Field(None, ge=0, le=120)
    address: str = Field("", max_length=300)
    phone: str = Field("", max_length=40)
    workplace: str = Field("", max_length=200)


class CaseOpenIn(In):
    ref: OneLineText = Field(max_length=64)
    opened_on: StrictDate
    prefecture: str | None = Field(
        None, max_length=2, description="JIS code; must be the user's own"
    )
    station: OneLineText | None = Field(
        None, max_length=32, description="station code, e.g. 13-003"
    )
    relationship: Literal[RELATIONSHIPS] = "unknown"  # type: ignore[valid-type]
    note: str = Field("", max_length=2000)
    offender: PersonIn | None = None
    victims: list[PersonIn] = Field(default_factory=list, max_length=20)


class EventIn(In):
    date: StrictDate
    type: Literal[services.POLICE_RECORDABLE]  # type: ignore[valid-type]
    detail: str = Field("", max_length=2000)


class CorrectionIn(In):
    reason: str = Field(max_length=500)


def _summary(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "ref": case.ref,
        "prefecture": case.prefecture.code,
        "station": case.station.code if case.station else None,
        "opened_on": case.opened_on,
        "relationship": case.relationship,
        "latest_measure": case.latest_measure,
        "latest_measure_on": case.latest_measure_on,
        "is_open": case.is_open,
    }


def _person(person: Person) -> dict[str, Any]:
    masked = person.role == Person.Role.VICTIM
    out: dict[str, Any] = {
        "id": person.pk,
        "role": person.role,
        "sex": person.sex,
        "age": person.age,
        "masked": masked,
    }
    for name in Person.PROTECTED_FIELDS:
        value = getattr(person, name)
        out[name] = (MASK if value else "") if masked else value
    return out


def _detail(case: Case) -> dict[str, Any]:
    case = (
        Case.objects.select_related("prefecture", "station")
        .prefetch_related(
            Prefetch(
                "events", queryset=Event.objects.in_timeline_order().select_related("recorded_by")
            ),
            "people",
        )
        .get(pk=case.pk)
    )
    view = police_case(case.events.all())
    return {
        **_summary(case),
        "people": [_person(p) for p in case.people.all()],
        "events": [
            {
                "id": row.event.pk,
                "date": row.event.date,
                "type": row.event.type,
                "label": row.label,
                "detail": row.event.detail,
                "voided": row.voided,
                "recorded_by": row.event.recorded_by.username if row.event.recorded_by else None,
            }
            for row in view.rows
        ],
    }


@router.get("/", response=responses(CasePage))
def cases_list(request: HttpRequest, filters: Query[CaseFilters]) -> dict[str, Any]:
    """The user's cases, filtered like the case list page."""
    user = _user(request)
    data = filters.dict()
    form = CaseFilterForm(
        {k: v for k, v in data.items() if k not in ("page", "page_size") and v},
        prefecture=user.prefecture,
    )
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        raise _invalid(field, str(errors[0]), "query")
    cases = form.filter(Case.objects.visible_to(user)).select_related("prefecture", "station")
    paginator = Paginator(cases, filters.page_size)
    if filters.page > max(paginator.num_pages, 1):
        raise _invalid("page", gettext("No such page."), "query")
    page = paginator.page(filters.page)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "results": [_summary(c) for c in page.object_list],
    }


@router.get("/{case_id}", response=responses(CaseDetail))
def cases_detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """One case with its people (victims' protected fields masked) and its timeline."""
    case = get_for_user(Case, _user(request), case_id)
    return _detail(case)


@router.post("/", response=responses(CaseDetail, 201, 409))
def cases_open(request: HttpRequest, payload: CaseOpenIn) -> Status[dict[str, Any]]:
    """Open a case in the user's prefecture, with its offender and victims."""
    user = _user(request)
    prefecture = user.prefecture
    if payload.prefecture and payload.prefecture != prefecture.code:
        raise _invalid("prefecture", gettext("You can open cases only in your own prefecture."))
    station = None
    if payload.station:
        station = Region.objects.filter(
            code=payload.station, kind=Region.Kind.STATION, parent=prefecture
        ).first()
        if station is None:
            raise _invalid("station", gettext("The station is not in this prefecture."))
    people = []
    if payload.offender:
        people.append(services.PersonData(role="offender", **payload.offender.dict()))
    people += [services.PersonData(role="victim", **v.dict()) for v in payload.victims]
    try:
        case = services.case_open(
            actor=user,
            prefecture=prefecture,
            ref=payload.ref,
            opened_on=payload.opened_on,
            station=station,
            relationship=payload.relationship,
            people=people,
            detail=payload.note,
        )
    except services.ServiceError as err:
        raise refusals.as_422(err) from err
    return Status(201, _detail(case))


@router.post("/{case_id}/events", response=responses(CaseEventOut, 201, 409))
def cases_event_record(
    request: HttpRequest, case_id: int, payload: EventIn
) -> Status[dict[str, Any]]:
    """Record a measure, or close or reopen the case."""
    user = _user(request)
    case = get_for_user(Case, user, case_id)
    try:
        event = services.police_event_record(
            actor=user, case=case, date=payload.date, type=payload.type, detail=payload.detail
        )
    except services.ServiceError as err:
        raise refusals.as_422(err) from err
    return Status(201, _event(event, user))


@router.post("/{case_id}/events/{event_id}/correct", response=responses(CaseEventOut, 201, 409))
def cases_event_correct(
    request: HttpRequest, case_id: int, event_id: int, payload: CorrectionIn
) -> Status[dict[str, Any]]:
    """Void a mistaken event by recording a correction with a reason."""
    user = _user(request)
    case = get_for_user(Case, user, case_id)
    event = get_for_user(Event, user, event_id, case=case)
    try:
        correction = services.event_correct(actor=user, event=event, reason=payload.reason)
    except services.ServiceError as err:
        raise refusals.as_422(err) from err
    return Status(201, _event(correction, user))


def _event(event: Event, user: Any) -> dict[str, Any]:
    return {
        "id": event.pk,
        "date": event.date,
        "type": event.type,
        "label": labels.event_label(event.type),
        "detail": event.detail,
        "voided": False,
        "recorded_by": user.username,
    }
