"""The inbox (every user's own notices), opening one, and the email preferences."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tsunagu.core.access import AuthedRequest
from tsunagu.notifications import kinds, preferences
from tsunagu.notifications.models import Delivery, MailSettings, Notice


def inbox(request: AuthedRequest) -> HttpResponse:
    notices = Notice.objects.visible_to(request.user).only("pk", "kind", "created", "read_at")
    page = Paginator(notices, 50).get_page(request.GET.get("page"))
    failing = (
        MailSettings.objects.filter(user=request.user, failing_since__isnull=False)
        .values_list("failing_since", flat=True)
        .first()
    )
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "labels": kinds.LABELS, "failing_since": failing},
    )


@require_POST
def open_notice(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark read and go to the item; its own page checks scope as always."""
    notice = get_object_or_404(Notice.objects.visible_to(request.user), pk=pk)
    if notice.read_at is None:
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=timezone.now())
    if notice.link.startswith("/") and not notice.link.startswith("//"):
        return redirect(notice.link)
    return redirect("notifications:inbox")


@require_POST
def mark_all_read(request: AuthedRequest) -> HttpResponse:
    Notice.objects.visible_to(request.user).filter(read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("notifications:inbox")


@require_http_methods(["GET", "POST"])
def preferences_page(request: AuthedRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    current = preferences.current(request.user)
    if request.method == "POST":
        try:
            with transaction.atomic():
                preferences.save(request.user, request.POST)
        except preferences.PreferenceError as err:
            errors[err.field] = str(err.message)
        else:
            return redirect("notifications:preferences")
    rows = [
        {"kind": k, "label": label, "mode": current["modes"].get(k, kinds.INBOX)}
        for k, label in kinds.LABELS.items()
    ]
    failing = Delivery.objects.filter(
        recipient=request.user, status=Delivery.Status.FAILED
    ).exists()
    return render(
        request,
        "notifications/preferences.html",
        {
            "rows": rows,
            "modes": list(kinds.MODE_LABELS.items()),
            "language": current["language"],
            "errors": errors,
            "has_address": bool(request.user.email),
            "failing": failing,
            "no_address_note": _("You have no email address: notices reach your inbox only."),
        },
        status=400 if errors else 200,
    )


def deliveries(request: AuthedRequest) -> HttpResponse:
    """Administrators: status and failures of the outbox (kind only, no content)."""
    if not request.user.is_admin:
        raise Http404
    rows = Delivery.objects.select_related("recipient").only(
        "kind",
        "mode",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created",
        "sent_at",
        "recipient__username",
    )
    status = request.GET.get("status", "")
    if status in Delivery.Status.values:
        rows = rows.filter(status=status)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/deliveries.html",
        {
            "page": page,
            "labels": kinds.LABELS,
            "statuses": Delivery.Status.choices,
            "status": status,
        },
    )
