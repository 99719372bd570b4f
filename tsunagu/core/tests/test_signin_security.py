"""Sign-in security: lockout, second factor, sessions, step-up, headers, passwords."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tsunagu.core import lockout, stepup
from tsunagu.core.models import AuditEvent, User
from tsunagu.core.passwords import is_breached
from tsunagu.testing import (
    access_test,
    assert_no_markers,
    client_for,
    enrol_totp,
    totp_code,
)
from tsunagu.testing.builders import PASSWORD, VICTIM_ADDRESS, VICTIM_MARKERS

LOGIN = "/login/"


def _sign_in(client: Client, username: str, password: str, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


# --- lockout ---------------------------------------------------------------------------


def test_five_wrong_passwords_then_the_right_one_is_refused(db, officer_tokyo):
    client = Client()
    for _ in range(5):
        response = _sign_in(client, "officer-tokyo", "wrong-password-123")
        assert "_auth_user_id" not in client.session
    response = _sign_in(client, "officer-tokyo", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "Too many failed" in response.content.decode() or "失敗" in response.content.decode()
    failures = AuditEvent.objects.filter(action="user.login_failed", actor=officer_tokyo)
    assert failures.count() >= 5
    assert all(e.detail.get("ip") == "127.0.0.1" for e in failures)
    assert AuditEvent.objects.filter(action="user.locked_out", actor=officer_tokyo).exists()


def test_the_lockout_message_is_the_same_for_an_unknown_name(db, officer_tokyo):
    bodies = []
    for name in ("officer-tokyo", "nobody-at-all"):
        client = Client()
        for _ in range(5):
            _sign_in(client, name, "wrong-password-123")
        response = _sign_in(client, name, "wrong-password-123")
        assert response.status_code == 429
        body = response.content.decode().replace(name, "NAME")
        body = re.sub(r'(value|nonce)="[^"]+"', "", body)
        bodies.append(re.sub(r'"X-CSRFToken": "[^"]+"', "", body))
    assert bodies[0] == bodies[1]
    # A typed name that is no account's never reaches the audit log.
    assert not AuditEvent.objects.filter(detail__icontains="nobody-at-all").exists()


def test_the_address_throttle_counts_failures_across_names(db, settings, officer_tokyo):
    settings.LOCKOUT_ADDRESS_FAILURES = 3
    client = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(3):
        _sign_in(client, f"someone-{n}", "wrong-password-123")
    response = _sign_in(client, "officer-tokyo", PASSWORD)
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    # Another address is not throttled.
    other = Client(REMOTE_ADDR="10.0.0.10")
    assert _sign_in(other, "officer-tokyo", PASSWORD).status_code == 302


def test_a_forwarded_address_counts_only_from_a_trusted_proxy(rf, settings):
    request = rf.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="10.1.1.1")
    assert lockout.client_ip(request) == "203.0.113.5"
    settings.TRUSTED_PROXIES = ["203.0.113.0/24"]
    assert lockout.client_ip(request) == "10.1.1.1"
    spoofed = rf.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.1.1")
    assert lockout.client_ip(spoofed) == "10.1.1.1"


def _lock(username: str) -> None:
    client = Client()
    for _ in range(5):
        _sign_in(client, username, "wrong-password-123")


@access_test("core:security", "core:security_unlock")
@pytest.mark.parametrize(
    ("who", "sees", "unlocks"),
    [
        ("supervisor_tokyo", True, True),
        ("admin_user", True, True),
        ("supervisor_osaka", False, False),
        ("officer_tokyo", False, False),
        ("clinician_tokyo", False, False),
        ("analyst", False, False),
    ],
)
def test_who_may_unlock(request, db, officer_tokyo, who, sees, unlocks):
    viewer = request.getfixturevalue(who)
    locked = User.objects.create_user(
        "officer-tokyo-2", password=PASSWORD, role="officer", region=officer_tokyo.region
    )
    _lock(locked.username)
    client = client_for(viewer)
    page = client.get(reverse("core:security"))
    if viewer.is_supervisor or viewer.is_admin:
        assert page.status_code == 200
        assert ("officer-tokyo-2" in page.content.decode()) is sees
    else:
        assert page.status_code == 404
    response = client.post(reverse("core:security_unlock", args=[locked.pk]))
    assert response.status_code == (302 if unlocks else 404)
    signed = _sign_in(Client(), locked.username, PASSWORD)
    assert (signed.status_code == 302) is unlocks
    assert AuditEvent.objects.filter(action="user.unlock").exists() is unlocks


# --- the second factor -------------------------------------------------------------------


def _password_only(user: User) -> Client:
    return client_for(user, second_factor=False)


@access_test("core:mfa", "core:mfa_totp", "core:mfa_recovery")
def test_totp_enrolment_gives_recovery_codes_and_verifies_the_session(db, officer_tokyo):
    client = _password_only(officer_tokyo)
    assert client.get("/cases/")["Location"].startswith("/mfa/")
    page = client.get(reverse("core:mfa"))
    assert page.status_code == 200 and b"data:image/svg+xml" in page.content
    device = TOTPDevice.objects.get(user=officer_tokyo, confirmed=False)
    wrong = client.post(reverse("core:mfa_totp"), {"code": "000000"})
    assert wrong.status_code == 400
    key_before = client.session.session_key
    done = client.post(reverse("core:mfa_totp"), {"code": totp_code(device), "next": "/cases/"})
    assert client.session.session_key != key_before
    assert done.status_code == 200 and b"recovery-codes" in done.content
    assert StaticToken.objects.filter(device__user=officer_tokyo).count() == 10
    assert client.get("/cases/").status_code == 200
    assert AuditEvent.objects.filter(action="user.mfa_enrolled", actor=officer_tokyo).exists()
    # New recovery codes replace the old ones.
    assert client.post(reverse("core:mfa_recovery")).status_code == 200


def test_replayed_wrong_and_recovery_codes(db, officer_tokyo):
    device = enrol_totp(officer_tokyo)
    from tsunagu.core.mfa import new_recovery_codes

    codes = new_recovery_codes(officer_tokyo)
    first = _password_only(officer_tokyo)
    code = totp_code(device)
    assert first.post(reverse("core:mfa"), {"code": code}).status_code == 302
    # The same code again (replay) is refused and counted.
    second = _password_only(officer_tokyo)
    assert second.post(reverse("core:mfa"), {"code": code}).status_code == 400
    # An expired code (from ten minutes ago) is refused.
    from django_otp.oath import totp

    old = f"{totp(device.bin_key, t0=device.t0 + 600, digits=6):06d}"
    assert second.post(reverse("core:mfa"), {"code": old}).status_code == 400
    # A recovery code works once.
    assert second.post(reverse("core:mfa"), {"code": codes[0]}).status_code == 302
    third = _password_only(officer_tokyo)
    assert third.post(reverse("core:mfa"), {"code": codes[0]}).status_code == 400
    failures = AuditEvent.objects.filter(action="user.login_failed", actor=officer_tokyo)
    assert failures.count() == 3
    # A passed second factor cleared the count (a right password alone does not):
    # the reused recovery code and four wrong codes lock the account.
    for _ in range(3):
        assert third.post(reverse("core:mfa"), {"code": "123456"}).status_code == 400
    locked = third.post(reverse("core:mfa"), {"code": "123456"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in third.session
    assert _sign_in(Client(), "officer-tokyo", PASSWORD).status_code == 429


@access_test(
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
    "otp_webauthn:credential-registration-begin",
    "otp_webauthn:credential-registration-complete",
    "otp_webauthn:js-i18n-catalog",
    "core:mfa_passkey_remove",
    "core:mfa_recovery_passkey",
)
def test_a_wrong_webauthn_assertion_is_refused_counted_and_never_a_500(db, officer_tokyo):
    enrol_totp(officer_tokyo)
    client = _password_only(officer_tokyo)
    begin = client.post("/webauthn/authentication/begin/", content_type="application/json")
    assert begin.status_code == 200
    bad = client.post(
        "/webauthn/authentication/complete/",
        data='{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}',
        content_type="application/json",
    )
    assert 400 <= bad.status_code < 500
    assert "detail" in bad.json()
    garbage = client.post(
        "/webauthn/authentication/complete/", data="{not json", content_type="application/json"
    )
    assert 400 <= garbage.status_code < 500
    assert AuditEvent.objects.filter(
        action="user.login_failed", actor=officer_tokyo, detail__factor="webauthn"
    ).exists()
    # Without a second factor the registration of a key by someone else is refused.
    assert client.get(reverse("core:mfa_recovery_passkey")).status_code == 302
    assert client.post(reverse("core:mfa_passkey_remove", args=[999])).status_code == 302
    assert Client().post("/webauthn/registration/begin/").status_code == 302


def test_the_api_answers_a_json_403_without_a_second_factor(db, officer_tokyo):
    client = _password_only(officer_tokyo)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 403
    assert "二要素" in response.json()["detail"][0]["msg"]
    assert client_for(officer_tokyo).get("/api/v1/cases/").status_code == 200


def test_demo_mode_banner_when_the_second_factor_is_off(db, settings, officer_tokyo):
    settings.REQUIRE_MFA = False
    client = _password_only(officer_tokyo)
    page = client.get("/cases/")
    assert page.status_code == 200 and b'id="mfa-off-banner"' in page.content
    settings.REQUIRE_MFA = True
    assert b'id="mfa-off-banner"' not in client_for(officer_tokyo).get("/cases/").content


# --- sessions ----------------------------------------------------------------------------


def test_idle_timeout_sends_back_to_sign_in(db, settings, officer_tokyo):
    settings.SESSION_IDLE_SECONDS = 2
    client = client_for(officer_tokyo)
    assert client.get("/cases/").status_code == 200
    time.sleep(3)
    response = client.get("/cases/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert AuditEvent.objects.filter(action="user.session_expired", detail__why="idle").exists()


def test_absolute_timeout(db, settings, officer_tokyo, monkeypatch):
    client = client_for(officer_tokyo)
    assert client.get("/cases/").status_code == 200
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + settings.SESSION_MAX_SECONDS + 5)
    settings.SESSION_IDLE_SECONDS = 10**9
    response = client.get("/cases/")
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_sign_in_and_sign_out_are_audited_with_the_address(db, officer_tokyo):
    client = Client(REMOTE_ADDR="192.0.2.7")
    assert _sign_in(client, "officer-tokyo", PASSWORD).status_code == 302
    client.post("/logout/")
    login = AuditEvent.objects.get(action="user.login", actor=officer_tokyo)
    assert login.detail["ip"] == "192.0.2.7"
    assert AuditEvent.objects.filter(action="user.logout", actor=officer_tokyo).exists()


# --- step-up -----------------------------------------------------------------------------


def _reveal(client: Client, case: Any, victim: Any, reason: str = "保護のための訪問予定") -> Any:
    """Post a reveal; a success is answered with a redirect to its result, read here."""
    response = client.post(
        reverse("cases:reveal", args=[case.pk, victim.pk]),
        {f"reveal{victim.pk}-reason": reason, f"reveal{victim.pk}-reason_category": "contact"},
    )
    if response.status_code == 302 and "/revealed/" in response["Location"]:
        return client.get(response["Location"])
    return response


@access_test("core:mfa_stepup")
def test_reveal_needs_a_recent_second_factor_then_continues(db, officer_tokyo, make_case):
    case = make_case(officer_tokyo)
    victim = case.people.get(role="victim")
    device = enrol_totp(officer_tokyo)
    client = client_for(officer_tokyo)
    session = client.session
    session["tsunagu_mfa_at"] = int(time.time()) - 301
    session.save()
    response = _reveal(client, case, victim)
    assert response.status_code == 302 and response.url.startswith("/mfa/step-up/")
    assert f"victim-{victim.pk}" in response.url
    assert not AuditEvent.objects.filter(action="person.reveal").exists()
    back = client.post(
        "/mfa/step-up/",
        {"code": totp_code(device), "next": f"/cases/{case.pk}/#victim-{victim.pk}"},
    )
    assert back.status_code == 302 and back.url == f"/cases/{case.pk}/#victim-{victim.pk}"
    shown = _reveal(client, case, victim)
    assert shown.status_code == 200 and VICTIM_ADDRESS in shown.content.decode()
    assert AuditEvent.objects.get(action="person.reveal").reason.startswith("[contact]")


def test_a_weak_reason_is_refused(db, officer_tokyo, make_case):
    case = make_case(officer_tokyo)
    victim = case.people.get(role="victim")
    response = _reveal(client_for(officer_tokyo), case, victim, reason="aaaaaaaaaa")
    assert response.status_code == 400
    assert_no_markers(response.content, VICTIM_MARKERS)


@access_test("core:security_limit")
def test_the_daily_limit_and_a_supervisor_raising_it(
    db, settings, officer_tokyo, supervisor_tokyo, supervisor_osaka, make_case
):
    settings.STEPUP_DAILY_LIMIT = 1
    settings.REVEAL_ALERT_PER_USER = 1
    case = make_case(officer_tokyo)
    victim = case.people.get(role="victim")
    client = client_for(officer_tokyo)
    assert _reveal(client, case, victim).status_code == 200
    refused = _reveal(client, case, victim)
    assert refused.status_code == 400
    assert_no_markers(refused.content, VICTIM_MARKERS)
    # Another prefecture's supervisor cannot raise it; the officer's own can.
    url = reverse("core:security_limit", args=[officer_tokyo.pk])
    form = {"extra": 1, "reason": "捜査会議の準備のため"}
    assert client_for(supervisor_osaka).post(url, form).status_code == 404
    assert client.post(url, form).status_code == 404
    assert client_for(supervisor_tokyo).post(url, form).status_code == 302
    assert _reveal(client, case, victim).status_code == 200
    assert stepup.uses_today(officer_tokyo) == 2
    page = client_for(supervisor_tokyo).get(reverse("core:security")).content.decode()
    assert 'id="reveal-alerts"' in page and "officer-tokyo" in page
    osaka_page = client_for(supervisor_osaka).get(reverse("core:security")).content.decode()
    assert 'id="reveal-alerts"' not in osaka_page


def test_personal_export_needs_the_step_up(db, supervisor_tokyo):
    client = client_for(supervisor_tokyo)
    session = client.session
    session["tsunagu_mfa_at"] = 0
    session.save()
    response = client.post(
        reverse("interchange:export"),
        {
            "file_format": "csv",
            "include_personal": "on",
            "reason": "県警間の移管のため",
            "reason_category": "other",
        },
    )
    assert response.status_code == 302 and response.url.startswith("/mfa/step-up/")
    plain = client.post(reverse("interchange:export"), {"file_format": "csv"})
    assert plain.status_code == 200 and plain["Content-Disposition"]


# --- passwords ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["P@ssw0rd1234", "iloveyou1234", "Dragon!!2024", "qwerty123456"]
)
def test_breached_passwords_are_refused(db, password):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    assert is_breached(password)
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_long_passphrase_is_accepted(db):
    from django.contrib.auth.password_validation import validate_password

    assert not is_breached("藤棚の下で朝の電車を待つ")
    validate_password("藤棚の下で朝の電車を待つ")
    validate_password("purple-kettle-on-mount-fuji")


def test_production_hashes_with_argon2_at_least_owasp_minimum():
    import importlib

    prod = importlib.import_module("tsunagu.settings")
    assert prod.PASSWORD_HASHERS[0].endswith("TsunaguArgon2PasswordHasher")
    assert prod.ARGON2_MEMORY_KIB >= 19456 and prod.ARGON2_TIME_COST >= 2
    from tsunagu.core.passwords import TsunaguArgon2PasswordHasher

    encoded = TsunaguArgon2PasswordHasher().encode("purple-kettle-on-mount-fuji", "saltsaltsalt")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


# --- headers on every page, and the second-factor gate on every page -----------------------


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, prefix + route)
        elif isinstance(pattern, URLPattern):
            yield prefix + route


def _concrete(route: str, ids: dict[str, int]) -> str:
    path = route.lstrip("^").rstrip("$")
    path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: str(ids.get(m.group(2), 1)), path)
    path = re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)
    path = path.replace("\\Z", "").replace("\\", "")
    return "/" + path


def test_every_page_has_csp_no_store_and_needs_the_second_factor(
    db, officer_tokyo, supervisor_tokyo, make_case
):
    case = make_case(officer_tokyo)
    victim = case.people.get(role="victim")
    ids = {"pk": case.pk, "case_id": case.pk, "person_pk": victim.pk}
    paths = sorted({_concrete(r, ids) for r in _routes()})
    assert "/cases/" in paths and "/security/" in paths and "/mfa/" in paths
    verified = client_for(supervisor_tokyo)
    unverified = client_for(supervisor_tokyo, second_factor=False)
    open_prefixes = ("/mfa/", "/webauthn/", "/logout/", "/login/", "/i18n/", "/static/")
    checked = 0
    for path in paths:
        if path.startswith(("/logout/", "/i18n/")):
            continue
        response = verified.get(path)
        assert response.status_code < 500, path
        assert "no-store" in response.get("Cache-Control", ""), path
        if response.get("Content-Type", "").startswith("text/html"):
            csp = response["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
            assert (
                "<script>" not in response.content.decode()
                and " style=" not in response.content.decode()
            ), path
        assert "Permissions-Policy" in response, path
        blocked = unverified.get(path)
        if path.startswith(open_prefixes):
            continue
        if path.startswith("/api/"):
            assert blocked.status_code in (403, 405), path
        else:
            assert blocked.status_code == 302 and blocked.url.startswith("/mfa/"), path
        checked += 1
    assert checked > 20


def test_host_prefixed_cookies_under_https():
    import os
    import subprocess
    import sys

    env = {**os.environ, "TSUNAGU_HTTPS": "1"}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import tsunagu.settings as s; print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["__Host-sessionid", "__Host-csrftoken"]


def test_the_password_rules_are_stated_before_a_failure(db, officer_tokyo):
    # Nobody types a password for someone else (a temporary one is generated on
    # approval), so the rules are on the page where users choose their own.
    page = client_for(officer_tokyo).get(reverse("core:own_password"))
    body = page.content.decode()
    assert 'id="password-rules"' in body and "12文字以上" in body and "P@ssw0rd" in body
