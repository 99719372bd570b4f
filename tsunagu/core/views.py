"""Home page by role, the audit log, the supervisor's prefecture users, and the
administrator's user screens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tsunagu.core import affiliations, services
from tsunagu.core.access import AuthedRequest, prefecture_users
from tsunagu.core.audit import day_start
from tsunagu.core.forms import AuditFilterForm, UserCreateForm, UserForm
from tsunagu.core.models import AuditEvent, PendingAccountChange, User

AUDIT_PAGE_SIZE = 50
USER_PAGE_SIZE = 50

ACTION_LABELS = {
    "case.open": gettext_lazy("Case opened"),
    "person.add": gettext_lazy("Person added"),
    "person.reveal": gettext_lazy("Victim details revealed"),
    "user.create": gettext_lazy("Account created"),
    "user.update": gettext_lazy("Account changed"),
    "user.password_reset": gettext_lazy("Password reset"),
    "user.password_change": gettext_lazy("Own password changed"),
    "user.language": gettext_lazy("Own language changed"),
    "user.notice_preferences": gettext_lazy("Own email preferences changed"),
    "user.second_factor_reset": gettext_lazy("Second factor reset requested"),
    "user.sign_out_everywhere": gettext_lazy("Signed out everywhere"),
    "user.change_approved": gettext_lazy("Account change approved"),
    "user.change_rejected": gettext_lazy("Account change rejected"),
    "user.disable_inactive": gettext_lazy("Disabled after inactivity"),
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
        # Ranges on `at` itself (not at__date), so the (prefecture, at) index serves them.
        if data["date_from"]:
            events = events.filter(at__gte=day_start(data["date_from"]))
        if data["date_to"]:
            events = events.filter(at__lt=day_start(data["date_to"] + dt.timedelta(days=1)))
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
    accounts = _with_places(list(prefecture_users(request.user)))
    police = sorted(
        (u for u in accounts if u.is_police),
        key=lambda u: (u.region.code if u.region else "", u.username),
    )
    clinicians = sorted(
        (u for u in accounts if u.is_clinician),
        key=lambda u: ([getattr(p, "code", "") for p in getattr(u, "places", [])], u.username),
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
        return User.objects.select_related("region").get(pk=pk)
    except User.DoesNotExist as exc:
        raise Http404 from exc


def _with_places(accounts: list[User]) -> list[User]:
    """Attach each account's declared places (a clinic) as `places`, one query each kind."""
    found = {a.name: a.of_many(accounts) for a in affiliations.all_affiliations()}
    for account in accounts:
        account.places = [p[account.pk] for p in found.values() if account.pk in p]  # type: ignore[attr-defined]
    return accounts


def users(request: AuthedRequest) -> HttpResponse:
    """Every account, with role, place, status and pending requests (administrators only)."""
    _admin_only(request)
    queryset = (
        User.objects.select_related("region")
        .annotate(
            pending=Count(
                "pending_changes",
                filter=Q(pending_changes__status=PendingAccountChange.Status.PENDING),
            )
        )
        .order_by("username")
    )
    q = request.GET.get("q", "").strip()
    if q:
        queryset = queryset.filter(username__icontains=q)
    page = Paginator(queryset, USER_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _with_places(list(page.object_list))  # type: ignore[assignment]
    return render(request, "core/users.html", {"page": page, "q": q})


def _pending_message(request: AuthedRequest, result: services.AccountResult) -> None:
    if result.change is not None:
        if result.change.prefecture is None:
            flash.info(request, _("The request waits for the approval of another administrator."))
        else:
            flash.info(
                request,
                _("The request waits for the approval of a supervisor of %(prefecture)s.")
                % {"prefecture": result.change.prefecture.name},
            )


def user_new(request: AuthedRequest) -> HttpResponse:
    """Request a new account; it stays inactive until an approver accepts it."""
    _admin_only(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.user_create(
                actor=request.user,
                username=data["username"],
                role=data["role"],
                region=data["region"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                **{name: data.get(name) for name in affiliations.names()},
            )
        except services.AccountError as exc:
            form.add_error(exc.field or None, exc.message)
        else:
            flash.success(request, _("The account was created."))
            _pending_message(request, result)
            return redirect("core:user_edit", result.user.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "core/user_form.html", {"form": form, "creating": True}, status=status)


def user_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """An account's names and status (at once) and its role and place (on approval)."""
    account = _get_user(request, pk)
    form = UserForm(request.POST or None, instance=User.objects.get(pk=account.pk))
    if request.method == "POST" and form.is_valid():
        data: dict[str, Any] = form.cleaned_data
        if data["username"] != account.username:
            form.add_error("username", _("A user name cannot be changed."))
        else:
            fields = ("first_name", "last_name", "role", "region", "is_active")
            try:
                result = services.user_update(
                    actor=request.user,
                    user=account,
                    **{k: data[k] for k in fields},
                    **{name: data.get(name) for name in affiliations.names()},
                )
            except services.AccountError as exc:
                form.add_error(exc.field or None, exc.message)
            else:
                flash.success(request, _("The account was saved."))
                _pending_message(request, result)
                return redirect("core:users")
    status = 400 if request.method == "POST" else 200
    pending = account.pending_changes.filter(
        status=PendingAccountChange.Status.PENDING
    ).select_related("requested_by", "prefecture")
    return render(
        request,
        "core/user_form.html",
        {"form": form, "account": account, "pending": pending},
        status=status,
    )


def user_password(request: AuthedRequest, pk: int) -> HttpResponse:
    """Request a password reset: the approver receives a temporary password."""
    account = _get_user(request, pk)
    if request.method == "POST":
        try:
            result = services.user_reset_password(actor=request.user, user=account)
        except services.AccountError as exc:
            flash.error(request, exc.message)
        else:
            flash.success(request, _("The password reset was requested."))
            _pending_message(request, result)
        return redirect("core:users")
    return render(request, "core/user_password.html", {"account": account})
