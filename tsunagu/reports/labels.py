"""Names of the programme report's figures (English msgids, Japanese per DESIGN §5).

A message context keeps them apart from same-spelt words of other apps
("Completed" here is 治療終了, a treatment outcome).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from tsunagu.cases.labels import REJECTION_REASON_LABELS
from tsunagu.cases.timeline import LEAVES

# The report's one title: the page, the PDF (heading and metadata) and the workbook.
REPORT_TITLE: Promise = gettext_lazy("Treatment advice programme: status report")

FIGURE_LABELS: dict[str, Promise] = {
    "advised": pgettext_lazy("programme", "Advised"),
    "prefectures_advised": pgettext_lazy("programme", "Prefectures advising"),
    "accepted": pgettext_lazy("programme", "Accepted"),
    "received": pgettext_lazy("programme", "Received treatment"),
    "prefectures_received": pgettext_lazy("programme", "Prefectures with treatment"),
    "completed": pgettext_lazy("programme", "Completed"),
    "continuing": pgettext_lazy("programme", "Continuing"),
    "halted": pgettext_lazy("programme", "Halted"),
    "scheduled": pgettext_lazy("programme", "Scheduled"),
    "not_needed": pgettext_lazy("programme", "Assessed not needed"),
    "rejected": pgettext_lazy("programme", "Rejected"),
    "undecided": pgettext_lazy("programme", "Undecided"),
    "not_finished": pgettext_lazy("programme", "Continuing or halted"),
    "recurrence": pgettext_lazy("programme", "Recurrence"),
}
REASON_LABELS = REJECTION_REASON_LABELS

# The rows of the summary table: (key, indent level).
SUMMARY_ROWS: tuple[tuple[str, int], ...] = (
    ("advised", 0),
    ("accepted", 1),
    ("received", 2),
    ("completed", 3),
    ("continuing", 3),
    ("halted", 3),
    ("scheduled", 2),
    ("not_needed", 2),
    ("rejected", 1),
    ("undecided", 1),
)
# The columns of the by-prefecture table.
PREFECTURE_COLUMNS: tuple[str, ...] = ("advised", "accepted", "received", *LEAVES)


def total_label() -> str:
    """合計, the label of a total row or column. (A context of its own: another
    app's catalogue gives the bare "Total" as 計.)"""
    return pgettext("statistics", "Total")


def figure_label(key: str) -> str:
    return str(FIGURE_LABELS[key])


def flow_labels() -> dict[str, str]:
    return {key: figure_label(key) for key, _ in SUMMARY_ROWS}
