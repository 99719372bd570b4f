"""Forms of the case pages. They check input; the services check the rules.

A `ServiceError` raised by a service is put back on the form with
`cases.refusals.add_to_form`, next to the field it names, in the user's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tsunagu.cases import labels, services, timeline
from tsunagu.cases.filters import DateInput, relationship_choices
from tsunagu.cases.models import Person
from tsunagu.core import stepup
from tsunagu.core.models import Code, Region


def _not_future(day: dt.date | None) -> dt.date | None:
    if day is not None and day > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."))
    return day


SEX_CHOICES = labels.choices(labels.SEX_LABELS)
# Selects that feed the statistics start blank: a default would be counted as a
# fact nobody chose (DESIGN: 不明 is an answer, not a default).
BLANK = ("", _("— choose —"))


def required_select(label: Any, choices: Any, message: Any) -> forms.ChoiceField:
    """A select with a blank first option that must be chosen; `message` names it."""
    return forms.ChoiceField(
        label=label, choices=[BLANK, *choices], error_messages={"required": message}
    )


class PersonFields(forms.Form):
    """Fields common to an offender and a victim."""

    name = forms.CharField(label=pgettext_lazy("person", "Name"), required=False, max_length=200)
    sex = required_select(
        _("Sex"), SEX_CHOICES, _("Choose the sex (“Unknown” if it is not known).")
    )
    age = forms.IntegerField(label=_("Age"), required=False, min_value=0, max_value=120)
    address = forms.CharField(
        label=pgettext_lazy("person", "Address"), required=False, max_length=300
    )
    phone = forms.CharField(label=pgettext_lazy("person", "Phone"), required=False, max_length=40)

    def person_data(self, role: str) -> services.PersonData:
        data = self.cleaned_data
        return services.PersonData(
            role=role,
            name=data.get("name", "").strip(),
            sex=data.get("sex") or "unknown",
            age=data.get("age"),
            address=data.get("address", "").strip(),
            phone=data.get("phone", "").strip(),
            workplace=(data.get("workplace") or "").strip(),
        )


class VictimForm(PersonFields):
    workplace = forms.CharField(label=_("Workplace"), required=False, max_length=200)

    def has_content(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(k) for k in ("name", "address", "phone", "workplace", "age"))


class BaseVictimFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(f.has_content() for f in self.forms):
            raise forms.ValidationError(_("Enter at least one victim."))


VictimFormSet = forms.formset_factory(
    VictimForm, formset=BaseVictimFormSet, extra=0, min_num=1, max_num=20, validate_max=True
)


class CaseOpenForm(forms.Form):
    """A new case: where, when, the relationship, and the offender."""

    prefecture = forms.CharField(label=_("Prefecture"), disabled=True, required=False)
    station = forms.ModelChoiceField(
        label=_("Police station"), queryset=Region.objects.none(), required=False
    )
    ref = forms.CharField(label=_("Case reference"), max_length=64)
    opened_on = forms.DateField(label=_("Opened on (first consultation)"), widget=DateInput())
    relationship = required_select(
        _("Relationship to the victim"),
        [],
        _("Choose the relationship to the victim (“Unknown” if it is not known)."),
    )
    note = forms.CharField(
        label=_("Note on the consultation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    offender_name = forms.CharField(label=_("Offender's name"), required=False, max_length=200)
    offender_sex = required_select(
        _("Offender's sex"),
        SEX_CHOICES,
        _("Choose the offender's sex (“Unknown” if it is not known)."),
    )
    offender_age = forms.IntegerField(
        label=_("Offender's age"), required=False, min_value=0, max_value=120
    )
    offender_phone = forms.CharField(label=_("Offender's phone"), required=False, max_length=40)
    offender_address = forms.CharField(
        label=_("Offender's address"), required=False, max_length=300
    )

    def __init__(self, *args: Any, prefecture: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["prefecture"].initial = prefecture.name
        station = self.fields["station"]
        assert isinstance(station, forms.ModelChoiceField)
        station.queryset = Region.objects.filter(
            kind=Region.Kind.STATION, parent=prefecture
        ).order_by("code")
        relationship = self.fields["relationship"]
        assert isinstance(relationship, forms.ChoiceField)
        day = timezone.localdate()
        relationship.choices = [
            BLANK,
            *(
                [(c.code, c.label) for c in Code.objects.valid_on("relationship", day)]
                or relationship_choices()
            ),
        ]

    def clean_opened_on(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("opened_on"))

    def offender(self) -> services.PersonData:
        data = self.cleaned_data
        return services.PersonData(
            role="offender",
            name=data.get("offender_name", "").strip(),
            sex=data.get("offender_sex") or "unknown",
            age=data.get("offender_age"),
            phone=data.get("offender_phone", "").strip(),
            address=data.get("offender_address", "").strip(),
        )


class PersonAddForm(VictimForm):
    """Add an offender or a victim to an existing case."""

    role = required_select(
        pgettext_lazy("person", "Role"),
        Person.Role.choices,
        _("Choose whether the person is a victim or an offender."),
    )
    field_order = ["role", "name", "sex", "age", "address", "phone", "workplace"]


MEASURE_CHOICES = [(m, labels.EVENT_LABELS[m]) for m in timeline.MEASURES]


class MeasureForm(forms.Form):
    """Record a measure (相談, 警告, 禁止命令, 緊急禁止命令, 検挙, 援助) on a date."""

    type = forms.ChoiceField(label=_("Measure"), choices=MEASURE_CHOICES)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    arrest_kind = forms.ChoiceField(
        label=_("Kind of arrest"),
        required=False,
        choices=[("", "—"), *labels.choices(labels.ARREST_KIND_LABELS)],
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    # A refusal about the event's detail concerns the arrest kind or the note.
    def detail_field(self) -> str:
        return "arrest_kind" if self.cleaned_data.get("type") == "arrest" else "note"

    def clean_date(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("date"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("type") == "arrest":
            if not data.get("arrest_kind"):
                self.add_error("arrest_kind", _("Choose the kind of arrest."))
            if (data.get("note") or "").strip():
                self.add_error("note", _("An arrest records its kind only; leave the note empty."))
        elif data.get("arrest_kind"):
            self.add_error("arrest_kind", _("Only an arrest has a kind."))
        return data

    def detail(self) -> str:
        data = self.cleaned_data
        if data["type"] == "arrest":
            return str(data["arrest_kind"])
        return str(data.get("note") or "")


class StatusForm(forms.Form):
    """Close or reopen a case on a date."""

    type = forms.ChoiceField(
        label=_("Action"),
        choices=[
            ("case_closed", labels.EVENT_LABELS["case_closed"]),
            ("case_reopened", labels.EVENT_LABELS["case_reopened"]),
        ],
        widget=forms.HiddenInput,
    )
    date = forms.DateField(label=_("Date"), widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)

    def clean_date(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("date"))


class CorrectForm(forms.Form):
    """Void a mistaken event: the reason is required and audited."""

    reason = forms.CharField(label=_("Reason for the correction"), max_length=500)


class RevealForm(forms.Form):
    """Reveal a victim's protected fields: the reason is written to the audit log."""

    reason_category = stepup.category_field()
    reason = forms.CharField(
        label=_("Reason for revealing"),
        min_length=stepup.MIN_REASON_LENGTH,  # stated in the help text (core/wording.py)
        max_length=500,
        help_text=_("Written to the audit log with your name."),
    )

    def clean_reason(self) -> str:
        problem = stepup.validate_reason(self.cleaned_data["reason"])
        if problem:
            raise forms.ValidationError(problem)
        return str(self.cleaned_data["reason"])


class AsOfForm(forms.Form):
    """The date at which the case page derives the state from the timeline."""

    as_of = forms.DateField(label=_("State as of"), required=False, widget=DateInput())
