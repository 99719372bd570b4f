"""Removing an account's second factors, once a reset has been approved.

A user who lost their second factor and has no recovery code left asks their
supervisor; the reset is a pending account change like any other and only its
approval calls `remove_second_factors`. The user enrols again at the next
sign-in (the enrolment page is the only one open without a factor).
"""

from __future__ import annotations

from django_otp import devices_for_user

from tsunagu.core.models import User


def remove_second_factors(user: User) -> int:
    """Delete every second-factor device of `user`; returns how many were removed.

    django-otp lists every device model of the installed plug-ins: TOTP
    authenticators, recovery codes (static devices, their tokens cascade) and
    WebAuthn credentials (django-otp-webauthn). Unconfirmed devices go too, so
    that no half-enrolled factor survives.
    """
    devices = list(devices_for_user(user, confirmed=None))
    for device in devices:
        device.delete()
    return len(devices)
