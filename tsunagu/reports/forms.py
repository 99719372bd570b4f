"""The report forms: a period (with presets), an as-of date, prefectures.

One definition shared by the page, the drill-down, the downloads and the API, so
a download always holds what the screen shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tsunagu.core.areas import AREAS, area_prefectures
from tsunagu.core.models import Region, User
from tsunagu.reports.programme import FIGURES, REASONS, Params

PRESETS = (
    ("calendar", _("Calendar year")),
    ("fiscal", _("Fiscal year (April–March)")),
    ("last12", _("Last 12 months")),
    ("custom", _("Custom period")),
)
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
EARLIEST_DATE, LATEST_DATE = dt.date(EARLIEST_YEAR, 1, 1), dt.date(LATEST_YEAR, 12, 31)
# A longer period is no report anyone reads, and its monthly table and charts grow
# with it.
MAX_PERIOD_YEARS = 30


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (29 February becomes 1 March)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def bounds_errors(dates: dict[str, dt.date | None]) -> list[tuple[str, str]]:
    """(field, message) for each given date outside EARLIEST_DATE..LATEST_DATE."""
    message = _("Give a date between %(first)s and %(last)s.")
    limits = {"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()}
    return [
        (name, str(message) % limits)
        for name, day in dates.items()
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE
    ]


def period_errors(start: dt.date, end: dt.date, as_of: dt.date | None) -> list[tuple[str, str]]:
    """(field, message) for a period that ends before it starts or is too long, and
    for an as-of date before the period. The page, the API and the command line
    all check a period here."""
    errors: list[tuple[str, str]] = []
    if end < start:
        errors.append(("date_to", str(_("The period ends before it starts."))))
    elif end >= years_after(start, MAX_PERIOD_YEARS):
        message = _("The period may be at most %(years)d years long.")
        errors.append(("date_to", str(message) % {"years": MAX_PERIOD_YEARS}))
    if as_of is not None and as_of < start:
        errors.append(("as_of", str(_("The as-of date is before the period starts."))))
    return errors


def prefecture_choices() -> list[tuple[str, str]]:
    return [
        (r.code, r.name)
        for r in Region.objects.filter(kind=Region.Kind.PREFECTURE).order_by("code")
    ]


def scope_label(codes: tuple[str, ...]) -> str:
    """The prefectures a report was asked for, in words."""
    return selection_label(codes, dict(prefecture_choices()) if codes else {})


class DateInput(forms.DateInput):
    """A browser date picker; the value is ISO (YYYY-MM-DD), which is also what a
    browser without one shows and what the label asks for."""

    input_type = "date"

    def __init__(self) -> None:
        super().__init__(
            format="%Y-%m-%d",
            attrs={"min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()},
        )


class _ScopedForm(forms.Form):
    """A form whose prefecture choice exists for analysts only: police users see
    their own prefecture, always.

    Analysts choose areas (地方) and prefectures as grouped checkboxes; a chosen
    area stands for all its prefectures, expanded here on the server, so the
    choice works without JavaScript.
    """

    area = forms.MultipleChoiceField(
        label=_("Areas"), required=False, widget=forms.CheckboxSelectMultiple
    )
    prefecture = forms.MultipleChoiceField(
        label=_("Prefectures"),
        required=False,
        help_text=_("None selected: every prefecture."),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, data: Any, user: User, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.user = user
        if user.is_analyst:
            self.fields["prefecture"].choices = prefecture_choices()  # type: ignore[attr-defined]
            self.fields["area"].choices = [(a.key, a.name) for a in AREAS]  # type: ignore[attr-defined]
        else:
            del self.fields["prefecture"]
            del self.fields["area"]

    def prefectures(self) -> tuple[str, ...]:
        if not self.user.is_analyst:
            pref = self.user.prefecture
            return (pref.code,) if pref else ()
        chosen = set(self.cleaned_data.get("prefecture") or ())
        return tuple(sorted(chosen | area_prefectures(self.cleaned_data.get("area") or ())))

    def _submitted(self, name: str) -> list[str]:
        getlist = getattr(self.data, "getlist", None)
        return list(getlist(name)) if getlist else list(self.data.get(name) or ())

    def picker(self) -> dict[str, Any] | None:
        """The prefecture picker as the page shows it: each area with its
        prefectures, checked as chosen (an area expanded to its prefectures, an
        area shown chosen when all its prefectures are). None for police."""
        if "prefecture" not in self.fields:
            return None
        names = dict(self.fields["prefecture"].choices)  # type: ignore[attr-defined]
        chosen = (
            set(self._submitted("prefecture")) | area_prefectures(self._submitted("area"))
        ) & set(names)
        areas = [
            {
                "key": area.key,
                "name": area.name,
                "checked": set(area.prefectures) <= chosen,
                "prefectures": [
                    {"code": code, "name": names[code], "checked": code in chosen}
                    for code in area.prefectures
                    if code in names
                ],
            }
            for area in AREAS
        ]
        return {
            "areas": areas,
            "summary": selection_label(sorted(chosen), names),
            "errors": [*self["area"].errors, *self["prefecture"].errors],
        }


def selection_label(codes: list[str] | tuple[str, ...], names: dict[str, str]) -> str:
    """A chosen set of prefectures in words: whole areas by their name, the rest
    by prefecture name; "every prefecture" when none is chosen."""
    if not codes:
        return str(_("Every prefecture"))
    left = set(codes)
    parts = []
    for area in AREAS:
        if set(area.prefectures) <= left:
            parts.append(area.name)
            left -= set(area.prefectures)
    parts += [names.get(code, code) for code in sorted(left)]
    return (", " if (get_language() or "ja").startswith("en") else "、").join(parts)


class ProgrammeForm(_ScopedForm):
    """The period and as-of date of a programme report."""

    preset = forms.ChoiceField(label=_("Period"), choices=PRESETS, initial="calendar")
    year = forms.IntegerField(
        label=_("Year"), required=False, min_value=EARLIEST_YEAR, max_value=LATEST_YEAR
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        help_text=_("Default: the end of the period."),
        widget=DateInput(),
    )
    by_level = forms.BooleanField(
        label=_("By risk level at advice"),
        required=False,
        help_text=_("The latest risk level assessed on or before the advice date."),
    )
    field_order = [
        "preset",
        "year",
        "date_from",
        "date_to",
        "as_of",
        "area",
        "prefecture",
        "by_level",
    ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        preset = data.get("preset")
        year = data.get("year")
        today = timezone.localdate()
        start: dt.date | None = None
        end: dt.date | None = None
        if preset in ("calendar", "fiscal"):
            if year is None:
                if "year" not in self.errors:
                    self.add_error("year", _("Give the year."))
                return data
            if preset == "calendar":
                start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
            else:
                start, end = dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
        elif preset == "last12":
            # This month and the eleven before it: from the first of the month
            # eleven months back (counting days instead gave thirteen months in
            # some months of some years).
            end = today
            back = today.year * 12 + today.month - 1 - 11
            start = dt.date(back // 12, back % 12 + 1, 1)
        elif preset == "custom":
            start, end = data.get("date_from"), data.get("date_to")
            if start is None and "date_from" not in self.errors:
                self.add_error("date_from", _("Give the first day of the period."))
            if end is None and "date_to" not in self.errors:
                self.add_error("date_to", _("Give the last day of the period."))
            if start is None or end is None:
                return data
        if start is None or end is None:
            return data
        given = {"as_of": data.get("as_of")}
        if preset == "custom":
            # Presets derive their dates from a bounded year or from today.
            given = {"date_from": start, "date_to": end, **given}
        errors = bounds_errors(given) or period_errors(start, end, data.get("as_of"))
        for name, message in errors:
            self.add_error(name, message)
        if errors:
            return data
        as_of = data.get("as_of") or end
        data["params"] = Params.make(start, end, as_of, self.prefectures())
        return data

    @property
    def params(self) -> Params:
        return self.cleaned_data["params"]  # type: ignore[no-any-return]

    @property
    def with_levels(self) -> bool:
        """Whether the figures are also broken down by the risk level at advice."""
        return bool(self.cleaned_data.get("by_level"))


def default_programme_data() -> dict[str, str]:
    return {"preset": "calendar", "year": str(timezone.localdate().year)}


def params_query(params: Params) -> dict[str, Any]:
    """The query string that reproduces a report (a custom period, explicit dates)."""
    query: dict[str, Any] = {
        "preset": "custom",
        "date_from": params.date_from.isoformat(),
        "date_to": params.date_to.isoformat(),
        "as_of": params.as_of.isoformat(),
    }
    if params.prefectures:
        query["prefecture"] = list(params.prefectures)
    return query


class DrillForm(forms.Form):
    """Which episodes a number stands for (tsunagu.reports.programme.Drill)."""

    figure = forms.ChoiceField(choices=[(k, k) for k in FIGURES], required=False)
    pref = forms.RegexField(regex=r"^\d{2}$", required=False)
    reason = forms.ChoiceField(choices=[("", "")] + [(r, r) for r in REASONS], required=False)
    recurrence = forms.BooleanField(required=False)
    month = forms.RegexField(regex=r"^\d{4}-\d{2}$", required=False)
    level = forms.CharField(max_length=40, required=False)


class AnnualForm(_ScopedForm):
    """The year of the annual statistics, calendar or fiscal."""

    year = forms.IntegerField(label=_("Year"), min_value=EARLIEST_YEAR, max_value=LATEST_YEAR)
    fiscal = forms.BooleanField(label=_("Fiscal year (April–March)"), required=False)
    field_order = ["year", "fiscal", "area", "prefecture"]
