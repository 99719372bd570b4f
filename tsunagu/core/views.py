"""Home page by role, the audit log, the supervisor's prefecture users, and the
administrator's user screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tsunagu.core import services
from tsunagu.core.access import AuthedRequest, prefecture_users
from tsunagu.core.forms import AuditFilterForm, PasswordForm, UserCreateForm, UserForm
from tsunagu.core.models import AuditEvent, User

AUDIT_PAGE_SIZE = 50
USER_PAGE_SIZE = 50

ACTION_LABELS = {
    "case.open": gettext_lazy("Case opened"),
    "person.add": gettext_lazy("Person added"),
    "person.reveal": gettext_lazy("Victim details revealed"),
    "user.create": gettext_lazy("Account created"),
    "user.update": gettext_lazy("Account changed"),
    "user.password_reset": gettext_lazy("Password reset"),
}


# Filled by the apps above core when they start (`AppConfig.ready`), so core never
# imports them: the police's start page, and labels of audit actions by prefix.
POLICE_HOME: list[Callable[[AuthedRequest], HttpResponse]] = []
ACTION_PREFIX_LABELS: dict[str, Callable[[str], str]] = {}


def home(request: AuthedRequest) -> HttpResponse:
    """Officers land on their prefecture's open cases; other roles on their own start."""
    user = request.user
    if user.is_police and POLICE_HOME:
        return POLICE_HOME[0](request)
    start = {
        "clinician": "treatment:portal",
        "analyst": "reports:programme",
        "admin": "core:users",
    }.get(user.role, "")
    if start:
        try:
            return redirect(reverse(start))
        except NoReverseMatch:
            pass
    return render(request, "core/home.html", {})


def _action_label(action: str) -> str:
    """A readable name for an audit action (event types use the timeline labels)."""
    prefix, _dot, rest = action.partition(".")
    if prefix in ACTION_PREFIX_LABELS:
        return ACTION_PREFIX_LABELS[prefix](rest)
    return str(ACTION_LABELS.get(action, action))


def audit_log(request: AuthedRequest) -> HttpResponse:
    """The audit log: a supervisor's prefecture, or an administrator's account events.

    Filterable by action, user and date range. Audit events hold no victim
    plaintext (only field names), so the page shows reasons as written.
    """
    if not (request.user.is_supervisor or request.user.is_admin):
        raise Http404
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.visible_to(request.user).select_related("actor")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            events = events.filter(action__startswith=data["action"].strip())
        if data["user"]:
            events = events.filter(actor__username=data["user"].strip())
        if data["date_from"]:
            events = events.filter(at__date__gte=data["date_from"])
        if data["date_to"]:
            events = events.filter(at__date__lte=data["date_to"])
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = [{"event": e, "action": _action_label(e.action)} for e in page.object_list]
    return render(
        request,
        "core/audit_log.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


# --- the supervisor's prefecture users -------------------------------------------------


def prefecture_user_list(request: AuthedRequest) -> HttpResponse:
    """Who works in the supervisor's prefecture: police and clinic accounts (read-only).

    Supervisors only; every other role answers 404. Scoped by `prefecture_users`.
    """
    if not request.user.is_supervisor:
        raise Http404
    accounts = list(prefecture_users(request.user))
    police = sorted(
        (u for u in accounts if u.is_police),
        key=lambda u: (u.region.code if u.region else "", u.username),
    )
    clinicians = sorted(
        (u for u in accounts if u.is_clinician),
        key=lambda u: (u.clinic.code if u.clinic else "", u.username),
    )
    return render(
        request,
        "core/prefecture_users.html",
        {"prefecture": request.user.prefecture, "police": police, "clinicians": clinicians},
    )


# --- the administrator's user screens ------------------------------------------------


def _admin_only(request: AuthedRequest) -> None:
    if not request.user.is_admin:
        raise Http404


def _get_user(request: AuthedRequest, pk: int) -> User:
    _admin_only(request)
    try:
        return User.objects.select_related("region", "clinic").get(pk=pk)
    except User.DoesNotExist as exc:
        raise Http404 from exc


def users(request: AuthedRequest) -> HttpResponse:
    """Every account, with role, place and status (administrators only)."""
    _admin_only(request)
    queryset = User.objects.select_related("region", "clinic").order_by("username")
    q = request.GET.get("q", "").strip()
    if q:
        queryset = queryset.filter(username__icontains=q)
    page = Paginator(queryset, USER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/users.html", {"page": page, "q": q})


def user_new(request: AuthedRequest) -> HttpResponse:
    _admin_only(request)
    form = UserCreateForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.user_create(
            actor=request.user,
            username=data["username"],
            password=data["password2"],
            **{k: data[k] for k in services.USER_FIELDS},
        )
        flash.success(request, _("The account was created."))
        return redirect("core:user_edit", user.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "core/user_form.html", {"form": form, "creating": True}, status=status)


def user_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    account = _get_user(request, pk)
    form = UserForm(request.POST or None, instance=User.objects.get(pk=account.pk))
    if request.method == "POST" and form.is_valid():
        data: dict[str, Any] = form.cleaned_data
        if account.pk == request.user.pk and (
            not data["is_active"] or data["role"] != account.role
        ):
            form.add_error("is_active", _("You cannot deactivate yourself or change your role."))
        else:
            if data["username"] != account.username:
                form.add_error("username", _("A user name cannot be changed."))
            else:
                services.user_update(
                    actor=request.user,
                    user=account,
                    **{k: data[k] for k in services.USER_FIELDS},
                )
                flash.success(request, _("The account was saved."))
                return redirect("core:users")
    status = 400 if request.method == "POST" else 200
    return render(request, "core/user_form.html", {"form": form, "account": account}, status=status)


def user_password(request: AuthedRequest, pk: int) -> HttpResponse:
    account = _get_user(request, pk)
    form = PasswordForm(request.POST or None, user=account)
    if request.method == "POST" and form.is_valid():
        services.user_set_password(
            actor=request.user, user=account, password=form.cleaned_data["password2"]
        )
        flash.success(request, _("The password was reset."))
        return redirect("core:users")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "core/user_password.html", {"form": form, "account": account}, status=status
    )
