"""Forms of the core pages: the audit log's filters and the user screens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from tsunagu.core import affiliations, audit_actions
from tsunagu.core.models import Region, Role, User


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class AuditFilterForm(forms.Form):
    """Filters of the audit log: action (one, or a family), user, date range."""

    action = forms.ChoiceField(label=_("Action"), required=False)
    user = forms.CharField(label=_("User"), required=False, max_length=150)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)
        action.choices = audit_actions.filter_choices(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the range is before its start."))
        return data


class SignInForm(AuthenticationForm):
    """The password step, with one plain message for a failed sign-in: it does not say
    which of the two was wrong (no user enumeration), nor talk of "fields"."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The user name or the password is wrong."),
    }


class RegionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class UserForm(forms.ModelForm):  # type: ignore[type-arg]
    """An account's role and where it belongs; checked for consistency.

    Places declared by other apps (a clinician's clinic) are added as fields
    from `core.affiliations`, so this form names no other app.
    """

    class Meta:
        model = User
        fields = ["username", "last_name", "first_name", "role", "region", "is_active"]
        field_classes = {"region": RegionChoiceField}
        # Django's own help text opens with 「この項目は必須です。」: the rule, said once.
        help_texts = {
            "username": _("Letters, digits and @ . + - _ only; at most 150 characters."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = Region.objects.order_by("code")
        self.fields["role"].required = True
        for affiliation in affiliations.all_affiliations():
            self.fields[affiliation.name] = affiliation.form_field()
            if self.instance.pk:
                self.initial[affiliation.name] = affiliation.of(self.instance)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role, region = data.get("role"), data.get("region")
        places = {a.name: (a, data.get(a.name)) for a in affiliations.all_affiliations()}
        for name, (affiliation, value) in places.items():
            if role == affiliation.role and value is None:
                self.add_error(name, _("A clinician belongs to a clinic."))
            elif role != affiliation.role and value is not None:
                self.add_error(name, _("Only clinicians belong to a clinic."))
        if role in (Role.OFFICER, Role.SUPERVISOR):
            if region is None or region.kind == Region.Kind.NATION:
                self.add_error("region", _("Police users belong to a prefecture or a station."))
        elif role == Role.CLINICIAN:
            if region is not None:
                self.add_error("region", _("A clinician belongs to a clinic, not a region."))
        elif role in (Role.ANALYST, Role.ADMIN):
            if region is not None and region.kind != Region.Kind.NATION:
                self.add_error("region", _("Analysts and administrators work nationally."))
        return data


class UserCreateForm(UserForm):
    """A new account. No password: a temporary one is generated and shown once to
    whoever approves the account, so the administrator never knows a working one."""

    class Meta(UserForm.Meta):
        fields = ["username", "last_name", "first_name", "role", "region"]


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


class OwnPasswordForm(PasswordForm):
    """The signed-in user's new password: the current one first, then the new one
    twice. It must differ from the current (a temporary password is replaced)."""

    field_order = ["current", "password1", "password2"]

    current = forms.CharField(
        label=_("Current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_current(self) -> str:
        current: str = self.cleaned_data.get("current", "")
        if self.user is None or not self.user.check_password(current):
            raise forms.ValidationError(_("The current password is not correct."))
        return current

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("current") and data.get("current") == data.get("password2"):
            self.add_error("password2", _("Choose a password different from the current one."))
        return data
