"""The assessment form, built from the instrument's definition."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tsunagu.risk import summary
from tsunagu.risk.models import Instrument, wording
from tsunagu.risk.services import SCENARIO_FIELDS, ActionData, AssessmentData

ACTION_ROWS = 3
SCENARIO_LABELS = {
    "what": _("Scenario: what might happen"),
    "how_serious": _("Scenario: how serious"),
    "how_soon": _("Scenario: how soon"),
}


MAX_INSTRUMENT_BYTES = 1_000_000


class InstrumentUploadForm(forms.Form):
    file = forms.FileField(label=_("Instrument file (JSON or YAML)"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_INSTRUMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        return upload


class ReviewForm(forms.Form):
    """A new review date for an assessment (the service refuses a past one)."""

    review_on = forms.DateField(
        label=_("Next review"), widget=forms.DateInput(attrs={"type": "date"})
    )


class AssessmentForm(forms.Form):
    date = forms.DateField(
        label=_("Date of the assessment"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        definition = instrument.definition
        self.sections: list[tuple[str, list[tuple[str, str, str]]]] = []
        for section in definition["sections"]:
            rows = []
            for item in section["items"]:
                name = f"item_{item['id']}"
                choices = [("", "—")] + [
                    (o["value"], wording(o["label"])) for o in definition["scales"][item["scale"]]
                ]
                # Checked by the service, which names the item; the form only collects.
                self.fields[name] = forms.ChoiceField(
                    label=wording(item["text"]), choices=choices, required=False
                )
                self.fields[f"note_{item['id']}"] = forms.CharField(
                    label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 1})
                )
                rows.append((name, f"note_{item['id']}", item["answered_by"]))
            self.sections.append((wording(section["title"]), rows))
        kind = definition["summary"]["kind"]
        if kind != "count":
            levels = [(lv["code"], wording(lv["label"])) for lv in instrument.levels()]
            self.fields["level"] = forms.ChoiceField(
                label=_("Level"), choices=[("", "—"), *levels], required=False
            )
            self.fields["rationale"] = forms.CharField(
                label=_("Rationale"), required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
        if definition["summary"].get("scenarios"):
            for key in SCENARIO_FIELDS:
                self.fields[f"scenario_{key}"] = forms.CharField(
                    label=SCENARIO_LABELS[key], required=False
                )
        self.action_rows: list[tuple[str, str, str]] = []
        if definition["summary"].get("plan"):
            for i in range(ACTION_ROWS):
                self.fields[f"action_{i}"] = forms.CharField(label=_("Action"), required=False)
                self.fields[f"owner_{i}"] = forms.CharField(
                    label=_("Owner"), required=False, max_length=100
                )
                self.fields[f"due_{i}"] = forms.DateField(
                    label=_("Due on"),
                    required=False,
                    widget=forms.DateInput(attrs={"type": "date"}),
                )
                self.action_rows.append((f"action_{i}", f"owner_{i}", f"due_{i}"))
        self.fields["review_on"] = forms.DateField(
            label=_("Next review"), required=False, widget=forms.DateInput(attrs={"type": "date"})
        )

    def data_for_service(self) -> AssessmentData:
        d = self.cleaned_data
        answers = {}
        for item in self.instrument.items():
            rating = d.get(f"item_{item['id']}") or ""
            note = d.get(f"note_{item['id']}") or ""
            if rating or note:
                answers[item["id"]] = summary.Answer(rating, note)
        actions = [
            ActionData(d.get(a) or "", d.get(o) or "", d.get(due))
            for a, o, due in self.action_rows
            if d.get(a) or d.get(o) or d.get(due)
        ]
        return AssessmentData(
            instrument=self.instrument,
            date=d["date"],
            answers=answers,
            level=d.get("level") or "",
            rationale=d.get("rationale") or "",
            scenarios={
                k: d.get(f"scenario_{k}") or ""
                for k in SCENARIO_FIELDS
                if f"scenario_{k}" in self.fields
            },
            actions=actions,
            review_on=d.get("review_on"),
        )

    # Service field names (`items.d1`, `actions.0.due_on`) to form field names.
    def field_for(self, name: str | None) -> str | None:
        if not name:
            return None
        if name.startswith("items."):
            return f"item_{name.removeprefix('items.')}"
        if name.startswith("scenarios."):
            return f"scenario_{name.removeprefix('scenarios.')}"
        if name.startswith("actions."):
            _prefix, index, part = (name.split(".") + ["", ""])[:3]
            return {
                "action": f"action_{index}",
                "owner": f"owner_{index}",
                "due_on": f"due_{index}",
            }.get(part)
        return name
