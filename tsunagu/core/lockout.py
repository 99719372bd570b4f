"""Lockout after failed sign-ins, the per-address throttle, and the sign-in audit.

django-axes counts failures per account name (`LOCKOUT_FAILURES` within
`LOCKOUT_MINUTES`, then locked for `LOCKOUT_MINUTES`), for names that exist
and names that do not alike, so the answer never tells which. Wrong second
factors count as failures of the same name. Separately, a client address is
throttled after `LOCKOUT_ADDRESS_FAILURES` failures in the same window.

The client address is REMOTE_ADDR, or the address in X-Forwarded-For just in
front of the last trusted proxy when the request came from a proxy listed in
`TRUSTED_PROXIES`.

Every sign-in, failure, lockout, unlock, sign-out and session end is audited
with the user (when known), the time and the client address.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth import user_logged_in, user_logged_out, user_login_failed
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tsunagu.core.audit import audit
from tsunagu.core.models import User


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.TRUSTED_PROXIES:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request: HttpRequest) -> str:
    """The client's address; X-Forwarded-For only counts behind a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    if not _is_trusted_proxy(remote):
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    # Walk from the right: the first address that is not one of our proxies.
    for address in reversed(forwarded):
        try:
            ipaddress.ip_address(address)
        except ValueError:
            return remote
        if not _is_trusted_proxy(address):
            return address
    return remote


def _window_start() -> Any:
    return timezone.now() - settings.AXES_COOLOFF_TIME


def address_throttled(request: HttpRequest) -> bool:
    ip = client_ip(request)
    if not ip:
        return False
    count = AccessFailureLog.objects.filter(ip_address=ip, attempt_time__gte=_window_start())
    return count.count() >= settings.LOCKOUT_ADDRESS_FAILURES


class AddressThrottleBackend(ModelBackend):
    """First backend: refuses any sign-in from an address with too many failures.

    It never signs anyone in itself; it is a ModelBackend only so that a session
    naming it (the first backend) still finds its user.
    """

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, **credentials: Any
    ) -> None:
        if request is not None and address_throttled(request):
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            raise PermissionDenied
        return None


def is_locked(request: HttpRequest, username: str) -> bool:
    return bool(AxesProxyHandler.is_locked(request, {"username": username}))


LOCKED_MESSAGE = gettext_lazy(
    "Too many failed sign-ins for this user name or from this address. Try again "
    "later, or ask your supervisor or an administrator to unlock the account."
)


def locked_out_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The sign-in page with the same message for every name, existing or not."""
    if request.path.startswith("/api/") or request.content_type == "application/json":
        from django.http import JsonResponse

        return JsonResponse({"detail": str(LOCKED_MESSAGE)}, status=429)
    from django.contrib.auth import logout

    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        logout(request)
    from django.contrib.auth.forms import AuthenticationForm

    return render(
        request,
        "registration/login.html",
        {"form": AuthenticationForm(request), "locked_message": str(LOCKED_MESSAGE)},
        status=429,
    )


def record_factor_failure(request: HttpRequest, user: User, factor: str) -> bool:
    """A wrong second factor: counts towards the lockout and is audited.

    Returns whether the account is now locked (the caller then ends the session).
    """
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username()},
        request=request,
        factor=factor,
    )
    return is_locked(request, user.get_username())


def _prefecture(user: User | None) -> Any:
    if user is None:
        return None
    if user.prefecture is not None:
        return user.prefecture
    clinic = getattr(user, "clinic", None)
    return clinic.prefecture if clinic is not None else None


def audit_auth(action: str, request: HttpRequest | None, user: User | None, **detail: Any) -> None:
    address = client_ip(request) if request is not None else ""
    with transaction.atomic():
        audit(
            actor=user,
            action=action,
            obj=user,
            prefecture=_prefecture(user),
            ip=address,
            **detail,
        )


def audit_session_end(request: HttpRequest, user: Any, reason: str) -> None:
    audit_auth("user.session_expired", request, user, why=reason)


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        from tsunagu.core.security import mark_signed_in

        mark_signed_in(request)
    # The audit event is written by the sign-in view (a test's force_login is not a sign-in).


@receiver(user_logged_out)
def _on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None and getattr(user, "pk", None):
        audit_auth("user.logout", request, user)


@receiver(user_login_failed)
def _on_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")
    user = User.objects.filter(username=username).first() if username else None
    # The typed name is kept only when it is an account's: a password typed into
    # the name field must not reach the log.
    audit_auth(
        "user.login_failed",
        request,
        user,
        factor=kwargs.get("factor", "password"),
        known=user is not None,
    )
    if request is not None and getattr(request, "axes_locked_out", False):
        audit_auth("user.locked_out", request, user, known=user is not None)


def locked_accounts(viewer: User) -> QuerySet[User]:
    """Accounts the viewer may unlock that are locked now (supervisor: prefecture)."""
    from tsunagu.core.access import prefecture_users

    names = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=_window_start()
    ).values("username")
    if viewer.is_admin:
        scope = User.objects.all()
    else:
        scope = prefecture_users(viewer)
    return scope.filter(username__in=names).order_by("username")


def unlock(*, actor: User, user: User, request: HttpRequest | None = None) -> int:
    """Clear the failed sign-ins of an account (audited)."""
    from axes.utils import reset

    with transaction.atomic():
        removed = int(reset(username=user.get_username()))
        audit(
            actor=actor,
            action="user.unlock",
            obj=user,
            prefecture=_prefecture(user),
            ip=client_ip(request) if request is not None else "",
            removed=removed,
        )
    return removed
