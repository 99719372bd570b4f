"""The drill-down list of advice episodes behind a number: its rows and its CSV.

Police get their case references and links; analysts a pseudonymous id,
prefecture, dates and states, nothing personal.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tsunagu.cases.models import Case
from tsunagu.core import regions, spreadsheet
from tsunagu.core.models import User
from tsunagu.reports import exports, programme, risk_levels
from tsunagu.reports.labels import REASON_LABELS, figure_label
from tsunagu.reports.links import case_link


class HasCase(Protocol):
    @property
    def case_id(self) -> int: ...


def _refs(user: User, rows: Sequence[HasCase]) -> dict[int, str]:
    """The police's case references of the rows' cases (one query; none for analysts)."""
    if not user.is_police:
        return {}
    return dict(
        Case.objects.visible_to(user)
        .filter(pk__in=[r.case_id for r in rows])
        .values_list("pk", "ref")
    )


def identities(user: User, rows: Sequence[HasCase]) -> dict[int, tuple[str, str]]:
    """How each row's case is shown in a list: (the police's case reference, its
    page) or (the analyst's pseudonym, no link). One query at most."""
    if not user.is_police:
        return {r.case_id: (programme.pseudonym(r.case_id), "") for r in rows}
    refs = _refs(user, rows)
    return {r.case_id: (refs.get(r.case_id, ""), case_link(r.case_id)) for r in rows}


def items(
    user: User, rows: Sequence[programme.EpisodeRow], names: dict[str, str]
) -> list[dict[str, Any]]:
    ids = identities(user, rows)
    return [
        {
            "row": r,
            "id": ids[r.case_id][0],
            "url": ids[r.case_id][1],
            "prefecture": names.get(r.prefecture, r.prefecture),
            "leaf": figure_label(r.leaf),
            "reason": str(REASON_LABELS[r.reason]) if r.reason else "",
        }
        for r in rows
    ]


def description(selector: programme.Drill, names: dict[str, str]) -> str:
    """What the list holds, said as the report's labels say it."""
    text = figure_label(selector.figure)
    if selector.recurrence:
        text += " · " + figure_label("recurrence")
    if selector.reason:
        text += " · " + str(REASON_LABELS[selector.reason])
    if selector.prefecture:
        text += " · " + names.get(selector.prefecture, selector.prefecture)
    if selector.month:
        text += " · " + selector.month
    if selector.level:
        text += " · " + risk_levels.ordered([selector.level])[0][1]
    return text


CSV_COLUMNS = (
    "prefecture",
    "advised_on",
    "answered_on",
    "started_on",
    "leaf",
    "leaf_on",
    "rejection_reason",
    "recurrence_on",
)
# The same columns in words, as the drill-down page heads them.
CSV_LABELS = {
    "case_ref": _("Case"),
    "pseudonym": _("Pseudonymous id"),
    "prefecture": _("Prefecture"),
    "advised_on": _("Advised on"),
    "answered_on": _("Answered on"),
    "started_on": pgettext_lazy("date", "Treatment started"),
    "leaf": _("State"),
    "leaf_on": _("State since"),
    "rejection_reason": _("Rejection reason"),
    "recurrence_on": _("Recurrence on"),
}


def episodes_csv(
    user: User, rows: Sequence[programme.EpisodeRow], *, in_words: bool = False
) -> str:
    """The episodes behind a figure. Column keys and codes by default (for programs);
    `in_words`: headers, prefectures, states and reasons in the user's language."""
    out = io.StringIO()
    writer = spreadsheet.csv_writer(out)
    header = ["case_ref" if user.is_police else "pseudonym", *CSV_COLUMNS]
    writer.writerow([str(CSV_LABELS[c]) for c in header] if in_words else header)
    refs = _refs(user, rows)
    names = regions.prefecture_names() if in_words else {}
    for r in rows:
        writer.writerow(
            [
                refs.get(r.case_id, "") if user.is_police else programme.pseudonym(r.case_id),
                names.get(r.prefecture, r.prefecture),
                r.advised_on.isoformat(),
                r.answered_on.isoformat() if r.answered_on else "",
                r.started_on.isoformat() if r.started_on else "",
                figure_label(r.leaf) if in_words else r.leaf,
                r.leaf_on.isoformat() if r.leaf_on else "",
                (str(REASON_LABELS[r.reason]) if in_words else r.reason) if r.reason else "",
                r.recurrence_on.isoformat() if r.recurrence_on else "",
            ]
        )
    return exports.BOM + out.getvalue()
