"""One error contract under /api/: JSON `{"detail": [{loc, msg, type}]}` for every status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tsunagu.testing import client_for

WHERE = {"body", "query", "path", "header", "request"}


def assert_error(response: Any, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    for item in detail:
        assert set(item) == {"loc", "msg", "type"}
        assert item["loc"][0] in WHERE and item["msg"]
    return detail


def test_unknown_path_under_api_is_a_json_404(officer_tokyo):
    assert_error(client_for(officer_tokyo).get("/api/v1/no-such-thing"), 404)
    assert_error(Client().get("/api/v1/cases/999999/nothing"), 404)


def test_wrong_method_is_a_json_405(officer_tokyo):
    response = client_for(officer_tokyo).delete(reverse("api:cases_list"))
    assert_error(response, 405)
    assert "GET" in response["Allow"]


def test_multipart_without_boundary_is_a_json_400(supervisor_tokyo):
    response = client_for(supervisor_tokyo).post(
        reverse("api:interchange_check"), b"--x\r\n", content_type="multipart/form-data"
    )
    assert_error(response, 400)


def test_a_body_too_large_is_a_json_413(settings, officer_tokyo):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"ref": "R", "opened_on": "2016-05-01", "note": "x" * 5000})
    response = client_for(officer_tokyo).post(
        reverse("api:cases_open"), body, content_type="application/json"
    )
    assert_error(response, 413)


def test_a_json_body_sent_as_text_is_a_415(officer_tokyo):
    body = json.dumps({"ref": "R-TEXT", "opened_on": "2016-05-01"})
    response = client_for(officer_tokyo).post(
        reverse("api:cases_open"), body, content_type="text/plain"
    )
    detail = assert_error(response, 415)
    assert detail[0]["loc"] == ["header", "Content-Type"]


def test_unparseable_json_is_a_json_400(officer_tokyo):
    response = client_for(officer_tokyo).post(
        reverse("api:cases_open"), "{nope", content_type="application/json"
    )
    assert_error(response, 400)


def test_no_session_no_token_is_a_json_401():
    response = Client().get(reverse("api:cases_list"))
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_session_write_without_the_csrf_header_is_a_json_403(officer_tokyo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer_tokyo)
    response = client.post(
        reverse("api:cases_open"),
        json.dumps({"ref": "R-CSRF", "opened_on": "2016-05-01"}),
        content_type="application/json",
    )
    assert_error(response, 403)


def test_the_role_is_checked_before_the_body(clinician_tokyo, make_case, officer_tokyo):
    case = make_case(officer_tokyo)
    client = client_for(clinician_tokyo)
    # A body that would be a 422 for an officer: a clinician gets 404 all the same.
    response = client.post(
        reverse("api:treatment_advise", args=[case.pk]),
        json.dumps({"date": 0}),
        content_type="application/json",
    )
    assert_error(response, 404)
    response = client.post(
        reverse("api:cases_open"), json.dumps({"x": 1}), content_type="application/json"
    )
    assert_error(response, 404)


def test_validation_errors_have_one_loc_shape_in_the_users_language(officer_tokyo, make_case):
    case = make_case(officer_tokyo)
    client = client_for(officer_tokyo)
    response = client.post(
        reverse("api:cases_event_record", args=[case.pk]),
        json.dumps({"type": "warning"}),
        content_type="application/json",
    )
    (item,) = assert_error(response, 422)
    assert item["loc"] == ["body", "date"]
    with translation.override("ja"):
        assert item["msg"] == translation.gettext("This field is required.")
    assert item["msg"] != "This field is required."  # Japanese by default
    bad_query = client.get(reverse("api:cases_list"), {"page_size": "x"})
    (item,) = assert_error(bad_query, 422)
    assert item["loc"] == ["query", "page_size"]


def test_a_busy_database_is_a_json_503(monkeypatch, officer_tokyo):
    from django.db import OperationalError

    from tsunagu.cases import api as cases_api

    def busy(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(cases_api, "_summary", busy)
    monkeypatch.setattr(cases_api.Paginator, "page", busy)
    response = client_for(officer_tokyo).get(reverse("api:cases_list"))
    assert_error(response, 503)
    assert response["Retry-After"]


@pytest.mark.parametrize("status", [409, 429])
def test_every_status_has_its_type(status):
    from tsunagu.core.api import error_json

    body = json.loads(error_json(status).content)
    assert body["detail"][0]["type"] in ("conflict", "too_many_requests")
