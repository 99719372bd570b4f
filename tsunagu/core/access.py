"""Reading one object within the user's scope: anything outside answers 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from tsunagu.core import affiliations
from tsunagu.core.access_audit import record_read
from tsunagu.core.models import Role, User

M = TypeVar("M", bound=models.Model)


class AuthedRequest(HttpRequest):
    """A request past LoginRequiredMiddleware: `user` is a signed-in User."""

    user: User  # type: ignore[assignment]


def get_for_user(
    model: type[M],
    user: Any,
    pk: Any,
    *,
    related: Callable[[QuerySet[M]], QuerySet[M]] | None = None,
    **lookups: Any,
) -> M:
    """The object with `pk` if `model.objects.visible_to(user)` holds it, else 404.

    `related` adds what the page reads with it (select_related, prefetch_related)
    to the same query, so the object is not fetched twice."""
    queryset = model.objects.visible_to(user)  # type: ignore[attr-defined]
    if related is not None:
        queryset = related(queryset)
    try:
        obj: M = queryset.get(pk=pk, **lookups)
    except (model.DoesNotExist, ValueError, TypeError) as exc:  # type: ignore[attr-defined]
        raise Http404 from exc
    record_read(obj)  # audits opening a case or referral (GET; models with AUDIT_READS)
    return obj


def prefecture_users(user: Any) -> QuerySet[User]:
    """The accounts of a supervisor's prefecture; nobody else's, and none for other roles.

    Police users (officers, supervisors) whose region is the prefecture or one of
    its stations, and clinicians of the clinics the supervisor may see
    (declared by the treatment app as an affiliation, `core.affiliations`).
    """
    if not (getattr(user, "is_authenticated", False) and user.is_supervisor):
        return User.objects.none()
    prefecture_id = user.prefecture_id
    if prefecture_id is None:
        return User.objects.none()
    police = Q(role__in=(Role.OFFICER, Role.SUPERVISOR)) & (
        Q(region_id=prefecture_id) | Q(region__parent_id=prefecture_id)
    )
    for affiliation in affiliations.all_affiliations():
        police |= affiliation.users_q(user)
    return User.objects.filter(police).select_related("region")
