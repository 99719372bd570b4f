"""Clinics in the JSON API (mounted under /api/v1/treatment): the prefecture's
directory for the police, its upkeep for the supervisor (POST adds, PUT replaces
with every field, PATCH changes the fields sent)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from tsunagu.cases import refusals
from tsunagu.core.access import get_for_user
from tsunagu.core.api import OneLineText, StrictIn, auth_for, paged, police, responses, supervisor
from tsunagu.core.models import Region, User
from tsunagu.treatment import directory
from tsunagu.treatment.models import FEE_NOTES_MAX_LENGTH, MAX_MONTHLY_CAPACITY, Clinic

router = Router(tags=["treatment"])
_run = refusals.run


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class ClinicOut(Schema):
    id: int
    code: str
    prefecture: str
    name: str
    kind: str
    specialties: str
    address: str
    contact_person: str
    phone: str
    languages: str
    fee_notes: str
    monthly_capacity: int
    accepting: bool
    load_this_month: int
    nearest_stations: list[str]


# A code or a choice sent as text (a reason, a method): longer is never valid.CODE_MAX_LENGTH = 40


# A code or a choice sent as text (a reason, a method): longer is never valid.
CODE_MAX_LENGTH = 40

# Input: bounded as the web forms bound it (max lengths), no control character.
TextIn = StrictIn


class ClinicIn(TextIn):
    # The same bounds as the clinic form (the model's max lengths, forms.ClinicForm).
    code: OneLineText = Field(max_length=32)
    name: OneLineText = Field(max_length=200)
    kind: Literal["hospital", "clinic", "counselling"] = "clinic"
    specialties: str = Field("", max_length=300)
    address: str = Field("", max_length=300)
    contact_person: str = Field("", max_length=100)
    phone: str = Field("", max_length=40)
    languages: str = Field("ja", max_length=100)
    fee_notes: str = Field("", max_length=FEE_NOTES_MAX_LENGTH)
    monthly_capacity: int = Field(4, ge=0, le=MAX_MONTHLY_CAPACITY)
    accepting: bool = True
    nearest_stations: list[Annotated[str, Field(max_length=CODE_MAX_LENGTH)]] = Field(
        [], max_length=500
    )


def _clinic_variant(name: str, *, required: bool) -> type[TextIn]:
    """ClinicIn with every field required (PUT replaces) or optional (PATCH)."""
    fields: dict[str, Any] = {}
    for field, info in ClinicIn.model_fields.items():
        copy = FieldInfo.merge_field_infos(info)
        copy.default = PydanticUndefined if required else None
        copy.default_factory = None
        annotation = info.annotation if required else info.annotation | None  # type: ignore[operator]
        fields[field] = (annotation, copy)
    model = create_model(name, __base__=TextIn, **fields)
    return cast(type[TextIn], model)


ClinicPut = _clinic_variant("ClinicPut", required=True)
ClinicPatch = _clinic_variant("ClinicPatch", required=False)


class ClinicPage(Schema):
    count: int
    page: int
    pages: int
    results: list[ClinicOut]


def _clinic_out(clinic: Clinic) -> dict[str, Any]:
    return {
        "id": clinic.pk,
        "code": clinic.code,
        "prefecture": clinic.prefecture.code,
        "name": clinic.name,
        "kind": clinic.kind,
        "specialties": clinic.specialties,
        "address": clinic.address,
        "contact_person": clinic.contact_person,
        "phone": clinic.phone,
        "languages": clinic.languages,
        "fee_notes": clinic.fee_notes,
        "monthly_capacity": clinic.monthly_capacity,
        "accepting": clinic.accepting,
        "load_this_month": getattr(clinic, "load", 0),
        "nearest_stations": [s.code for s in clinic.nearest_stations.all()],
    }


def _police(request: HttpRequest) -> User:
    user = _user(request)
    if not user.is_police:
        raise Http404
    return user


def _supervisor(request: HttpRequest) -> User:
    user = _user(request)
    if not user.is_supervisor or user.prefecture is None:
        raise Http404
    return user


# --- clinics ------------------------------------------------------------------------


@router.get("/clinics", response=responses(ClinicPage), auth=auth_for(police))
def treatment_clinics(request: HttpRequest, page: int = 1) -> dict[str, Any]:
    """The prefecture's cooperating clinics with this month's load (police),
    50 a page with the total (`count`)."""
    user = _police(request)
    clinics = (
        Clinic.objects.visible_to(user)
        .with_load()
        .select_related("prefecture")
        .prefetch_related("nearest_stations")
        .order_by("code", "pk")
    )
    return paged(clinics, page, _clinic_out)


@router.get("/clinics/{clinic_id}", response=responses(ClinicOut), auth=auth_for(police))
def treatment_clinic(request: HttpRequest, clinic_id: int) -> dict[str, Any]:
    user = _police(request)
    get_for_user(Clinic, user, clinic_id)
    clinic = get_object_or_404(
        Clinic.objects.with_load().select_related("prefecture"), pk=clinic_id
    )
    return _clinic_out(clinic)


def _stations(user: User, codes: list[str]) -> list[Region]:
    stations = list(Region.objects.filter(code__in=codes, parent_id=user.prefecture_id))
    if len(stations) != len(set(codes)):
        raise refusals.unprocessable(
            "nearest_stations", gettext("Unknown station of this prefecture.")
        )
    return stations


def _clinic_fill(clinic: Clinic, payload: ClinicIn) -> None:
    # The bounds are the schema's; a code change is refused by directory.clinic_save.
    for name in ("code", *directory.CLINIC_FIELDS):
        setattr(clinic, name, getattr(payload, name))


@router.post("/clinics", response=responses(ClinicOut, 201, 409), auth=auth_for(supervisor))
def treatment_clinic_create(request: HttpRequest, payload: ClinicIn) -> Status[dict[str, Any]]:
    """Add a clinic to the supervisor's prefecture."""
    user = _supervisor(request)
    clinic = Clinic(prefecture=user.prefecture)
    _clinic_fill(clinic, payload)
    stations = _stations(user, payload.nearest_stations)
    _run(directory.clinic_save, actor=user, clinic=clinic, stations=stations)
    return Status(201, _clinic_out(Clinic.objects.with_load().get(pk=clinic.pk)))


@router.put(
    "/clinics/{clinic_id}/edit", response=responses(ClinicOut, 200, 409), auth=auth_for(supervisor)
)
def treatment_clinic_replace(
    request: HttpRequest,
    clinic_id: int,
    payload: ClinicPut,  # type: ignore[valid-type]
) -> dict[str, Any]:
    """Replace a clinic of the supervisor's prefecture: every field is required."""
    return _clinic_change(request, clinic_id, payload.dict())  # type: ignore[attr-defined]


@router.patch(
    "/clinics/{clinic_id}/edit", response=responses(ClinicOut, 200, 409), auth=auth_for(supervisor)
)
def treatment_clinic_update(
    request: HttpRequest,
    clinic_id: int,
    payload: ClinicPatch,  # type: ignore[valid-type]
) -> dict[str, Any]:
    """Change some fields of a clinic of the supervisor's prefecture (the others stay)."""
    sent = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}  # type: ignore[attr-defined]
    return _clinic_change(request, clinic_id, sent)


def _clinic_change(request: HttpRequest, clinic_id: int, values: dict[str, Any]) -> dict[str, Any]:
    user = _supervisor(request)
    clinic = get_for_user(Clinic, user, clinic_id)
    for name in ("code", *directory.CLINIC_FIELDS):
        if name in values:
            setattr(clinic, name, values[name])
    if "nearest_stations" in values:
        stations = _stations(user, values["nearest_stations"])
    else:
        stations = list(clinic.nearest_stations.all())
    _run(directory.clinic_save, actor=user, clinic=clinic, stations=stations)
    return _clinic_out(Clinic.objects.with_load().get(pk=clinic.pk))
