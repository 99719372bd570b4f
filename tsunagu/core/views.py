"""Home page by role, and the prefecture's audit log."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from tsunagu.core.access import AuthedRequest
from tsunagu.core.models import AuditEvent


def home(request: AuthedRequest) -> HttpResponse:
    """Officers land on their prefecture's open cases; other roles on their own start."""
    user = request.user
    if user.is_police:
        from tsunagu.cases.views import officer_home

        return officer_home(request)
    start = {"clinician": "treatment:portal", "analyst": "reports:programme"}.get(
        user.role,
        "",
    )
    if start:
        try:
            return redirect(reverse(start))
        except NoReverseMatch:
            pass
    return render(request, "core/home.html", {})


def audit_log(request: AuthedRequest) -> HttpResponse:
    """The supervisor's audit log of their prefecture, filterable by action and user."""
    if not request.user.is_supervisor:
        raise Http404
    events = AuditEvent.objects.visible_to(request.user).select_related("actor")
    action = request.GET.get("action", "").strip()
    actor = request.GET.get("user", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    if actor:
        events = events.filter(actor__username=actor)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"page": page, "action": action, "actor": actor})
