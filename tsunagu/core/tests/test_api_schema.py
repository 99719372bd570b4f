"""The OpenAPI schema tells the truth: unique schema names, every operation documents
its errors with one schema, value lists from the vocabulary, security schemes, and
real responses validate against it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ninja import Schema

from tsunagu.api import api
from tsunagu.cases.models import SEXES
from tsunagu.cases.services import POLICE_RECORDABLE
from tsunagu.testing import client_for
from tsunagu.testing.builders import referred

# The JSON Schema validator schemathesis installs (requirements-dev.txt).
jsonschema_rs = pytest.importorskip("jsonschema_rs")


def served_schema() -> dict[str, Any]:
    # As served (JSON): status codes as strings.
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), default=str))


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def test_no_two_schemas_share_a_name():
    served_schema()  # imports every router
    ours = [c for c in _all_subclasses(Schema) if c.__module__.startswith("tsunagu.")]
    by_name: dict[str, list[str]] = {}
    for cls in ours:
        by_name.setdefault(cls.__name__, []).append(f"{cls.__module__}.{cls.__qualname__}")
    assert {n: m for n, m in by_name.items() if len(m) > 1} == {}


def test_every_operation_documents_its_errors_with_the_one_schema():
    schema = served_schema()
    ids = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            ids.append(op["operationId"])
            assert "_" in op["operationId"] and len(op["operationId"]) < 40, op["operationId"]
            statuses = set(op["responses"])
            assert {"401", "403", "404", "405", "422", "503"} <= statuses, (method, path)
            for status, answer in op["responses"].items():
                if int(status) >= 400:
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), (method, path, status)
    assert len(ids) == len(set(ids))
    export = schema["paths"]["/api/v1/interchange/export"]["get"]["responses"]["200"]
    assert "application/zip" in export["content"]


def test_value_lists_and_ranges_come_from_the_vocabulary():
    parts = served_schema()["components"]["schemas"]
    assert parts["PersonIn"]["properties"]["sex"]["enum"] == list(SEXES)
    assert parts["EventIn"]["properties"]["type"]["enum"] == list(POLICE_RECORDABLE)
    event = parts["CaseEventOut"]["properties"]
    assert {"id", "label", "voided", "recorded_by"} <= set(event)
    op = served_schema()["paths"]["/api/v1/reports/annual"]["get"]
    (year,) = [p for p in op["parameters"] if p["name"] == "year"]
    assert (year["schema"]["minimum"], year["schema"]["maximum"]) == (2000, 2100)


def test_the_token_and_the_csrf_header_are_security_schemes():
    schemes = served_schema()["components"]["securitySchemes"]
    assert schemes["TokenAuth"]["scheme"] == "bearer"
    assert schemes["CSRFHeader"]["name"] == "X-CSRFToken"


def validate_response(schema: dict[str, Any], path: str, method: str, response: Any) -> None:
    op = schema["paths"][path][method]
    answer = op["responses"][str(response.status_code)]
    body_schema = answer["content"]["application/json"]["schema"]
    document = {**body_schema, "components": schema["components"]}
    jsonschema_rs.validate(document, json.loads(response.content))


def test_real_responses_validate_against_the_schema(
    officer_tokyo, clinician_tokyo, make_case, clinic_tokyo
):
    schema = served_schema()
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    case = referral.case
    police = client_for(officer_tokyo)
    clinic = client_for(clinician_tokyo)
    calls = [
        (police, "/api/v1/cases/", "get", "/api/v1/cases/"),
        (police, f"/api/v1/cases/{case.pk}", "get", "/api/v1/cases/{case_id}"),
        (police, f"/api/v1/treatment/cases/{case.pk}", "get", "/api/v1/treatment/cases/{case_id}"),
        (police, "/api/v1/treatment/clinics", "get", "/api/v1/treatment/clinics"),
        (police, "/api/v1/treatment/referrals", "get", "/api/v1/treatment/referrals"),
        (
            clinic,
            f"/api/v1/treatment/referrals/{referral.pk}",
            "get",
            "/api/v1/treatment/referrals/{referral_id}",
        ),
        (clinic, "/api/v1/cases/", "get", "/api/v1/cases/"),  # 404 in the error shape
        (police, "/api/v1/cases/?page=x", "get", "/api/v1/cases/"),  # 422
    ]
    for client, url, method, template in calls:
        response = getattr(client, method)(url)
        validate_response(schema, template, method, response)
    advised = police.post(
        f"/api/v1/treatment/cases/{case.pk}/contact-request",
        json.dumps({"date": "2016-06-03"}),
        content_type="application/json",
    )
    validate_response(schema, "/api/v1/treatment/cases/{case_id}/contact-request", "post", advised)
