"""Small interchange files written in tests: a valid history and a writer."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from tsunagu.interchange import format as fmt

CASES_HEADER = ("case_ref", "prefecture", "station", "opened_on", "relationship")
EVENTS_HEADER = fmt.EVENT_COLUMNS


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    buf = io.StringIO()
    # Every cell quoted, so that a lone CR in a value survives the "\n" line ends.
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def write_set(
    folder: Path,
    cases: Sequence[Sequence[str]],
    events: Sequence[Sequence[str]],
    *,
    cases_header: Sequence[str] = CASES_HEADER,
    events_header: Sequence[str] = EVENTS_HEADER,
    encoding: str = "utf-8",
    newline: str = "\n",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, header, rows in (
        ("cases.csv", cases_header, cases),
        ("events.csv", events_header, events),
    ):
        text = csv_text(header, rows).replace("\n", newline)
        (folder / name).write_bytes(text.encode(encoding))
    return folder


# A small valid history: two Tokyo cases and one Osaka case.
CASES = [
    ("T-1", "13", "新宿", "2016-05-10", "partner_or_ex"),
    ("T-2", "13", "渋谷警察署", "2016-06-01", "workplace"),
    ("O-1", "27", "27-001", "2016-07-01", "stranger"),
]
EVENTS = [
    ("T-1", "13", "2016-05-10", "consultation", "元交際相手からのつきまとい"),
    ("T-1", "13", "2016-05-20", "warning", ""),
    ("T-1", "13", "2016-06-01", "treatment_advised", ""),
    ("T-1", "13", "2016-06-03", "advice_rejected", "sees_no_need"),
    ("T-2", "13", "2016-06-01", "consultation", ""),
    ("T-2", "13", "2016-06-10", "treatment_advised", ""),
    ("T-2", "13", "2016-06-12", "advice_accepted", ""),
    ("T-2", "13", "2016-06-20", "appointment_scheduled", "13-C001"),
    ("T-2", "13", "2016-07-01", "treatment_started", ""),
    ("O-1", "27", "2016-07-01", "consultation", ""),
    ("O-1", "27", "2016-07-15", "arrest", "stalking"),
]
