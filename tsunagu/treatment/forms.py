"""Forms of the treatment loop. Choices are codes; the services check them again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core import validators
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tsunagu.cases.labels import ARREST_KIND_LABELS, RECURRENCE_KIND_LABELS, REJECTION_REASON_LABELS
from tsunagu.cases.models import Case
from tsunagu.core.models import Code, Region, Role, User
from tsunagu.treatment import derive, directory
from tsunagu.treatment.models import (
    FEE_NOTES_MAX_LENGTH,
    MAX_MONTHLY_CAPACITY,
    SUMMARY_MAX_LENGTH,
    Clinic,
    FollowUpPolicy,
)

ADVICE_METHOD_LABELS = {
    "in_person": _("In person"),
    "phone": _("By phone"),
    "leaflet": _("With a leaflet"),
}
CONSENT_METHOD_LABELS = {"written": _("In writing"), "verbal": _("Verbally")}
CONSENT_DIRECTION_LABELS = {
    derive.POLICE_TO_CLINIC: _("Police may inform the clinic"),
    derive.CLINIC_TO_POLICE: _("Clinic may inform the police"),
}
RESPONSE_LABELS = {
    "accepted": _("Accepted"),
    "rejected": _("Rejected"),
    "undecided": _("Undecided"),
}
SIGN_LABELS = {
    "contact_report": _("New contact report"),
    "warning": _("Warning"),
    "prohibition_order": _("Prohibition order"),
    "arrest": _("Arrest"),
}
CONDITION_LABELS = {
    "no_contact": _("No-contact condition"),
    "prohibition_order": _("Prohibition order"),
    "probation": _("Probation condition"),
}
HALT_REASON_LABELS = {
    "stopped_attending": _("Stopped attending"),
    "refused_to_continue": _("Refused to continue"),
    "moved": _("Moved away"),
    "detained": _("Detained"),
    "other": _("Other"),
}
# The clinician's steps on a referral (`loop.CLINIC_ACTIONS`), as their buttons say them.
CLINIC_ACTION_LABELS = {
    "acknowledge": _("Acknowledge the referral"),
    "schedule": _("Set the appointment"),
    "not_needed": _("Assessed: no treatment needed"),
    "start": _("Treatment started"),
    "session": _("Session attended"),
    "complete": _("Treatment completed"),
    "halt": _("Treatment halted"),
}


def _user_label(user: Any) -> str:
    return str(user.display_name)


def _today() -> dt.date:
    return timezone.localdate()


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def date_field(label: Any, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=DateInput())


class DatedForm(forms.Form):
    date = date_field(_("Date"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("date", _today())
        super().__init__(*args, **kwargs)

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        if day > _today():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day


class AdviceForm(DatedForm):
    method = forms.ChoiceField(label=_("How"), choices=list(ADVICE_METHOD_LABELS.items()))
    advised_by = forms.ModelChoiceField(label=_("Advised by"), queryset=User.objects.none())

    def __init__(self, *args: Any, case: Case, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("advised_by", user.pk)
        super().__init__(*args, **kwargs)
        field = self.fields["advised_by"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(
            Q(region_id=case.prefecture_id) | Q(region__parent_id=case.prefecture_id),
            role__in=(Role.OFFICER, Role.SUPERVISOR),
            is_active=True,
        ).order_by("last_name", "username")
        field.label_from_instance = _user_label  # type: ignore[method-assign,assignment]


class ResponseForm(DatedForm):
    response = forms.ChoiceField(label=_("Response"), choices=list(RESPONSE_LABELS.items()))
    reason = forms.ChoiceField(
        label=_("Reason for the rejection"),
        required=False,
        choices=[("", "—"), *REJECTION_REASON_LABELS.items()],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("response") == "rejected" and not data.get("reason"):
            self.add_error("reason", _("Choose the reason for the rejection."))
        return data


class ClinicConsentForm(DatedForm):
    """The clinic's record of the clinic-to-police consent (its only direction)."""

    given = forms.TypedChoiceField(
        label=_("Clinic may inform the police"),
        choices=[("1", _("Given")), ("0", _("Withdrawn"))],
        coerce=lambda v: v == "1",
    )
    method = forms.ChoiceField(
        label=_("How it was given"),
        required=False,
        choices=[("", "—"), *CONSENT_METHOD_LABELS.items()],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("given") and not data.get("method"):
            self.add_error("method", _("Say how the consent was given."))
        return data


class ConsentForm(ClinicConsentForm):
    """The police's record of either consent: the clinic's form plus a direction."""

    field_order = ["date", "direction", "given", "method"]

    direction = forms.ChoiceField(
        label=_("Consent"), choices=list(CONSENT_DIRECTION_LABELS.items())
    )
    given = forms.TypedChoiceField(
        label=_("Given or withdrawn"),
        choices=[("1", _("Given")), ("0", _("Withdrawn"))],
        coerce=lambda v: v == "1",
    )


class ReferralForm(DatedForm):
    clinic = forms.ModelChoiceField(
        label=_("Clinic"), queryset=Clinic.objects.none(), widget=forms.RadioSelect
    )
    summary = forms.CharField(
        label=_("Summary for the clinic"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=SUMMARY_MAX_LENGTH,
        help_text=_(
            "Only what the clinic needs: the offender's situation and the advice given. "
            "Never anything about the victim."
        ),
    )

    def __init__(self, *args: Any, clinics: QuerySet[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["clinic"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = clinics


class RecurrenceForm(DatedForm):
    victim = forms.ChoiceField(label=_("Victim"), choices=list(RECURRENCE_KIND_LABELS.items()))
    sign = forms.ChoiceField(label=_("Sign"), choices=list(SIGN_LABELS.items()))
    arrest_kind = forms.ChoiceField(
        label=_("Kind of arrest"),
        required=False,
        choices=[("", "—"), *ARREST_KIND_LABELS.items()],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("sign") == "arrest" and not data.get("arrest_kind"):
            self.add_error("arrest_kind", _("Choose the kind of arrest."))
        return data


class ConditionForm(DatedForm):
    kind = forms.ChoiceField(label=_("Condition"), choices=list(CONDITION_LABELS.items()))
    expires_on = date_field(_("Expires on"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date"), data.get("expires_on")
        if start and end and end < start:
            self.add_error("expires_on", _("The expiry is before the start."))
        return data


class ConditionEndForm(DatedForm):
    kind = forms.ChoiceField(label=_("Condition"), choices=list(CONDITION_LABELS.items()))


class FollowUpPlanForm(forms.Form):
    source_type = forms.CharField(widget=forms.HiddenInput)
    source_date = forms.DateField(widget=forms.HiddenInput)
    offset_days = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    due_on = date_field(_("Due on"))


class FollowUpDoneForm(DatedForm):
    outcome = forms.CharField(label=_("Outcome"), max_length=200, required=False)


class ClinicActionForm(DatedForm):
    appointment_on = date_field(_("Appointment date"), required=False)
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[("", "—"), *HALT_REASON_LABELS.items()]
    )
    confirm = forms.BooleanField(
        label=_("I have checked: this is a final step and ends the referral at the clinic."),
        required=False,
    )

    def __init__(self, *args: Any, action: str, final: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        if final:
            # A final step asks for a confirmation, checked here (not only in the browser).
            self.fields["confirm"].required = True
            self.fields["confirm"].error_messages["required"] = _(
                "Tick “I have checked” to record this final step."
            )
        else:
            del self.fields["confirm"]
        if action != "schedule":
            del self.fields["appointment_on"]
        else:
            self.fields["appointment_on"].required = True
        if action != "halt":
            del self.fields["reason"]
        else:
            self.fields["reason"].required = True
            reason = self.fields["reason"]
            assert isinstance(reason, forms.ChoiceField)
            codes = Code.objects.valid_on("halt_reason")
            if codes:
                reason.choices = [("", "—"), *((c.code, c.label) for c in codes)]


class ClinicForm(forms.ModelForm):
    class Meta:
        model = Clinic
        fields = [
            "code",
            "name",
            "kind",
            "specialties",
            "address",
            "contact_person",
            "phone",
            "languages",
            "fee_notes",
            "monthly_capacity",
            "accepting",
            "nearest_stations",
        ]
        widgets = {"nearest_stations": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, prefecture: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["nearest_stations"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Region.objects.filter(parent=prefecture, kind=Region.Kind.STATION)
        field.required = False
        capacity = self.fields["monthly_capacity"]
        assert isinstance(capacity, forms.IntegerField)
        capacity.max_value = MAX_MONTHLY_CAPACITY
        capacity.validators.append(validators.MaxValueValidator(MAX_MONTHLY_CAPACITY))
        capacity.widget.attrs["max"] = str(MAX_MONTHLY_CAPACITY)
        notes = self.fields["fee_notes"]
        assert isinstance(notes, forms.CharField)
        notes.max_length = FEE_NOTES_MAX_LENGTH
        notes.validators.append(validators.MaxLengthValidator(FEE_NOTES_MAX_LENGTH))
        notes.widget.attrs["maxlength"] = str(FEE_NOTES_MAX_LENGTH)
        if self.instance.pk and directory.clinic_code_in_use(self.instance.code):
            # Referrals and timeline events name the clinic by its code (directory.clinic_save).
            self.fields["code"].widget.attrs["readonly"] = "readonly"
            self.fields["code"].help_text = _(
                "Referrals refer to the clinic by this code: it can no longer change."
            )


class AttachForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Clinician account"), queryset=User.objects.none())

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            User.objects.filter(role=Role.CLINICIAN, is_active=True)
            .filter(
                Q(clinic_staff__isnull=True)
                | Q(clinic_staff__clinic__prefecture_id=clinic.prefecture_id)
            )
            .exclude(clinic_staff__clinic=clinic)
            .order_by("username")
        )


class NewClinicianForm(forms.Form):
    username = forms.SlugField(label=_("User name"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=100, required=False)


class IntervalsForm(forms.Form):
    def __init__(self, *args: Any, current: dict[str, list[int]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for trigger, label in FollowUpPolicy.Trigger.choices:
            self.fields[trigger] = forms.CharField(
                label=label,
                required=False,
                max_length=100,
                initial=", ".join(str(d) for d in current.get(trigger, [])),
                help_text=_("Days, separated by commas (e.g. 30, 90); empty for none."),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for trigger in FollowUpPolicy.Trigger.values:
            try:
                derive.parse_days(data.get(trigger) or "")
            except ValueError:
                self.add_error(
                    trigger, _("Write whole days between 1 and 730, separated by commas.")
                )
        return data
