"""The links of the report pages: drill-downs, case lists, sorting and downloads.

Pure functions of the report's parameters, kept out of the views so that the
page, its lazily loaded parts and the tests build the same URLs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse


def link(name: str, base: dict[str, Any], **extra: Any) -> str:
    """`name`'s URL with the query `base` and the non-empty `extra` parameters."""
    query = {**base, **{k: v for k, v in extra.items() if v not in (None, "", False)}}
    return f"{reverse(name)}?{urlencode(query, doseq=True)}"


def linker(name: str, base: dict[str, Any]) -> Callable[..., str]:
    """`link(name, base, **extra)` for many links that share `name` and `base`: the
    URL and the base query are built once (a report page has hundreds)."""
    url = reverse(name)
    head = urlencode(base, doseq=True)

    def make(**extra: Any) -> str:
        given = {k: v for k, v in extra.items() if v not in (None, "", False)}
        if given.keys() & base.keys():
            return link(name, base, **extra)
        tail = urlencode(given, doseq=True)
        return f"{url}?{head}&{tail}" if head and tail else f"{url}?{head or tail}"

    return make


def query(params: dict[str, Any]) -> str:
    return urlencode(params, doseq=True)


def case_link(pk: int) -> str:
    try:
        return reverse("cases:detail", args=[pk])
    except NoReverseMatch:  # pragma: no cover - the cases app always has it
        return ""


# --- the annual statistics' links to the case list -----------------------------------


def measure_params(kind: str) -> dict[str, str]:
    """The case-list filter of a measure column: arrests split by kind."""
    if kind.startswith("arrest_"):
        return {"measure": "arrest", "measure_detail": kind[len("arrest_") :]}
    return {"measure": kind}


def cases_link(kind: str, start: dt.date, end: dt.date) -> str:
    """The case list behind a count of the annual page.

    Consultations are the cases opened in the period, the same number. A measure
    count counts events, the list shows the cases with at least one such measure
    dated in the period (the list says so): a case with two warnings in a year is
    counted twice and listed once.
    """
    if kind == "consultations":
        return link("cases:list", {"opened_from": start.isoformat(), "opened_to": end.isoformat()})
    return link(
        "cases:list",
        {**measure_params(kind), "measure_from": start.isoformat(), "measure_to": end.isoformat()},
    )
