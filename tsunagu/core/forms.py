"""Forms of the core pages: the audit log's filters and the user screens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from tsunagu.core.models import Region, Role, User
from tsunagu.treatment.models import Clinic


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AuditFilterForm(forms.Form):
    """Filters of the audit log: action (prefix), user, date range."""

    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the range is before its start."))
        return data


class RegionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class ClinicChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class UserForm(forms.ModelForm):  # type: ignore[type-arg]
    """An account's role and where it belongs; checked for consistency."""

    class Meta:
        model = User
        fields = ["username", "last_name", "first_name", "role", "region", "clinic", "is_active"]
        field_classes = {"region": RegionChoiceField, "clinic": ClinicChoiceField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = Region.objects.order_by("code")
        clinic = self.fields["clinic"]
        assert isinstance(clinic, forms.ModelChoiceField)
        clinic.queryset = Clinic.objects.select_related("prefecture").order_by("code")
        self.fields["role"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, region, clinic = data.get("role"), data.get("region"), data.get("clinic")
        if role in (Role.OFFICER, Role.SUPERVISOR):
            if region is None or region.kind == Region.Kind.NATION:
                self.add_error("region", _("Police users belong to a prefecture or a station."))
            if clinic is not None:
                self.add_error("clinic", _("Only clinicians belong to a clinic."))
        elif role == Role.CLINICIAN:
            if clinic is None:
                self.add_error("clinic", _("A clinician belongs to a clinic."))
            if region is not None:
                self.add_error("region", _("A clinician belongs to a clinic, not a region."))
        elif role in (Role.ANALYST, Role.ADMIN):
            if clinic is not None:
                self.add_error("clinic", _("Only clinicians belong to a clinic."))
            if region is not None and region.kind != Region.Kind.NATION:
                self.add_error("region", _("Analysts and administrators work nationally."))
        return data


class PasswordForm(forms.Form):
    """A new password, typed twice, checked by the password validators."""

    password1 = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("New password (again)"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password2(self) -> str:
        one, two = self.cleaned_data.get("password1"), self.cleaned_data.get("password2", "")
        if one and one != two:
            raise forms.ValidationError(_("The two passwords differ."))
        password_validation.validate_password(two, self.user)
        return two


class UserCreateForm(UserForm):
    """A new account: the user form and a first password."""

    password1 = PasswordForm.base_fields["password1"]
    password2 = PasswordForm.base_fields["password2"]

    def clean_password2(self) -> str:
        one, two = self.cleaned_data.get("password1"), self.cleaned_data.get("password2", "")
        if one and one != two:
            raise forms.ValidationError(_("The two passwords differ."))
        password_validation.validate_password(
            two, User(username=self.cleaned_data.get("username", ""))
        )
        return two
