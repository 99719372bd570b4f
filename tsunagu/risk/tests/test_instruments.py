"""Instrument files: the schema, the rules beyond it, immutable versions, the command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from tsunagu.core.models import AuditEvent
from tsunagu.risk import instruments
from tsunagu.risk.models import Instrument
from tsunagu.risk.tests.helpers import definition

pytestmark = pytest.mark.django_db


def refused(doc: Any) -> instruments.InstrumentError:
    with pytest.raises(instruments.InstrumentError) as exc:
        instruments.load(doc)
    assert Instrument.objects.count() == 0
    return exc.value


def test_demo_instrument_loads_and_is_labelled_a_demo() -> None:
    instrument, created = instruments.load_file(instruments.DEMO_PATH)
    assert created and instrument.is_demo and instrument.kind == "judgement"
    assert "デモ" in instrument.definition["title"]["ja"]
    assert AuditEvent.objects.filter(action="risk.instrument_load").count() == 1


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (
            lambda d: d["sections"][0]["items"][1].update(answered_by="neighbour"),
            "sections/0/items/1/answered_by",
        ),
        (lambda d: d["levels"][1].pop("order"), "levels/1"),
        (lambda d: d["levels"][2].update(order=2), "levels/2/order"),
        (lambda d: d["sections"][0]["items"][0].update(scale="nope"), "sections/0/items/0/scale"),
        (lambda d: d["sections"][0]["items"][2].update(id="v1"), "sections/0/items/2/id"),
        (lambda d: d.pop("levels"), ""),
        (lambda d: d["summary"].update(kind="vote"), "summary/kind"),
        # stored in an integer column of every assessment at that level
        (lambda d: d["levels"][2].update(order=10**23), "levels/2/order"),
    ],
)
def test_schema_and_rule_errors_name_the_path(change: Any, path: str) -> None:
    doc = definition()
    change(doc)
    err = refused(doc)
    assert err.path == path


@pytest.mark.parametrize("name", ["deep.yaml", "deep.json"])
def test_a_deeply_nested_file_is_refused_not_a_crash(name: str) -> None:
    with pytest.raises(instruments.InstrumentError, match="nested too deeply"):
        instruments.parse("[" * 100_000 + "]" * 100_000, name)


def test_count_needs_thresholds_on_known_levels() -> None:
    doc = definition("count")
    doc["summary"]["thresholds"][1]["level"] = "extreme"
    assert refused(doc).path == "summary/thresholds/1/level"
    doc = definition("count")
    doc["summary"]["thresholds"].pop(0)
    assert refused(doc).path == "summary/thresholds"
    doc = definition("external")
    doc["summary"]["plan"] = True
    assert refused(doc).path == "summary/plan"


def test_a_version_is_immutable() -> None:
    first, created = instruments.load(definition())
    assert created
    same, created = instruments.load(definition())
    assert (same.pk, created) == (first.pk, False)
    changed = definition()
    changed["levels"][0]["label"]["en"] = "Lowish"
    with pytest.raises(instruments.InstrumentError) as exc:
        instruments.load(changed)
    assert exc.value.path == "version"
    assert Instrument.objects.get().definition["levels"][0]["label"]["en"] == "Low"
    changed["version"] = "2"
    assert instruments.load(changed)[1]
    assert Instrument.objects.count() == 2


def test_command_loads_yaml_and_json_and_reports_the_bad_path(tmp_path: Path) -> None:
    good = tmp_path / "form.yaml"
    good.write_text(yaml.safe_dump(definition(), allow_unicode=True), encoding="utf-8")
    call_command("instrument", "load", str(good))
    as_json = tmp_path / "other.json"
    as_json.write_text(json.dumps(definition("external")), encoding="utf-8")
    call_command("instrument", "load", str(as_json))
    assert Instrument.objects.count() == 2
    bad = definition("count", name="broken")
    bad["scales"]["yn"][0]["value"] = "Yes please"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(CommandError, match="scales/yn/0/value"):
        call_command("instrument", "load", str(broken))
    garbage = tmp_path / "garbage.yaml"
    garbage.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON or YAML"):
        call_command("instrument", "load", str(garbage))
    assert Instrument.objects.count() == 2


def test_tsunagu_demo_loads_the_demo_instrument_once() -> None:
    import io

    from tsunagu.core.management.commands.demo import LOADERS
    from tsunagu.risk import demo

    assert "tsunagu.risk.demo" in LOADERS
    out = io.StringIO()
    demo.load(out)
    demo.load(out)
    assert sorted(Instrument.objects.values_list("name", "kind", "is_demo")) == [
        ("tsunagu-demo", "judgement", True),
        ("tsunagu-demo-count", "count", True),
        ("tsunagu-demo-external", "external", True),
    ]
    assert "present" in out.getvalue()


def test_tsunagu_demo_assesses_demo_cases_with_each_kind(officer_tokyo: Any) -> None:
    """The demo shows every summary kind at work: the case header, the officer's
    home (a review overdue, a plan action due), the supervisor's and analyst's views."""
    import io

    from django.utils import timezone

    from tsunagu.cases import demo as cases_demo
    from tsunagu.core import demo as core_demo
    from tsunagu.risk import demo
    from tsunagu.risk.models import Assessment
    from tsunagu.treatment import demo as treatment_demo

    out = io.StringIO()
    for module in (core_demo, treatment_demo, cases_demo, demo):
        module.load(out)
    rows = Assessment.objects.filter(is_current=True).select_related("instrument")
    assert sorted(a.instrument.kind for a in rows) == ["count", "external", "judgement"]
    today = timezone.localdate()
    assert any(a.is_top and a.review_on is not None and a.review_on < today for a in rows)
    demo.load(out)
    assert Assessment.objects.count() == 4
