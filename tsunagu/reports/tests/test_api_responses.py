"""The report operations' schemas say exactly what they answer: real answers on the
npa-2016 set validate against the app's own OpenAPI document, every object in
them forbids undeclared keys, and the body is the report's JSON byte for byte."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from django.urls import reverse

from tsunagu.api import api
from tsunagu.cases.models import Case
from tsunagu.core.models import User
from tsunagu.core.tests.test_api_schema import served_schema, validate_response
from tsunagu.reports import annual, evaluation, evaluation_data, programme
from tsunagu.reports.tests.test_npa2016 import npa2016  # noqa: F401 (fixture)
from tsunagu.testing import client_for
from tsunagu.testing.builders import D

jsonschema_rs = pytest.importorskip("jsonschema_rs")

PERIOD = {"date_from": "2016-04-01", "date_to": "2016-12-31"}
# (operation, query): the options each report takes, so each optional shape is met
# (an evaluation without a log-rank or a Cox model, one with dropped Cox terms…).
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("programme_report", PERIOD),
    ("programme_report", {**PERIOD, "as_of": "2016-06-30"}),
    ("programme_report", {"date_from": "2030-01-01", "date_to": "2030-12-31"}),
    ("annual_statistics", {"year": 2016}),
    ("annual_statistics", {"year": 2016, "fiscal": "true"}),
    ("annual_statistics", {"year": 2000}),
    ("evaluation_report", PERIOD),
    ("evaluation_report", {**PERIOD, "as_of": "2018-12-31", "outcome": "any_measure"}),
    ("evaluation_report", {**PERIOD, "as_of": "2018-12-31", "landmark": 0}),
    ("evaluation_report", {"date_from": "2016-04-01", "date_to": "2016-04-30"}),
]
PATHS = {
    "programme_report": "/api/v1/reports/programme",
    "annual_statistics": "/api/v1/reports/annual",
    "evaluation_report": "/api/v1/reports/evaluation",
}


def _expected(user: User, name: str, query: dict[str, Any]) -> dict[str, Any]:
    """The report's own JSON (what the command line and the JSON download give)."""
    scope = Case.objects.for_statistics(user)
    prefectures = () if user.is_analyst else (user.prefecture.code,)  # type: ignore[union-attr]
    if name == "annual_statistics":
        return annual.compute(
            scope, query["year"], query.get("fiscal") == "true", prefectures
        ).as_json()
    params = programme.Params.make(
        D(*map(int, query["date_from"].split("-"))),
        D(*map(int, query["date_to"].split("-"))),
        D(*map(int, query["as_of"].split("-"))) if "as_of" in query else None,
        prefectures,
    )
    if name == "programme_report":
        return programme.compute(scope, params).as_json()
    return evaluation_data.compute(
        scope,
        evaluation.Params.make(
            params.date_from,
            params.date_to,
            params.as_of,
            prefectures,
            query.get("landmark"),
            query.get("outcome"),
        ),
    ).as_json()


@pytest.mark.usefixtures("npa2016")
@pytest.mark.parametrize("role", ["supervisor_tokyo", "analyst"])
def test_every_report_answer_is_its_schema_and_the_reports_json_unchanged(request, role):
    user = request.getfixturevalue(role)
    client = client_for(user)
    schema = served_schema()
    seen: set[str] = set()
    for name, query in CALLS:
        response = client.get(reverse(f"api:{name}"), query)
        assert response.status_code == 200, (name, query, response.content[:300])
        validate_response(schema, PATHS[name], "get", response)
        expected = _expected(user, name, query)
        # Byte for byte: same keys in the same order, same numbers (1.0 stays 1.0),
        # and a key that may be absent (a dropped Cox term) is absent, not null.
        rendered = api.renderer.render(response.wsgi_request, expected, response_status=200)
        assert response.content.decode() == rendered, (name, query)
        body = response.json()
        if name == "evaluation_report":
            seen |= {k for k in ("logrank", "cox", "evalue") if body[k] is None}
            cox = body["cox"]
            if cox and cox["dropped"]:
                seen.add("dropped")
                assert not set(cox["dropped"]) & set(cox["terms"])
        if name == "programme_report" and not body["by_prefecture"]:
            seen.add("empty")
    # The optional shapes were met: null figures, dropped terms, an empty report.
    assert {"logrank", "cox", "evalue", "dropped", "empty"} <= seen, seen


def _objects(node: Any, components: dict[str, Any], seen: set[str]) -> Any:
    """Every object schema reachable from `node`."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                yield from _objects(components[name], components, seen)
            return
        if "properties" in node:
            yield node
        for value in node.values():
            yield from _objects(value, components, seen)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value, components, seen)


def test_every_object_of_a_report_forbids_undeclared_keys():
    schema = served_schema()
    components = schema["components"]["schemas"]
    for path in PATHS.values():
        ok = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        objects = list(_objects(ok["schema"], components, set()))
        assert len(objects) > 5, path
        for obj in objects:
            assert obj.get("additionalProperties") is False, (path, obj.get("title"))


@pytest.mark.usefixtures("npa2016")
def test_a_key_the_schema_does_not_declare_fails(analyst):
    schema = served_schema()
    client = client_for(analyst)
    evaluation_ok = client.get(
        reverse("api:evaluation_report"), {**PERIOD, "as_of": "2018-12-31"}
    ).json()
    programme_ok = client.get(reverse("api:programme_report"), PERIOD).json()
    annual_ok = client.get(reverse("api:annual_statistics"), {"year": 2016}).json()
    cases: list[tuple[str, Any, list[Any]]] = [
        ("programme_report", programme_ok, ["new"]),
        ("programme_report", programme_ok, ["totals", "new"]),
        ("programme_report", programme_ok, ["by_prefecture", "13", "recurrence", "new"]),
        ("programme_report", programme_ok, ["percentages", "by_prefecture", "13", "new"]),
        ("annual_statistics", annual_ok, ["offenders", "age_by_sex", "20s", "new"]),
        ("annual_statistics", annual_ok, ["years", 0, "change", "new"]),
        ("evaluation_report", evaluation_ok, ["groups", "received", "at", "182", "new"]),
        ("evaluation_report", evaluation_ok, ["cox", "terms", "new"]),
        ("evaluation_report", evaluation_ok, ["cox", "terms", "received", "new"]),
    ]
    for name, body, where in cases:
        op = schema["paths"][PATHS[name]]["get"]["responses"]["200"]
        document = {
            **op["content"]["application/json"]["schema"],
            "components": schema["components"],
        }
        jsonschema_rs.validate(document, body)
        changed = copy.deepcopy(body)
        node: Any = changed
        for step in where[:-1]:
            node = node[step]
        node[where[-1]] = 1
        with pytest.raises(jsonschema_rs.ValidationError):
            jsonschema_rs.validate(document, changed)
    # A value outside the vocabulary fails too.
    changed = copy.deepcopy(evaluation_ok)
    changed["outcome"] = "arrest"
    op = schema["paths"][PATHS["evaluation_report"]]["get"]["responses"]["200"]
    document = {**op["content"]["application/json"]["schema"], "components": schema["components"]}
    with pytest.raises(jsonschema_rs.ValidationError):
        jsonschema_rs.validate(document, changed)


@pytest.mark.usefixtures("npa2016")
def test_the_api_refuses_to_answer_a_key_its_schema_does_not_declare(analyst, monkeypatch):
    real = programme.Report.as_json

    def with_extra(self: programme.Report) -> dict[str, Any]:
        return {**real(self), "undeclared": 1}

    monkeypatch.setattr(programme.Report, "as_json", with_extra)
    client = client_for(analyst)
    client.raise_request_exception = False
    response = client.get(reverse("api:programme_report"), PERIOD)
    assert response.status_code == 500
    assert b"undeclared" not in response.content
    assert json.loads(response.content)["detail"][0]["type"] == "server_error"
