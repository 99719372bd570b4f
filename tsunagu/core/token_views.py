"""The user's personal access tokens for the API (My account > Access tokens).

Listed with their last use; made only right after a second factor (step-up,
`STEPUP_SECONDS`), the secret shown once; revoked with one button.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.core import stepup, tokens
from tsunagu.core.access import AuthedRequest
from tsunagu.core.tokens import AccessToken


class TokenForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("token", "Name"), max_length=100)
    scope = forms.ChoiceField(
        label=gettext_lazy("Scope"), choices=AccessToken.Scope.choices, initial="read"
    )
    days = forms.IntegerField(
        label=gettext_lazy("Valid for (days)"),
        min_value=1,
        max_value=tokens.MAX_DAYS,
        initial=tokens.DEFAULT_DAYS,
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise forms.ValidationError(_("Codes and names cannot contain control characters."))
        return name


@require_http_methods(["GET", "POST"])
def token_list(request: AuthedRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = ""
    if request.method == "POST":
        blocked = stepup.guard(request, request.path)
        if blocked:
            return blocked
        if form.is_valid():
            _token, secret = tokens.create(
                actor=request.user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                days=form.cleaned_data["days"],
            )
            form = TokenForm()
    return render(
        request,
        "core/tokens.html",
        {
            "form": form,
            "secret": secret,
            "tokens": AccessToken.objects.filter(user=request.user),
            "fresh": stepup.fresh(request),
        },
    )


@require_POST
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    # Only the user's own tokens: another user's id is a 404.
    token = get_object_or_404(AccessToken, pk=pk, user=request.user)
    tokens.revoke(actor=request.user, token=token)
    flash.success(request, _("The token was revoked."))
    return redirect("core:tokens")
