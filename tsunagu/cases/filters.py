"""The case list's one filter definition, shared by the page and the API.

A plain Django form: the page renders it and shows errors next to the fields;
the API feeds it the query string and answers 422 naming the field. Filtering
uses only the list columns that the services keep from the timeline
(`is_open`, `latest_measure`), so a list never reads every timeline.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tsunagu.cases import labels, timeline
from tsunagu.cases.models import CaseQuerySet
from tsunagu.core.models import Code, Region

STATUS_CHOICES = [("", _("All")), ("open", _("Open")), ("closed", _("Closed"))]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def relationship_choices() -> list[tuple[str, str]]:
    """Every relationship code ever in force (old cases keep theirs), current label."""
    seen: dict[str, str] = {}
    for code in Code.objects.filter(table="relationship").order_by("sort", "valid_from"):
        seen[code.code] = code.label
    return list(seen.items())


class CaseFilterForm(forms.Form):
    """Search and filters of the case list. Every field is optional."""

    q = forms.CharField(label=_("Case reference"), required=False, max_length=64)
    station = forms.ModelChoiceField(
        label=_("Police station"), queryset=Region.objects.none(), required=False
    )
    opened_from = forms.DateField(label=_("Opened from"), required=False, widget=DateInput())
    opened_to = forms.DateField(label=_("Opened to"), required=False, widget=DateInput())
    relationship = forms.ChoiceField(label=_("Relationship"), required=False)
    latest_measure = forms.ChoiceField(
        label=_("Latest measure"),
        required=False,
        choices=[("", _("All"))] + [(m, labels.EVENT_LABELS[m]) for m in timeline.MEASURES],
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)

    def __init__(self, data: Any = None, *, prefecture: Region | None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        station_field = self.fields["station"]
        assert isinstance(station_field, forms.ModelChoiceField)
        station_field.queryset = Region.objects.filter(
            kind=Region.Kind.STATION, parent=prefecture
        ).order_by("code")
        station_field.to_field_name = "code"
        relationship_field = self.fields["relationship"]
        assert isinstance(relationship_field, forms.ChoiceField)
        relationship_field.choices = [("", _("All")), *relationship_choices()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("opened_from"), data.get("opened_to")
        if start and end and start > end:
            self.add_error("opened_to", _("The end of the range is before its start."))
        return data

    def filter(self, cases: CaseQuerySet) -> CaseQuerySet:
        """Apply the valid filters to an already scoped queryset."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        q = (data.get("q") or "").strip()
        if q:
            cases = cases.filter(ref__icontains=q)
        if data.get("station"):
            cases = cases.filter(station=data["station"])
        if data.get("opened_from"):
            cases = cases.filter(opened_on__gte=data["opened_from"])
        if data.get("opened_to"):
            cases = cases.filter(opened_on__lte=data["opened_to"])
        if data.get("relationship"):
            cases = cases.filter(relationship=data["relationship"])
        if data.get("latest_measure"):
            cases = cases.filter(latest_measure=data["latest_measure"])
        status = data.get("status")
        if status:
            cases = cases.filter(Q(is_open=True) if status == "open" else Q(is_open=False))
        return cases

    def query_string(self) -> str:
        """The valid filters as a query string, for pagination links."""
        if not self.is_bound or not self.is_valid():
            return ""
        params = {}
        for name, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            if isinstance(value, Region):
                params[name] = value.code
            elif hasattr(value, "isoformat"):
                params[name] = value.isoformat()
            else:
                params[name] = str(value)
        return urlencode(params)
