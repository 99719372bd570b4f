"""What the annual statistics page shows: its tables' links to the case list, and
the year-on-year rows. Pure functions of the computed statistics."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from tsunagu.reports import annual
from tsunagu.reports.links import cases_link, link
from tsunagu.reports.tables import Table


def subtitle(stats: annual.Annual) -> str:
    label = _("Fiscal year %(year)s") if stats.fiscal else _("Year %(year)s")
    return (label % {"year": stats.year}) + f" ({stats.date_from} – {stats.date_to})"


def link_to_cases(tables: list[Table], stats: annual.Annual) -> None:
    """Police may open their cases: every count of consultations, measures and
    relationships links to the case list filtered the same way. (The sex × age
    tables stay plain: the case list has no filter on the people's sex and age.)"""
    base = {"opened_from": stats.date_from.isoformat(), "opened_to": stats.date_to.isoformat()}
    for table in tables:
        if table.key == "measures":
            table.links = {
                key: cases_link(key, stats.date_from, stats.date_to) for key in table.row_keys
            }
        elif table.key == "relationship":
            table.links = {
                key: link("cases:list", base, relationship=key) for key in table.row_keys
            }


def year_cells(stats: annual.Annual, police: bool) -> list[dict[str, Any]]:
    """The year-on-year rows; for police each count links to its case list."""
    rows = []
    for y in stats.years:
        start, end = annual.period_of(y["year"], stats.fiscal)
        rows.append(
            {
                "year": y["year"],
                "cells": [
                    {
                        "value": y[k],
                        "change": y["change"][k],
                        "url": cases_link(k, start, end) if police else "",
                    }
                    for k in annual.YEAR_COLUMNS
                ],
            }
        )
    return rows


def downloads(stats: annual.Annual, release: bool) -> dict[str, str]:
    base: dict[str, Any] = {"year": stats.year}
    if stats.fiscal:
        base["fiscal"] = "on"
    if stats.prefectures:
        base["prefecture"] = list(stats.prefectures)
    formats = ("csv", "xlsx") if release else ("json", "csv", "xlsx")
    return {
        fmt: link("reports:annual_download", base, format=fmt, release=1 if release else None)
        for fmt in formats
    }
