from __future__ import annotations

import pytest

from tsunagu.core import tokens
from tsunagu.core.audit import audit
from tsunagu.core.models import AuditEvent


@pytest.mark.parametrize("url", ["/api/v1/docs", "/api/v1/openapi.json"])
def test_api_schema_and_docs_need_a_signed_in_user(client, db, officer_tokyo, url):
    assert client.get(url).status_code == 302
    client.force_login(officer_tokyo)
    assert client.get(url).status_code == 200


def test_a_script_with_a_token_reads_the_schema_to_generate_a_client(client, officer_tokyo):
    _token, secret = tokens.create(actor=officer_tokyo, name="client", scope="read")
    answer = client.get("/api/v1/openapi.json", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 200 and "/api/v1/cases/" in answer.json()["paths"]
    wrong = client.get("/api/v1/openapi.json", headers={"Authorization": "Bearer tsu_wrong"})
    assert wrong.status_code == 401 and wrong.json()["detail"][0]["loc"] == [
        "header",
        "Authorization",
    ]


def test_admin_audit_log_holds_account_events_only(admin_user, officer_tokyo):
    audit(actor=admin_user, action="user.create", obj=officer_tokyo, username="x")
    audit(actor=None, action="interchange.import", cases_created=3)
    actions = set(AuditEvent.objects.visible_to(admin_user).values_list("action", flat=True))
    assert actions == {"user.create"}
