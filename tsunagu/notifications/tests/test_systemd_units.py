"""The systemd units of deploy/systemd/ run management commands that exist, with
options they accept, and the deploy docs point to them."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class

REPO = Path(__file__).resolve().parents[3]
UNITS = REPO / "deploy" / "systemd"
SERVICES = {"tsunagu-worker.service": "worker", "tsunagu-notify-due.service": "notify-due"}
TIMER = "tsunagu-notify-due.timer"


def parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections and their settings (a key may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            current = sections.setdefault(header.group(1), {})
            continue
        assert current is not None and "=" in line, f"{path.name}: {line!r}"
        key, value = line.split("=", 1)
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_the_worker_and_the_daily_notices_have_units() -> None:
    assert {*SERVICES, TIMER} <= {p.name for p in UNITS.iterdir()}


@pytest.mark.parametrize(("name", "command"), sorted(SERVICES.items()))
def test_each_service_runs_a_real_management_command(name: str, command: str) -> None:
    service = parse(UNITS / name)["Service"]
    (exec_start,) = service["ExecStart"]
    program, subcommand, *options = shlex.split(exec_start)
    # The project's console script (pyproject), from the app's virtualenv.
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert Path(program).name in scripts
    assert program == f"{service['WorkingDirectory'][0]}/.venv/bin/tsunagu"
    assert subcommand == command and subcommand in get_commands()
    handler = load_command_class(get_commands()[subcommand], subcommand)
    handler.create_parser("tsunagu", subcommand).parse_args(options)  # exits on a bad option
    assert service["EnvironmentFile"] == ["/etc/tsunagu/env"]
    assert service["User"] == ["tsunagu"]


def test_the_timer_starts_notify_due_daily_before_the_digests() -> None:
    timer = parse(UNITS / TIMER)["Timer"]
    (unit,) = timer["Unit"]
    assert unit in SERVICES and SERVICES[unit] == "notify-due"
    assert parse(UNITS / unit)["Service"]["Type"] == ["oneshot"]
    (calendar,) = timer["OnCalendar"]
    when = re.fullmatch(r"\*-\*-\* (\d\d):(\d\d):00 Asia/Tokyo", calendar)
    assert when is not None
    # The day's due notices are written before the worker sends the digests.
    assert int(when.group(1)) < settings.NOTIFY_DIGEST_HOUR
    assert timer["Persistent"] == ["true"]


def test_the_deploy_docs_point_to_the_units() -> None:
    for doc in ("README.md", "docs/deploy.md"):
        text = (REPO / doc).read_text()
        for name in (*SERVICES, TIMER):
            assert f"deploy/systemd/{name}" in text, (doc, name)
