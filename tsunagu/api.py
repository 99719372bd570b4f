"""The JSON API at /api/v1/ (OpenAPI at /api/v1/docs), for signed-in users (session)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import django_auth

from tsunagu.cases.api import router as cases_router
from tsunagu.core.api import router as core_router
from tsunagu.core.busy import busy_json, is_busy
from tsunagu.interchange.api import router as interchange_router
from tsunagu.reports.api import router as reports_router
from tsunagu.risk.api import router as risk_router
from tsunagu.treatment.api import router as treatment_router

api = NinjaAPI(
    title="Tsunagu API",
    version="1",
    urls_namespace="api",
    auth=django_auth,
    # The schema and its docs page are for signed-in users only (police intranet).
    docs_decorator=login_required,
)
api.add_router("/", core_router)
api.add_router("/cases", cases_router)
api.add_router("/treatment", treatment_router)
api.add_router("/interchange", interchange_router)
api.add_router("/reports", reports_router)
api.add_router("/risk", risk_router)


@api.exception_handler(OperationalError)
def database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """A lock wait that ran out answers 503 + Retry-After (nothing saved), not 500."""
    if is_busy(exc):
        return busy_json()
    raise exc
