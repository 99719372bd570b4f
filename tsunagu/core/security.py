"""Session security on every request: timeouts, the second-factor gate, headers.

- Idle (`SESSION_IDLE_SECONDS`) and absolute (`SESSION_MAX_SECONDS`) timeouts:
  past either, the session ends (audited) and the user gets the sign-in page.
- With `REQUIRE_MFA`, a user signed in with the password only reaches the
  second-factor pages (enrolment or verification) and sign-out; any other page
  redirects there, any API path answers a JSON 403.
- `Cache-Control: no-store` on every response to a signed-in user, and a
  Permissions-Policy on every response.

Whether the session passed a second factor is read from the session (the key
django-otp sets on `django_otp.login`), so the gate costs no query.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY

LOGIN_AT = "tsunagu_login_at"
SEEN_AT = "tsunagu_seen_at"
VERIFIED_AT = "tsunagu_mfa_at"

# Pages a signed-in user without a second factor may still reach.
MFA_OPEN_PREFIXES = ("/mfa/", "/webauthn/", "/logout/", "/static/", "/i18n/", "/login/")


def session_verified(request: HttpRequest) -> bool:
    """Whether this session passed a second factor (TOTP, recovery code or WebAuthn)."""
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(DEVICE_ID_SESSION_KEY))


def mfa_required() -> bool:
    return bool(settings.REQUIRE_MFA)


def mark_signed_in(request: HttpRequest) -> None:
    """Start the clocks of a new session (called on every sign-in)."""
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now


def _expired(request: HttpRequest, now: int) -> str:
    session = request.session
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT)
    if login_at is None or seen_at is None:
        # A session from before the clocks existed: start them now.
        mark_signed_in(request)
        return ""
    if now - int(login_at) > settings.SESSION_MAX_SECONDS:
        return "absolute"
    if now - int(seen_at) > settings.SESSION_IDLE_SECONDS:
        return "idle"
    # Write the last activity only now and then: a session write is a query.
    step = min(60, settings.SESSION_IDLE_SECONDS // 10)
    if now - int(seen_at) >= step:
        session[SEEN_AT] = now
    return ""


class SessionSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            # django-otp's views and django-otp-webauthn ask the user object.
            user.is_verified = lambda: session_verified(request)  # type: ignore[union-attr,attr-defined]
            reason = _expired(request, int(time.time()))
            if reason:
                from tsunagu.core.lockout import audit_session_end

                audit_session_end(request, user, reason)
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": _("Your session has ended.")}, status=401)
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            blocked = self._mfa_gate(request)
            response = blocked or self.get_response(request)
        else:
            response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    def _mfa_gate(self, request: HttpRequest) -> HttpResponse | None:
        if not mfa_required() or session_verified(request):
            return None
        if request.path.startswith(MFA_OPEN_PREFIXES):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": _(
                        "A second factor is required: finish signing in with your "
                        "authenticator or security key at /mfa/ first."
                    )
                },
                status=403,
            )
        return redirect(f"/mfa/?next={_quote(request.get_full_path())}")


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def security_context(request: HttpRequest) -> dict[str, Any]:
    """The demo banner (second factor off) and the CSP nonce for templates."""
    return {"mfa_off_banner": not mfa_required()}
