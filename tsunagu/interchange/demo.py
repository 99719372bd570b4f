"""Demo data of the interchange app: the `npa-2016` data set (data/npa-2016/).

Imported through the same importer as any prefecture's history; a second run
finds everything already there and writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from django.conf import settings

from tsunagu.interchange.importer import import_files

DATA_SET = Path(settings.BASE_DIR) / "data" / "npa-2016"


def load(stdout: TextIO) -> None:
    check = import_files(DATA_SET, dry_run=True)
    if not check.ok:
        raise RuntimeError(f"the npa-2016 data set does not import: {check.errors[0]}")
    if check.cases_created == 0 and check.events_created == 0:
        stdout.write(f"npa-2016: already loaded ({check.cases_unchanged} cases).\n")
        return
    summary = import_files(DATA_SET)
    stdout.write(
        f"npa-2016: {summary.cases_created} cases and {summary.events_created} events loaded "
        "(293 advice episodes of April–December 2016).\n"
    )
