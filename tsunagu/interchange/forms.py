"""Forms of the supervisor's import and export pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tsunagu.core import stepup
from tsunagu.interchange import uploads


class UploadForm(forms.Form):
    """Either the two CSV files or one XLSX workbook."""

    cases_file = forms.FileField(label=_("cases.csv"), required=False)
    events_file = forms.FileField(label=_("events.csv"), required=False)
    assessments_file = forms.FileField(
        label=_("assessments.csv (optional: risk assessments)"), required=False
    )
    workbook = forms.FileField(
        label=_(
            "or one Excel workbook (.xlsx) with sheets “cases” and “events” "
            "(and optionally “assessments”)"
        ),
        required=False,
    )
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        required=False,
        choices=[
            ("", _("Detect (UTF-8 or Shift_JIS)")),
            ("utf-8-sig", "UTF-8"),
            ("cp932", "Shift_JIS (cp932)"),
        ],
    )

    own_only = forms.BooleanField(
        label=_("Import only the rows of my prefecture (skip the rows of others)"),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("cases_file", "events_file", "assessments_file", "workbook"):
            refusal = uploads.too_large(data[name]) if data.get(name) else None
            if refusal:
                self.add_error(name, refusal)
        cases, events, book = data.get("cases_file"), data.get("events_file"), data.get("workbook")
        if book:
            if cases or events or data.get("assessments_file"):
                raise forms.ValidationError(_("Give either the two CSV files or one workbook."))
            if not book.name.lower().endswith(".xlsx"):
                self.add_error("workbook", _("The workbook must be an .xlsx file."))
        else:
            if not cases:
                self.add_error("cases_file", _("Choose cases.csv (or a workbook)."))
            if not events:
                self.add_error("events_file", _("Choose events.csv (or a workbook)."))
        return data


class ConfirmForm(forms.Form):
    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    create_stations = forms.BooleanField(label=_("Create these police stations"), required=False)


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(
        label=_("Format"),
        choices=[("csv", _("CSV (two files in a .zip)")), ("xlsx", _("Excel workbook (.xlsx)"))],
        initial="csv",
    )
    include_personal = forms.BooleanField(
        label=_("Include personal columns (names, victim address and phone)"), required=False
    )
    reason_category = stepup.category_field(required=False)
    reason = forms.CharField(
        label=_("Reason (required for personal columns; written to the audit log)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("include_personal") and len((data.get("reason") or "").strip()) < 5:
            self.add_error(
                "reason", _("Give the reason for exporting personal data (at least 5 characters).")
            )
        elif data.get("include_personal"):
            # Step-up rules (core.stepup): a purpose and a real reason.
            problem = stepup.validate_reason(data.get("reason") or "")
            if problem:
                self.add_error("reason", problem)
            if not data.get("reason_category"):
                self.add_error("reason_category", stepup.PURPOSE_MISSING)
        return data
