"""Personal access tokens: made after a fresh second factor, stored hashed, shown once,
scoped like their user, read or read-write, expiring, revocable, every use audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tsunagu.core import tokens
from tsunagu.core.models import AuditEvent
from tsunagu.core.security import VERIFIED_AT
from tsunagu.core.tokens import AccessToken
from tsunagu.testing import access_test, client_for


def bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_making_a_token_needs_a_fresh_second_factor_and_shows_it_once(officer_tokyo):
    client = client_for(officer_tokyo)
    session = client.session
    session[VERIFIED_AT] = int(time.time()) - 600  # verified 10 minutes ago
    session.save()
    url = reverse("core:tokens")
    stale = client.post(url, {"name": "nightly", "scope": "read", "days": 90})
    assert stale.status_code == 302 and stale["Location"].startswith("/mfa/step-up/")
    assert not AccessToken.objects.exists()

    fresh = client_for(officer_tokyo)
    page = fresh.post(url, {"name": "nightly", "scope": "read", "days": 90})
    assert page.status_code == 200
    token = AccessToken.objects.get()
    secret = page.context["secret"]
    assert secret.startswith("tsu_") and secret in page.content.decode()
    # Stored hashed: the database holds the SHA-256 only, never the secret.
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(list(AccessToken.objects.values()), default=str)
    assert (token.expires_at - timezone.now()).days in (89, 90)
    again = fresh.get(url)
    assert secret not in again.content.decode() and token.hint in again.content.decode()
    assert AuditEvent.objects.filter(action="token.create", actor=officer_tokyo).count() == 1


def test_a_token_reaches_what_its_user_reaches_and_every_use_is_audited(
    officer_tokyo, officer_osaka, make_case
):
    tokyo_case = make_case(officer_tokyo)
    _token, secret = tokens.create(actor=officer_osaka, name="osaka", scope="read")
    client = bearer(secret)
    listing = client.get(reverse("api:cases_list"))
    assert listing.status_code == 200 and listing.json()["count"] == 0
    assert client.get(reverse("api:cases_detail", args=[tokyo_case.pk])).status_code == 404
    _token, own = tokens.create(actor=officer_tokyo, name="tokyo", scope="read")
    mine = bearer(own).get(reverse("api:cases_detail", args=[tokyo_case.pk]))
    assert mine.status_code == 200 and mine.json()["ref"] == tokyo_case.ref
    uses = AuditEvent.objects.filter(action="token.use")
    assert uses.count() == 3
    assert uses.filter(actor=officer_tokyo, detail__method="GET").count() == 1
    assert AccessToken.objects.get(name="tokyo").last_used_at is not None


def test_read_tokens_cannot_write_and_write_tokens_need_no_csrf(officer_tokyo):
    _t, read = tokens.create(actor=officer_tokyo, name="r", scope="read")
    _t, write = tokens.create(actor=officer_tokyo, name="w", scope="write")
    body = json.dumps({"ref": "TOKEN-1", "opened_on": "2016-05-01"})
    refused = bearer(read).post(reverse("api:cases_open"), body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["detail"][0]["type"] == "forbidden"
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {write}")
    made = client.post(reverse("api:cases_open"), body, content_type="application/json")
    assert made.status_code == 201, made.content


def test_revoked_expired_unknown_and_inactive_users_tokens_are_refused(officer_tokyo):
    token, secret = tokens.create(actor=officer_tokyo, name="t", scope="read")
    url = reverse("api:cases_list")
    assert bearer(secret).get(url).status_code == 200
    assert bearer(secret + "x").get(url).status_code == 401
    officer_tokyo.is_active = False
    officer_tokyo.save()
    assert bearer(secret).get(url).status_code == 401
    officer_tokyo.is_active = True
    officer_tokyo.save()
    AccessToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    assert bearer(secret).get(url).status_code == 401
    AccessToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + dt.timedelta(1))
    client = client_for(officer_tokyo)
    assert client.post(reverse("core:token_revoke", args=[token.pk])).status_code == 302
    response = bearer(secret).get(url)
    assert response.status_code == 401 and response.json()["detail"][0]["loc"] == ["request"]
    assert AuditEvent.objects.filter(action="token.revoke").count() == 1


@access_test("core:tokens", "core:token_revoke")
@pytest.mark.parametrize(
    "who", ["supervisor_tokyo", "officer_osaka", "clinician_tokyo", "analyst", "admin_user"]
)
def test_nobody_revokes_or_sees_another_users_token(request, officer_tokyo, who):
    token, _secret = tokens.create(actor=officer_tokyo, name="mine-token", scope="read")
    other = client_for(request.getfixturevalue(who))
    assert other.post(reverse("core:token_revoke", args=[token.pk])).status_code == 404
    page = other.get(reverse("core:tokens"))
    assert page.status_code == 200 and "mine-token" not in page.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


# --- listing and revoking through the API ----------------------------------------------


def test_the_api_lists_ones_own_tokens_with_their_last_use_never_the_secret(
    officer_tokyo, officer_osaka
):
    mine, secret = tokens.create(actor=officer_tokyo, name="nightly", scope="write")
    tokens.create(actor=officer_osaka, name="osaka-token", scope="read")
    client = bearer(secret)
    listing = client.get(reverse("api:tokens_list"))
    assert listing.status_code == 200, listing.content
    body = listing.json()
    assert body["count"] == 1 and body["pages"] == 1
    (row,) = body["results"]
    assert (row["id"], row["name"], row["scope"], row["hint"]) == (
        mine.pk,
        "nightly",
        "write",
        mine.hint,
    )
    assert row["active"] is True and row["revoked_at"] is None
    assert row["created_at"] and row["expires_at"] and row["last_used_at"]  # this very use
    text = listing.content.decode()
    assert secret not in text and mine.key_hash not in text and "osaka-token" not in text
    # A session lists the same tokens.
    session = client_for(officer_tokyo).get(reverse("api:tokens_list")).json()
    assert [r["id"] for r in session["results"]] == [mine.pk]


@access_test("api:tokens_list", "api:tokens_revoke")
@pytest.mark.parametrize(
    "who", ["supervisor_tokyo", "officer_osaka", "clinician_tokyo", "analyst", "admin_user"]
)
def test_the_api_revokes_ones_own_token_and_another_users_is_404(request, officer_tokyo, who):
    token, secret = tokens.create(actor=officer_tokyo, name="mine-token", scope="read")
    other_user = request.getfixturevalue(who)
    _t, other_secret = tokens.create(actor=other_user, name="theirs", scope="write")
    other = bearer(other_secret)
    refused = other.post(reverse("api:tokens_revoke", args=[token.pk]))
    assert refused.status_code == 404 and refused.json()["detail"][0]["type"] == "not_found"
    assert "mine-token" not in other.get(reverse("api:tokens_list")).content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    assert not AuditEvent.objects.filter(action="token.revoke").exists()

    # Revoking needs a read-write token (a POST); the owner's session may do it too.
    _t, write = tokens.create(actor=officer_tokyo, name="admin-script", scope="write")
    assert bearer(secret).post(reverse("api:tokens_revoke", args=[token.pk])).status_code == 403
    done = bearer(write).post(reverse("api:tokens_revoke", args=[token.pk]))
    assert done.status_code == 200, done.content
    assert done.json()["active"] is False and done.json()["revoked_at"]
    assert bearer(secret).get(reverse("api:tokens_list")).status_code == 401
    audit = AuditEvent.objects.get(action="token.revoke")
    assert audit.actor == officer_tokyo and audit.object_id == str(token.pk)
    again = bearer(write).post(reverse("api:tokens_revoke", args=[token.pk]))
    assert (
        again.status_code == 200 and AuditEvent.objects.filter(action="token.revoke").count() == 1
    )
