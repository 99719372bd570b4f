"""Demo data of risk assessment: the open demo instrument (tsunagu demo)."""

from __future__ import annotations

from typing import Any

from tsunagu.risk.instruments import DEMO_PATH, load_file


def load(stdout: Any) -> None:
    instrument, created = load_file(DEMO_PATH)
    stdout.write(f"risk: demo instrument {instrument} {'loaded' if created else 'present'}")
