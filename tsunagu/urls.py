"""Top-level URLs. Each app owns its own urls.py and API router."""

from __future__ import annotations

from django.urls import include, path

from tsunagu.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tsunagu.core.urls")),
    path("cases/", include("tsunagu.cases.urls")),
    path("treatment/", include("tsunagu.treatment.urls")),
    path("risk/", include("tsunagu.risk.urls")),
    path("interchange/", include("tsunagu.interchange.urls")),
    path("reports/", include("tsunagu.reports.urls")),
    path("notifications/", include("tsunagu.notifications.urls")),
    path("api/v1/", api.urls),
    path("webauthn/", include("tsunagu.core.webauthn_urls")),
]
