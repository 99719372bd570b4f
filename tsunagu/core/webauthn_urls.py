"""WebAuthn ceremony endpoints (JSON), under /webauthn/, in the plug-in's namespace
so that its script finds them; the views add audit, lockout and no-500 answers."""

from __future__ import annotations

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from tsunagu.core import mfa_views

app_name = "otp_webauthn"
urlpatterns = [
    path(
        "registration/begin/",
        mfa_views.BeginRegistration.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        mfa_views.CompleteRegistration.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        mfa_views.BeginAuthentication.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        mfa_views.CompleteAuthentication.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
