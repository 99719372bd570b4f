"""Second factors: TOTP, recovery codes and WebAuthn (django-otp and its plug-in).

A user enrols an authenticator app (TOTP) or a passkey/security key
(WebAuthn); the first enrolment also creates ten one-time recovery codes.
Signing in is the password, then one of the factors. A TOTP code is accepted
once (django-otp remembers the last time step used), a recovery code once
(it is deleted when used). Every wrong code counts towards the lockout.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from tsunagu.core import lockout
from tsunagu.core.models import User
from tsunagu.core.security import VERIFIED_AT

RECOVERY_CODES = 10
RECOVERY_NAME = "recovery"
TOTP_NAME = "authenticator"


def totp_devices(user: User) -> list[TOTPDevice]:
    return list(TOTPDevice.objects.filter(user=user, confirmed=True))


def webauthn_credentials(user: User) -> list[WebAuthnCredential]:
    return list(WebAuthnCredential.objects.filter(user=user, confirmed=True))


def has_factor(user: User) -> bool:
    """Enrolled: a confirmed TOTP device or WebAuthn credential (recovery codes alone do not count)."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).count()


def pending_totp(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being set up (a new secret if there is none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=TOTP_NAME).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def _clean(code: str) -> str:
    return "".join(str(code).split()).replace("-", "").lower()


def mark_verified(request: HttpRequest, device: Any, factor: str) -> None:
    """The session passed a second factor now (audited; starts the step-up window)."""
    from axes.utils import reset

    # A new session key once the second factor passes (as at the password step).
    request.session.cycle_key()
    otp_login(request, device)
    request.session[VERIFIED_AT] = int(time.time())
    reset(username=device.user.get_username())
    lockout.audit_auth("user.mfa_verified", request, device.user, factor=factor)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones (shown once)."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
        lockout.audit_auth("user.recovery_codes", None, user, count=len(codes))
    return codes


def confirm_totp(request: HttpRequest, user: User, code: str) -> list[str] | None:
    """Finish setting up the authenticator with its first code.

    Returns new recovery codes when this is the user's first factor, an empty
    list otherwise, and None for a wrong code (counted towards the lockout).
    """
    device = pending_totp(user)
    if not device.verify_token(_clean(code)):
        lockout.record_factor_failure(request, user, "totp_enrolment")
        return None
    first = not has_factor(user)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save()
        lockout.audit_auth("user.mfa_enrolled", request, user, factor="totp")
    mark_verified(request, device, "totp")
    return new_recovery_codes(user) if first or not recovery_codes_left(user) else []


def matching_factor(user: User, code: str) -> tuple[Any, str] | None:
    """The device a TOTP or recovery code passes, and its kind, or None.

    A passing code is used up (a TOTP time step once, a recovery code deleted)."""
    token = _clean(code)
    if token:
        for device in totp_devices(user):
            if token.isdigit() and device.verify_token(token):
                return device, "totp"
        for static in StaticDevice.objects.filter(user=user, name=RECOVERY_NAME, confirmed=True):
            if static.verify_token(token):
                return static, "recovery"
    return None


def verify_code(request: HttpRequest, user: User, code: str) -> str:
    """Check a TOTP or recovery code: 'totp', 'recovery', or '' when refused.

    A refused code (wrong, expired, replayed or already used) counts towards the
    lockout and is audited by `lockout.record_factor_failure`.
    """
    found = matching_factor(user, code)
    if found is not None:
        mark_verified(request, *found)
        return found[1]
    lockout.record_factor_failure(request, user, "code")
    return ""


def verify_code_once(request: HttpRequest, user: User, code: str) -> str:
    """`verify_code` for one API request (a token has no session to mark):
    the same codes, the same lockout count, audited with `once`."""
    found = matching_factor(user, code)
    if found is not None:
        lockout.audit_auth("user.mfa_verified", request, user, factor=found[1], once=True)
        return found[1]
    lockout.record_factor_failure(request, user, "code")
    return ""


def remove_webauthn(user: User, pk: int, request: HttpRequest) -> bool:
    """Remove one of the user's own passkeys (never the last factor)."""
    credential = WebAuthnCredential.objects.filter(user=user, pk=pk).first()
    if credential is None:
        return False
    if len(totp_devices(user)) + len(webauthn_credentials(user)) <= 1:
        return False
    with transaction.atomic():
        credential.delete()
        lockout.audit_auth("user.mfa_removed", request, user, factor="webauthn")
    return True
