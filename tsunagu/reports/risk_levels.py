"""The risk level at advice, by which the programme report and the evaluation
can break their figures down.

An advice episode's level is the latest level assessed on its case on or before
the advice date (`risk_assessed` events, corrections applied): an assessment
made on the day of the advice counts, as the officer usually assesses before
approaching the offender. An episode with none is "not assessed". The rule is
`timeline.risk_level`, the same one the case header and the national risk view
use; the labels and order of the levels come from the loaded instruments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _

from tsunagu.cases import timeline
from tsunagu.risk.models import Instrument

# The level key of an episode with no assessment on or before its advice date.
NOT_ASSESSED = "not_assessed"


def level_at_advice(events: Sequence[timeline.Ev], advised_on: dt.date) -> str:
    """The latest level assessed on or before `advised_on`, or NOT_ASSESSED."""
    found = timeline.risk_level(events, advised_on)
    return found[1] if found else NOT_ASSESSED


def ordered(keys: Iterable[str]) -> list[tuple[str, str]]:
    """(key, label) of the levels given: the instruments' levels highest first,
    codes no instrument declares after them, "not assessed" last. One query."""
    known: dict[str, tuple[int, str]] = {}
    for instrument in Instrument.objects.order_by("-loaded_at", "-pk"):
        for level in instrument.definition.get("levels", []):
            known.setdefault(level["code"], (level["order"], instrument.level_label(level["code"])))
    present = set(keys)

    def rank(key: str) -> tuple[int, int, str]:
        if key == NOT_ASSESSED:
            return (2, 0, key)
        if key in known:
            return (0, -known[key][0], key)
        return (1, 0, key)

    return [(key, label(key, known)) for key in sorted(present, key=rank)]


def label(key: str, known: dict[str, tuple[int, str]]) -> str:
    if key == NOT_ASSESSED:
        return _("Not assessed")
    return known[key][1] if key in known else key
