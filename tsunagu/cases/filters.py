"""The case list's one filter definition, shared by the page and the API.

A plain Django form: the page renders it and shows errors next to the fields;
the API feeds it the query string and answers 422 naming the field. Filtering
uses only the list columns that the services keep from the timeline
(`is_open`, `latest_measure`), so a list never reads every timeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tsunagu.cases import labels, timeline
from tsunagu.cases.models import CaseQuerySet, Event
from tsunagu.core.models import Code, Region

STATUS_CHOICES = [
    ("", _("All")),
    ("open", pgettext_lazy("case status", "Open")),
    ("closed", pgettext_lazy("case status", "Closed")),
]


# The measures the "had a measure" filter knows: those the annual statistics count.
MEASURE_FILTER_KINDS = timeline.COUNTED_MEASURES
# Arrest kinds; an arrest whose detail is none of the known kinds counts as "other",
# as in the annual statistics.
KNOWN_ARREST_KINDS = tuple(k for k in timeline.ARREST_KINDS if k != "other")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def relationship_choices() -> list[tuple[str, str]]:
    """Every relationship code ever in force (old cases keep theirs), current label."""
    rows = Code.objects.filter(table="relationship").order_by("sort", "valid_from")
    return list(dict(rows.values_list("code", Code.label_field())).items())


class CaseFilterForm(forms.Form):
    """Search and filters of the case list. Every field is optional."""

    q = forms.CharField(label=_("Case reference"), required=False, max_length=64)
    station = forms.ModelChoiceField(
        label=_("Police station"),
        queryset=Region.objects.none(),
        required=False,
        empty_label=_("All"),
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
    measure = forms.ChoiceField(
        label=_("Had a measure"),
        required=False,
        choices=[("", _("Any"))] + [(m, labels.EVENT_LABELS[m]) for m in MEASURE_FILTER_KINDS],
        help_text=_(
            "Cases with at least one such measure dated in the range; a measure voided "
            "by a correction does not count. A case is listed once however many it had."
        ),
    )
    measure_detail = forms.ChoiceField(
        label=_("Arrest kind"),
        required=False,
        choices=[("", _("Any"))]
        + [(k, labels.ARREST_KIND_LABELS[k]) for k in timeline.ARREST_KINDS],
    )
    measure_from = forms.DateField(label=_("Measure from"), required=False, widget=DateInput())
    measure_to = forms.DateField(label=_("Measure to"), required=False, widget=DateInput())

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
        start, end = data.get("measure_from"), data.get("measure_to")
        if start and end and start > end:
            self.add_error("measure_to", _("The end of the range is before its start."))
        measure = data.get("measure")
        if data.get("measure_detail") and measure != "arrest":
            self.add_error("measure_detail", _("An arrest kind needs the measure Arrest."))
        if (start or end) and not measure and "measure" not in self.errors:
            self.add_error("measure", _("Choose the measure the dates refer to."))
        return data

    def measure_summary(self) -> str:
        """What the list shows when filtered by a measure, said plainly: cases, not
        measures (a case with two warnings in the range is listed once)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        measure = data.get("measure")
        if not measure:
            return ""
        label = str(labels.EVENT_LABELS[measure])
        if data.get("measure_detail"):
            label += f"（{labels.ARREST_KIND_LABELS[data['measure_detail']]}）"
        start, end = data.get("measure_from"), data.get("measure_to")
        params = {
            "measure": label,
            "start": start.isoformat() if start else "…",
            "end": end.isoformat() if end else "…",
        }
        return str(
            _(
                "Cases with at least one %(measure)s dated %(start)s – %(end)s. A case "
                "is listed once however many it had; the statistics count measures."
            )
            % params
        )

    def filter(self, cases: CaseQuerySet) -> CaseQuerySet:
        """Apply the filters to an already scoped queryset. Filters with an error
        list no case: a list that ignored them would pass for their answer."""
        if self.is_bound and not self.is_valid():
            return cases.none()
        data = self.cleaned_data if self.is_bound else {}
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
        if data.get("measure"):
            # IN over the events' (type, date) index: one range read, not a probe per case.
            cases = cases.filter(
                pk__in=measure_events(
                    cases,
                    data["measure"],
                    data.get("measure_detail") or "",
                    data.get("measure_from"),
                    data.get("measure_to"),
                ).values("case_id")
            )
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


def measure_events(
    cases: CaseQuerySet,
    kind: str,
    detail: str,
    start: dt.date | None,
    end: dt.date | None,
) -> Any:
    """The effective events of `kind` (arrests of kind `detail`) dated in the range,
    on the cases in scope: those voided by a correction are left out.

    One query reads the corrections of that kind (few: they are mistakes), so the
    list filters in the database with one subquery whatever the number of cases.
    """
    events = Event.objects.filter(type=kind)
    if start:
        events = events.filter(date__gte=start)
    if end:
        events = events.filter(date__lte=end)
    if kind == "arrest" and detail:
        if detail in KNOWN_ARREST_KINDS:
            events = events.filter(detail=detail)
        else:
            events = events.exclude(detail__in=KNOWN_ARREST_KINDS)
    voided = Q()
    corrections = Event.objects.filter(
        type="correction", case__in=cases.order_by().values("pk"), detail__contains=kind
    ).values_list("case_id", "detail")
    for case_id, text in corrections:
        target = timeline.correction_target(text)
        if target is None or target[0] != kind:
            continue
        if (start and target[1] < start) or (end and target[1] > end):
            continue
        voided |= Q(case_id=case_id, date=target[1], detail=target[2])
    if voided:
        events = events.exclude(voided)
    return events
