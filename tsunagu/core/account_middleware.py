"""A temporary password must be replaced at the first sign-in.

An administrator's or supervisor's reset, or a new account, leaves the account
with `must_change_password`; until the user chooses their own password, every
page redirects to the password page and every API call answers 403.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

# The second factor comes first (its pages must stay open, or the two gates
# would send a new user back and forth); then the password.
ALLOWED_PREFIXES = ("/static/", "/i18n/", "/login/", "/logout/", "/mfa/", "/webauthn/")


class PasswordChangeRequiredMiddleware:
    """Runs after authentication (and after the login-required check)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
        ):
            target = reverse("core:own_password")
            path = request.path
            if path != target and not path.startswith(ALLOWED_PREFIXES):
                if path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": _("Change your temporary password first.")}, status=403
                    )
                return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
