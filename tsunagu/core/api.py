"""What every router of the JSON API shares: who may call it, and how it says no.

Authentication: a personal access token (`Authorization: Bearer tsu_…`,
tsunagu/core/tokens.py) or the browser session (cookie, with the CSRF header on
writes). `auth_for(role)` also checks the role *before* the request is validated,
so a user without the role gets a 404 whatever they send, never a 422.

Errors: every answer >= 400 under /api/ is `{"detail": [{"loc", "msg", "type"}]}`
(`ErrorOut`). `loc` is `[where]` or `[where, field, ...]`, `where` one of
"body", "query", "path", "header" or "request". `errors.py`-style handlers live
in tsunagu/api.py; `ApiErrorMiddleware` turns what Django answers itself (an
unknown path, a body too large, a second-factor gate) into the same shape.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf
from pydantic import AfterValidator, BeforeValidator, ConfigDict, WithJsonSchema, field_validator

router = Router(tags=["core"])

Role = Callable[[Any], bool]

WHERE = ("body", "query", "path", "header", "request")


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(Schema):
    """Every error answer of the API."""

    detail: list[ErrorItem]


# Status -> (type, default message) for errors that name no field.
STATUS_ERRORS: dict[int, tuple[str, Any]] = {
    400: ("bad_request", gettext_lazy("The request could not be read.")),
    401: ("not_authenticated", gettext_lazy("Sign in, or send a valid access token.")),
    403: ("forbidden", gettext_lazy("You are not allowed to do this.")),
    404: ("not_found", gettext_lazy("Not found.")),
    405: ("method_not_allowed", gettext_lazy("This method is not allowed here.")),
    409: ("conflict", gettext_lazy("The data changed meanwhile; reload and try again.")),
    413: ("too_large", gettext_lazy("The request body is too large.")),
    415: ("unsupported_media_type", gettext_lazy("Send the body as application/json.")),
    422: ("value_error", gettext_lazy("The request is not valid.")),
    429: ("too_many_requests", gettext_lazy("Too many requests; try again later.")),
    500: ("server_error", gettext_lazy("Something went wrong on the server.")),
    503: ("busy", gettext_lazy("The service is busy; try again in a few seconds.")),
}

# The error answers every operation documents (plus 422 where it takes input).
COMMON_ERRORS = (400, 401, 403, 404, 405, 413, 415, 422, 429, 503)


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """`response=` entries: ErrorOut for the common statuses and `statuses`."""
    return {status: ErrorOut for status in (*COMMON_ERRORS, *statuses)}


def responses(ok: Any, status: int = 200, *extra: int) -> dict[int, Any]:
    """The `response=` of an operation: its success and every documented error."""
    return {status: ok, **errors(*extra)}


def error_body(status: int, msg: str | None = None, loc: list[Any] | None = None) -> dict[str, Any]:
    kind, default = STATUS_ERRORS.get(status, ("error", STATUS_ERRORS[400][1]))
    return {"detail": [{"loc": loc or ["request"], "msg": msg or str(default), "type": kind}]}


def error_json(status: int, msg: str | None = None, loc: list[Any] | None = None) -> JsonResponse:
    response = JsonResponse(error_body(status, msg, loc), status=status)
    return response


def normal_detail(detail: Any, status: int) -> list[dict[str, Any]]:
    """Any `detail` (a string, ninja's or pydantic's list) in the one shape."""
    if isinstance(detail, str):
        return error_body(status, detail)["detail"]
    if not isinstance(detail, list):
        return error_body(status)["detail"]
    return [normal_item(item, status) for item in detail]


def normal_item(item: Any, status: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        return error_body(status, str(item))["detail"][0]
    loc = [part for part in item.get("loc", []) if isinstance(part, str | int)]
    if not loc or loc[0] not in WHERE:
        loc = ["request", *loc] if loc else ["request"]
    # ninja names the parameter too (["body", "payload", "date"]): one shape, no name.
    if loc[0] in ("body", "query") and len(loc) > 2 and loc[1] in PARAM_NAMES:
        loc = [loc[0], *loc[2:]]
    return {
        "loc": loc,
        "msg": translated(item),
        "type": str(item.get("type") or STATUS_ERRORS.get(status, ("error",))[0]),
    }


# The parameter names our operations give their schemas (`payload: X`, `q: Query[X]`).
PARAM_NAMES = {"payload", "q", "filters"}

# pydantic's messages are English: these common ones are said in the user's language.
PYDANTIC_MESSAGES: dict[str, Any] = {
    "missing": gettext_lazy("This field is required."),
    "extra_forbidden": gettext_lazy("This field is not expected."),
    "date_from_datetime_inexact": gettext_lazy("Give a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": gettext_lazy("Give a date as YYYY-MM-DD."),
    "date_parsing": gettext_lazy("Give a date as YYYY-MM-DD."),
    "date_type": gettext_lazy("Give a date as YYYY-MM-DD."),
    "int_parsing": gettext_lazy("Give a whole number."),
    "int_type": gettext_lazy("Give a whole number."),
    "bool_parsing": gettext_lazy("Give true or false."),
    "bool_type": gettext_lazy("Give true or false."),
    "string_type": gettext_lazy("Give a text."),
    "string_too_long": gettext_lazy("This text is too long."),
    "string_too_short": gettext_lazy("This text is too short."),
    "too_long": gettext_lazy("Too many items."),
    "literal_error": gettext_lazy("Choose one of the allowed values."),
    "enum": gettext_lazy("Choose one of the allowed values."),
    "greater_than_equal": gettext_lazy("This number is too small."),
    "less_than_equal": gettext_lazy("This number is too large."),
    "model_attributes_type": gettext_lazy("Give a JSON object."),
    "model_type": gettext_lazy("Give a JSON object."),
    "dict_type": gettext_lazy("Give a JSON object."),
    "list_type": gettext_lazy("Give a list."),
    "json_invalid": gettext_lazy("The body is not valid JSON."),
}


def translated(item: dict[str, Any]) -> str:
    known = PYDANTIC_MESSAGES.get(str(item.get("type", "")))
    if known is not None:
        return str(known)
    msg = str(item.get("msg", ""))
    # A ValueError raised by our own validators: already translated after "Value error, ".
    return msg.removeprefix("Value error, ")


PAGE_SIZE = 50


def paged(items: Any, page: int, out: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """One page of a list (a queryset or a list), 50 a page, with the total."""
    from django.core.paginator import Paginator
    from ninja.errors import ValidationError

    paginator = Paginator(items, PAGE_SIZE)
    if not 1 <= page <= max(paginator.num_pages, 1):
        raise ValidationError(
            [{"loc": ["query", "page"], "msg": _("No such page."), "type": "value_error"}]
        )
    current = paginator.page(page)
    return {
        "count": paginator.count,
        "page": current.number,
        "pages": paginator.num_pages,
        "results": [out(item) for item in current.object_list],
    }


# --- strict input ---------------------------------------------------------------------

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Control characters: never in any text; line breaks and tabs only in free texts.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _iso_date(value: Any) -> Any:
    """Only `YYYY-MM-DD`: never a number, a datetime or another spelling."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return value
    raise ValueError(_("Give a date as YYYY-MM-DD."))


StrictDate = Annotated[
    dt.date, BeforeValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})
]


def _one_line(value: Any) -> Any:
    if isinstance(value, str) and LINE_CONTROL.search(value):
        raise ValueError(_("Codes and names cannot contain control characters."))
    return value


def _free_text(value: Any) -> Any:
    if isinstance(value, str) and CONTROL.search(value):
        raise ValueError(_("Text cannot contain control characters."))
    return value


# A code or a name: one line, no control character (bound it with Field(max_length=…)).
OneLineText = Annotated[str, AfterValidator(_one_line)]


class StrictIn(Schema):
    """An input body: every text refused if it holds a control character (a tab and
    line breaks are allowed in free texts: notes, details, summaries)."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        for text in texts:
            _free_text(text)
        return value


def choice(values: Any) -> Any:
    """A `Literal` of a vocabulary tuple: the schema lists the values the server accepts."""
    return Literal[tuple(values)]


# --- authentication ---------------------------------------------------------------------


def _allowed(user: Any, role: Role | None) -> Any:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if role is not None and not role(user):
        # Outside the user's role the operation does not exist for them.
        raise Http404
    return user


class SessionAuth(APIKeyCookie):
    """The browser session; the CSRF header (`X-CSRFToken`) on writes."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, role: Role | None = None) -> None:
        self.role = role
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        if not getattr(request.user, "is_authenticated", False):
            return None
        if check_csrf(request):
            raise HttpError(403, _("The CSRF check failed: send the X-CSRFToken header."))
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return _allowed(request.user, self.role)


class TokenAuth(HttpBearer):
    """A personal access token: `Authorization: Bearer tsu_…` (no CSRF: no cookie)."""

    def __init__(self, role: Role | None = None) -> None:
        self.role = role
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from tsunagu.core import tokens

        user = tokens.authenticate(request, token)
        return _allowed(user, self.role)


def signed_in_or_token(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The schema and its docs page: for a signed-in user, or for a script with a
    valid token (to generate a client from the schema); nobody else."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        try:
            script = TokenAuth()(request)
        except HttpError as refused:  # an unknown, revoked or expired token
            return error_json(refused.status_code, str(refused), ["header", "Authorization"])
        if script is not None:
            return view(request, *args, **kwargs)
        return login_required(view)(request, *args, **kwargs)  # to the sign-in page

    return wrapped


def auth_for(role: Role | None = None) -> list[Any]:
    """The `auth=` of an operation: a token or a session, and the role (else 404)."""
    return [TokenAuth(role), SessionAuth(role)]


def police(user: Any) -> bool:
    return bool(user.is_police and user.prefecture_id)


def supervisor(user: Any) -> bool:
    return bool(user.is_supervisor and user.prefecture_id)


def clinician(user: Any) -> bool:
    return bool(user.is_clinician)


def police_or_clinician(user: Any) -> bool:
    return bool(user.is_police or user.is_clinician)


def reporting(user: Any) -> bool:
    return bool(user.is_analyst or (user.is_police and user.prefecture_id))


# --- what Django answers itself -----------------------------------------------------------


class ApiErrorMiddleware:
    """Under /api/: every answer >= 400 in the one error shape, JSON, never a page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and not media_type_ok(request):
            return error_json(415, loc=["header", "Content-Type"])
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        return as_error(response)


BODY_MEDIA_TYPES = ("application/json", "multipart/form-data")


def media_type_ok(request: HttpRequest) -> bool:
    """A body is JSON (application/json) or files (multipart/form-data), nothing else."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return True
    length = request.META.get("CONTENT_LENGTH") or "0"
    has_body = length != "0" or "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "")
    if not has_body:
        return True
    media = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    return media in BODY_MEDIA_TYPES


def as_error(response: HttpResponse) -> HttpResponse:
    status = response.status_code
    content_type = response.get("Content-Type", "")
    detail: Any = None
    body: Any = None
    if content_type.startswith("application/json") and not getattr(response, "streaming", False):
        try:
            body = json.loads(response.content or b"null")
        except ValueError:
            body = None
        if isinstance(body, dict) and "detail" in body:
            detail = body["detail"]
            if isinstance(detail, list) and all(
                isinstance(i, dict) and set(i) == {"loc", "msg", "type"} for i in detail
            ):
                return response  # already in shape
    extra = {k: v for k, v in body.items() if k != "detail"} if isinstance(body, dict) else {}
    fixed = JsonResponse({**extra, "detail": normal_detail(detail, status)}, status=status)
    # Keep what the answer said besides its body (Retry-After, Allow, Cache-Control…).
    for header, value in response.items():
        if header.lower() not in ("content-type", "content-length"):
            fixed[header] = value
    return fixed
