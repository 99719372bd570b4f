"""Removing an account's second factors, once a reset has been approved.

A user who lost their second factor and has no recovery code left asks their
supervisor; the reset is a pending account change like any other and only its
approval calls `remove_second_factors`. The second factor itself is provided
by a third-party library; this is the one place that knows where it stores
devices. Both libraries the project considered are handled, each only when its
app is installed, so the function is correct whichever is configured.
"""

from __future__ import annotations

from django.apps import apps

from tsunagu.core.models import User


def remove_second_factors(user: User) -> int:
    """Delete every second-factor device of `user`; returns how many were removed.

    django-allauth's `mfa` keeps TOTP secrets, recovery codes and WebAuthn keys
    as `Authenticator` rows; django-otp keeps one model per device kind, listed
    by `devices_for_user` (unconfirmed devices too, so that no half-enrolled
    factor survives).
    """
    removed = 0
    if apps.is_installed("allauth.mfa"):
        authenticator = apps.get_model("mfa", "Authenticator")
        removed += authenticator.objects.filter(user=user).delete()[0]
    if apps.is_installed("django_otp"):
        from django_otp import devices_for_user

        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            removed += 1
    return removed
