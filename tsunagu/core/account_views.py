"""Account pages beyond the administrator's screens: pending approvals, the
user's own password, and a supervisor's or administrator's actions on one
account (sign out everywhere, second-factor reset).

Every action goes through `core.services`, which checks who may act and
writes the audit event; these views add the 404 scoping: an account or a
request outside the user's reach does not exist for them.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth import update_session_auth_hash
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsunagu.core import services
from tsunagu.core.access import AuthedRequest, prefecture_users
from tsunagu.core.forms import OwnPasswordForm
from tsunagu.core.models import PendingAccountChange, User

APPROVALS_SHOWN = 200


def _approver_roles_only(request: AuthedRequest) -> None:
    if not (request.user.is_supervisor or request.user.is_admin):
        raise Http404


def approvals(request: AuthedRequest) -> HttpResponse:
    """Pending account changes: a supervisor's prefecture, or (administrators)
    every request, with approve and reject where the user may decide."""
    _approver_roles_only(request)
    changes = list(
        PendingAccountChange.objects.visible_to(request.user)
        .filter(status=PendingAccountChange.Status.PENDING)
        .select_related("user", "user__region", "requested_by", "prefecture")[:APPROVALS_SHOWN]
    )
    rows = [{"change": c, "may_decide": c.may_decide(request.user)} for c in changes]
    return render(request, "core/approvals.html", {"rows": rows})


def _get_change(request: AuthedRequest, pk: int) -> PendingAccountChange:
    _approver_roles_only(request)
    try:
        return PendingAccountChange.objects.visible_to(request.user).get(pk=pk)
    except PendingAccountChange.DoesNotExist as exc:
        raise Http404 from exc


@require_POST
def approval_approve(request: AuthedRequest, pk: int) -> HttpResponse:
    """Approve: the change is applied now; a temporary password is shown once."""
    change = _get_change(request, pk)
    try:
        password = services.change_approve(actor=request.user, change=change)
    except services.AccountError as exc:
        flash.error(request, exc.message)
        return redirect("core:approvals")
    if password is None:
        flash.success(request, _("The change was approved and applied."))
        return redirect("core:approvals")
    response = render(
        request, "core/temporary_password.html", {"account": change.user, "password": password}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def approval_reject(request: AuthedRequest, pk: int) -> HttpResponse:
    change = _get_change(request, pk)
    try:
        services.change_reject(actor=request.user, change=change)
    except services.AccountError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, _("The change was rejected; nothing of it was applied."))
    return redirect("core:approvals")


def own_password(request: AuthedRequest) -> HttpResponse:
    """The signed-in user changes their password (required after a temporary one).

    Every other session of the account ends; this one continues.
    """
    form = OwnPasswordForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_change_own_password(
            user=request.user, password=form.cleaned_data["password2"]
        )
        update_session_auth_hash(request, request.user)
        flash.success(request, _("Your password was changed."))
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = "core:home"
        return redirect(target)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "core/own_password.html",
        {"form": form, "next": request.GET.get("next", request.POST.get("next", ""))},
        status=status,
    )


def _managed_account(request: AuthedRequest, pk: int) -> User:
    """An account the user may manage: any (administrators) or one of the
    supervisor's prefecture; 404 otherwise."""
    user = request.user
    if user.is_admin:
        accounts = User.objects.all()
    elif user.is_supervisor:
        accounts = prefecture_users(user)
    else:
        raise Http404
    try:
        return accounts.get(pk=pk)
    except User.DoesNotExist as exc:
        raise Http404 from exc


def _back(request: AuthedRequest) -> HttpResponse:
    return redirect("core:users" if request.user.is_admin else "core:prefecture_users")


@require_POST
def sign_out_everywhere(request: AuthedRequest, pk: int) -> HttpResponse:
    """End every session of an account (it may sign in again)."""
    account = _managed_account(request, pk)
    try:
        services.user_sign_out_everywhere(actor=request.user, user=account)
    except services.AccountError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(
            request, _("Every session of %(name)s was ended.") % {"name": account.username}
        )
    if account.pk == request.user.pk:
        return redirect("core:login")
    return _back(request)


@require_POST
def second_factor_reset(request: AuthedRequest, pk: int) -> HttpResponse:
    """Ask for a lost second factor to be removed; another approver must agree."""
    account = _managed_account(request, pk)
    try:
        services.user_request_second_factor_reset(actor=request.user, user=account)
    except services.AccountError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(
            request,
            _("The second-factor reset of %(name)s waits for approval.")
            % {"name": account.username},
        )
    return _back(request)
