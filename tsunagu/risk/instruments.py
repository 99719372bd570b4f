"""Instrument files: read (JSON or YAML), validated against the published schema,
then stored as an immutable version.

The schema is `tsunagu/risk/schema/instrument.schema.json` (docs/risk.md). What
a JSON Schema cannot say (a scale that exists, unique level orders, thresholds
for a `count` summary) is checked here, and every refusal names the path of the
bad element, e.g. `sections/0/items/2/scale`.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from jsonschema import Draft202012Validator

from tsunagu.core.audit import audit
from tsunagu.core.models import Region, User
from tsunagu.risk.models import Instrument

SCHEMA_PATH = Path(__file__).parent / "schema" / "instrument.schema.json"
DEMO_PATH = Path(__file__).parent / "instruments" / "demo.yaml"


class InstrumentError(Exception):
    """An instrument file refused; `path` is the JSON path of the bad element."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '(file)'}: {message}")
        self.path = path
        self.message = message


@cache
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


def parse(text: str, filename: str = "") -> Any:
    """The document of a JSON or YAML file (YAML is a superset of JSON)."""
    try:
        if filename.endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InstrumentError("", f"not valid JSON or YAML ({exc.__class__.__name__})") from exc
    except RecursionError as exc:
        raise InstrumentError("", "nested too deeply to be an instrument") from exc


def _path(parts: Any) -> str:
    return "/".join(str(p) for p in parts)


def validate(doc: Any) -> dict[str, Any]:
    """Refuse a document that breaks the schema or the rules beyond it."""
    errors = sorted(Draft202012Validator(schema()).iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        raise InstrumentError(_path(first.absolute_path), first.message)
    assert isinstance(doc, dict)
    codes: set[str] = set()
    orders: set[int] = set()
    for i, level in enumerate(doc["levels"]):
        if level["code"] in codes:
            raise InstrumentError(f"levels/{i}/code", "this level code is declared twice")
        if level["order"] in orders:
            raise InstrumentError(f"levels/{i}/order", "two levels have the same order")
        codes.add(level["code"])
        orders.add(level["order"])
    ids: set[str] = set()
    for s, section in enumerate(doc["sections"]):
        for j, item in enumerate(section["items"]):
            where = f"sections/{s}/items/{j}"
            if item["id"] in ids:
                raise InstrumentError(f"{where}/id", "this item id is used twice")
            ids.add(item["id"])
            if item["scale"] not in doc["scales"]:
                raise InstrumentError(f"{where}/scale", "no scale of this name in `scales`")
    summary = doc["summary"]
    kind = summary["kind"]
    if kind == "count":
        thresholds = summary.get("thresholds")
        if not thresholds:
            raise InstrumentError("summary/thresholds", "a `count` summary needs thresholds")
        for t, threshold in enumerate(thresholds):
            if threshold["level"] not in codes:
                raise InstrumentError(f"summary/thresholds/{t}/level", "no such level")
        if not any(t["at_least"] == 0 for t in thresholds):
            raise InstrumentError("summary/thresholds", "one threshold must be `at_least: 0`")
        if not any(o.get("positive") for scale in doc["scales"].values() for o in scale):
            raise InstrumentError("scales", "a `count` summary needs answers marked positive")
    elif "thresholds" in summary:
        raise InstrumentError("summary/thresholds", "thresholds belong to a `count` summary")
    if kind != "judgement":
        for key in ("scenarios", "plan"):
            if summary.get(key):
                raise InstrumentError(f"summary/{key}", "only a `judgement` summary has this")
    return doc


def digest(doc: dict[str, Any]) -> str:
    canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def agency_of(actor: User | None) -> Region | None:
    """Whose instrument a load makes: a supervisor's prefecture's; an admin's (or
    the command line's without `--prefecture`) a national one. Others may not load."""
    if actor is None or actor.is_admin:
        return None
    if actor.is_supervisor and actor.prefecture is not None:
        return actor.prefecture
    raise InstrumentError("", "only a supervisor or an administrator loads instruments")


def load(
    doc: Any, actor: User | None = None, prefecture: Region | None = None
) -> tuple[Instrument, bool]:
    """Store a validated instrument version; (instrument, created).

    The version belongs to `prefecture` (None: national); with an `actor`, to the
    actor's agency (`agency_of`). The same name and version again for the same
    agency with the same content is a no-op; with other content it is refused: a
    changed instrument is a new version.
    """
    if actor is not None:
        prefecture = agency_of(actor)
    doc = validate(doc)
    fingerprint = digest(doc)
    with transaction.atomic():
        existing = (
            Instrument.objects.select_for_update()
            .filter(prefecture=prefecture, name=doc["name"], version=doc["version"])
            .first()
        )
        if existing is not None:
            if existing.digest != fingerprint:
                raise InstrumentError(
                    "version",
                    f"{doc['name']} version {doc['version']} is already loaded with other "
                    "content; give the changed instrument a new version",
                )
            return existing, False
        instrument = Instrument.objects.create(
            prefecture=prefecture,
            name=doc["name"],
            version=doc["version"],
            language=doc["language"],
            kind=doc["summary"]["kind"],
            is_demo=bool(doc.get("demo")),
            definition=doc,
            digest=fingerprint,
            loaded_by=actor,
        )
        audit(
            actor=actor,
            action="risk.instrument_load",
            obj=instrument,
            prefecture=prefecture,
            name=instrument.name,
            version=instrument.version,
            digest=fingerprint,
        )
    return instrument, True


def load_file(
    path: Path, actor: User | None = None, prefecture: Region | None = None
) -> tuple[Instrument, bool]:
    return load(parse(path.read_text(encoding="utf-8"), path.name), actor, prefecture)
