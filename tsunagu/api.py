"""The JSON API at /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

For signed-in users (session cookie + CSRF header) and for scripts (a personal
access token, `Authorization: Bearer`, see docs/api.md). Every error answers
`ErrorOut` (tsunagu/core/api.py): the handlers below for what the operations
raise, `ApiErrorMiddleware` for what Django answers itself.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation

from tsunagu.cases.api import router as cases_router
from tsunagu.core.api import auth_for, error_body, error_json, normal_detail, signed_in_or_token
from tsunagu.core.api import router as core_router
from tsunagu.core.busy import busy_message, is_busy, retry_after
from tsunagu.core.token_api import router as tokens_router
from tsunagu.interchange.api import router as interchange_router
from tsunagu.reports.api import router as reports_router
from tsunagu.risk.api import router as risk_router
from tsunagu.treatment.api import router as treatment_router


class TsunaguAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """Short and stable: the view's name (unique, prefixed by its app)."""
        return operation.view_func.__name__

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["TokenAuth"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token (My account > Access tokens).",
        }
        schemes["SessionAuth"] = {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The browser session; writes also need the CSRF header.",
        }
        schemes["CSRFHeader"] = {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRFToken",
            "description": "With the session cookie on POST/PUT/PATCH/DELETE.",
        }
        return schema


api = TsunaguAPI(
    title="Tsunagu API",
    version="1",
    urls_namespace="api",
    auth=auth_for(),
    # The schema and its docs page: signed-in users and scripts with a token only.
    docs_decorator=signed_in_or_token,
)
api.add_router("/", core_router)
api.add_router("/cases", cases_router)
api.add_router("/treatment", treatment_router)
api.add_router("/interchange", interchange_router)
api.add_router("/reports", reports_router)
api.add_router("/risk", risk_router)
api.add_router("/tokens", tokens_router)


@api.exception_handler(OperationalError)
def database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    """A lock wait that ran out answers 503 + Retry-After (nothing saved), not 500."""
    if is_busy(exc):
        response = JsonResponse({**error_body(503, busy_message()), "saved": False}, status=503)
        response["Retry-After"] = retry_after()
        return response
    raise exc


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"detail": normal_detail(exc.errors, 422)}, status=422)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_json(exc.status_code, str(exc) if exc.status_code != 400 else None)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_json(401)
    response["WWW-Authenticate"] = 'Bearer realm="tsunagu"'
    return response


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_json(404)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_json(403, str(exc) or None)


@api.exception_handler(RequestDataTooBig)
def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_json(413)


@api.exception_handler(MultiPartParserError)
def bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    return error_json(400)
