"""Second-factor pages: enrolment, verification at sign-in, recovery codes, step-up,
and the security page (unlock, reveal alerts, raising the daily limit)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp_webauthn import views as webauthn_views

from tsunagu.core import lockout, mfa, stepup
from tsunagu.core.access import AuthedRequest, prefecture_users
from tsunagu.core.forms import SignInForm
from tsunagu.core.models import User
from tsunagu.core.security import session_verified


class SignInView(auth_views.LoginView):
    """The password step; the second factor follows at /mfa/ (SessionSecurityMiddleware)."""

    template_name = "registration/login.html"
    authentication_form = SignInForm

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        lockout.audit_auth("user.login", self.request, form.get_user(), factor="password")
        return response


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text=gettext_lazy(
            "The 6-digit code from your authenticator app, or one of your recovery codes."
        ),
    )


class RaiseLimitForm(forms.Form):
    extra = forms.IntegerField(label=gettext_lazy("Additional today"), min_value=1, max_value=100)
    reason = forms.CharField(label=gettext_lazy("Reason"), min_length=10, max_length=500)


def _next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _locked_out(request: HttpRequest, user: User) -> HttpResponse | None:
    if lockout.is_locked(request, user.get_username()):
        lockout.audit_auth("user.locked_out", request, user, known=True)
        return lockout.locked_out_response(request)
    return None


def _totp_context(user: User) -> dict[str, Any]:
    import segno

    device = mfa.pending_totp(user)
    url = device.config_url
    secret = device.bin_key
    from base64 import b32encode

    return {
        "qr": segno.make(url, error="m").svg_data_uri(scale=4),
        "secret": b32encode(secret).decode().rstrip("="),
    }


def mfa_home(request: AuthedRequest) -> HttpResponse:
    """Enrol a first factor, verify one at sign-in, or manage one's factors."""
    user = request.user
    blocked = _locked_out(request, user)
    if blocked:
        return blocked
    next_url = _next(request)
    enrolled = mfa.has_factor(user)
    if enrolled and not session_verified(request):
        form = CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if mfa.verify_code(request, user, form.cleaned_data["code"]):
                return redirect(next_url)
            blocked = _locked_out(request, user)
            if blocked:
                return blocked
            form.add_error("code", _("The code was not accepted. Enter a current code."))
        return render(
            request,
            "core/mfa/verify.html",
            {"form": form, "next": next_url},
            status=400 if form.errors else 200,
        )
    if request.method == "POST":
        raise Http404
    context: dict[str, Any] = {
        "enrolled": enrolled,
        "next": next_url,
        "totp": mfa.totp_devices(user),
        "passkeys": mfa.webauthn_credentials(user),
        "recovery_left": mfa.recovery_codes_left(user),
        "form": CodeForm(),
    }
    context.update(_totp_context(user))
    return render(request, "core/mfa/manage.html", context)


@require_POST
def totp_confirm(request: AuthedRequest) -> HttpResponse:
    """Finish setting up an authenticator app with its first code."""
    user = request.user
    if mfa.has_factor(user) and not session_verified(request):
        return redirect("core:mfa")
    form = CodeForm(request.POST)
    codes = mfa.confirm_totp(request, user, form.data.get("code", "")) if form.is_valid() else None
    if codes is None:
        blocked = _locked_out(request, user)
        if blocked:
            return blocked
        form.add_error("code", _("The code was not accepted. Enter a current code."))
        context: dict[str, Any] = {
            "enrolled": mfa.has_factor(user),
            "next": _next(request),
            "totp": mfa.totp_devices(user),
            "passkeys": mfa.webauthn_credentials(user),
            "recovery_left": mfa.recovery_codes_left(user),
            "form": form,
        }
        context.update(_totp_context(user))
        return render(request, "core/mfa/manage.html", context, status=400)
    flash.success(request, _("Your authenticator app is set up."))
    if codes:
        return render(request, "core/mfa/recovery.html", {"codes": codes, "next": _next(request)})
    return redirect(_next(request))


@require_POST
def recovery_new(request: AuthedRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working); shown once."""
    if not session_verified(request) or not mfa.has_factor(request.user):
        return redirect("core:mfa")
    codes = mfa.new_recovery_codes(request.user)
    return render(request, "core/mfa/recovery.html", {"codes": codes, "next": "/mfa/"})


@require_POST
def passkey_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    if not session_verified(request):
        return redirect("core:mfa")
    if not mfa.remove_webauthn(request.user, pk, request):
        raise Http404
    flash.success(request, _("The passkey was removed."))
    return redirect("core:mfa")


def step_up(request: AuthedRequest) -> HttpResponse:
    """Check a second factor again, then continue where the user was."""
    user = request.user
    next_url = _next(request)
    if not mfa.has_factor(user):
        return redirect(f"/mfa/?next={next_url}")
    blocked = _locked_out(request, user)
    if blocked:
        return blocked
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.verify_code(request, user, form.cleaned_data["code"]):
            return redirect(next_url)
        blocked = _locked_out(request, user)
        if blocked:
            return blocked
        form.add_error("code", _("The code was not accepted. Enter a current code."))
    return render(
        request,
        "core/mfa/stepup.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )


# --- the security page: unlock, reveal alerts, daily limit ---------------------------


def _security_viewer(request: AuthedRequest) -> User:
    user = request.user
    if not (user.is_admin or (user.is_supervisor and user.prefecture_id)):
        raise Http404
    return user


def security(request: AuthedRequest) -> HttpResponse:
    """Locked accounts to unlock; for supervisors, reveal alerts and daily limits."""
    viewer = _security_viewer(request)
    context: dict[str, Any] = {"locked": list(lockout.locked_accounts(viewer))}
    if viewer.is_supervisor:
        people = list(prefecture_users(viewer).filter(role__in=("officer", "supervisor")))
        context["alerts"] = stepup.reveal_alerts(viewer)
        context["people"] = [
            {"user": p, "used": stepup.uses_today(p), "allowed": stepup.allowance_today(p)}
            for p in people
        ]
        context["raise_form"] = RaiseLimitForm()
    return render(request, "core/security.html", context)


def _visible_account(viewer: User, pk: int) -> User:
    scope = User.objects.all() if viewer.is_admin else prefecture_users(viewer)
    account = scope.filter(pk=pk).first()
    if account is None:
        raise Http404
    return account


@require_POST
def unlock(request: AuthedRequest, pk: int) -> HttpResponse:
    viewer = _security_viewer(request)
    account = _visible_account(viewer, pk)
    lockout.unlock(actor=viewer, user=account, request=request)
    flash.success(request, _("%(name)s can sign in again.") % {"name": account.username})
    return redirect("core:security")


@require_POST
def raise_limit(request: AuthedRequest, pk: int) -> HttpResponse:
    viewer = _security_viewer(request)
    if not viewer.is_supervisor:
        raise Http404
    account = _visible_account(viewer, pk)
    form = RaiseLimitForm(request.POST)
    if not form.is_valid() or not account.is_police or account.pk == viewer.pk:
        flash.error(request, _("The limit was not changed: give a number and a reason."))
        return redirect("core:security")
    stepup.raise_limit(
        actor=viewer,
        user=account,
        extra=form.cleaned_data["extra"],
        reason=form.cleaned_data["reason"],
    )
    flash.success(request, _("Today's limit of %(name)s was raised.") % {"name": account.username})
    return redirect("core:security")


# --- WebAuthn: the plug-in's views, with audit, lockout and no 500 -------------------


class _SafeMixin:
    def handle_exception(self, exc: Exception) -> HttpResponse:
        request = self.request  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if self._is_assertion and user is not None and user.is_authenticated:  # type: ignore[attr-defined]
            if lockout.record_factor_failure(request, user, "webauthn"):
                logout(request)
                return JsonResponse({"detail": str(lockout.LOCKED_MESSAGE)}, status=429)
        if isinstance(exc, webauthn_views.exceptions.OTPWebAuthnApiError):
            return super().handle_exception(exc)  # type: ignore[misc]
        return JsonResponse({"detail": _("The security key was not accepted.")}, status=400)


class BeginRegistration(_SafeMixin, webauthn_views.BeginCredentialRegistrationView):
    _is_assertion = False


class CompleteRegistration(_SafeMixin, webauthn_views.CompleteCredentialRegistrationView):
    _is_assertion = False

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        first = not mfa.has_factor(self.request.user)
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            user = self.request.user
            lockout.audit_auth("user.mfa_enrolled", self.request, user, factor="webauthn")
            credential = mfa.webauthn_credentials(user)[-1]
            mfa.mark_verified(self.request, credential, "webauthn")
            if first or not mfa.recovery_codes_left(user):
                self.request.session["tsunagu_new_recovery"] = mfa.new_recovery_codes(user)
        return response


class BeginAuthentication(_SafeMixin, webauthn_views.BeginCredentialAuthenticationView):
    _is_assertion = False


class CompleteAuthentication(_SafeMixin, webauthn_views.CompleteCredentialAuthenticationView):
    _is_assertion = True

    def complete_auth(self, device: Any) -> Any:
        if not self.request.user.is_authenticated or device.user_id != self.request.user.pk:
            raise webauthn_views.exceptions.CredentialUserMismatch()
        mfa.mark_verified(self.request, device, "webauthn")
        return device.user


def recovery_after_passkey(request: AuthedRequest) -> HttpResponse:
    """The recovery codes made when a passkey was the first factor (shown once)."""
    codes = request.session.pop("tsunagu_new_recovery", None)
    if not codes:
        return redirect(_next(request))
    return render(request, "core/mfa/recovery.html", {"codes": codes, "next": _next(request)})
