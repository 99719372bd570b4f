"""Reading one object within the user's scope: anything outside answers 404."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.http import Http404, HttpRequest

from tsunagu.core.models import User

M = TypeVar("M", bound=models.Model)


class AuthedRequest(HttpRequest):
    """A request past LoginRequiredMiddleware: `user` is a signed-in User."""

    user: User  # type: ignore[assignment]


def get_for_user(model: type[M], user: Any, pk: Any, **lookups: Any) -> M:
    """The object with `pk` if `model.objects.visible_to(user)` holds it, else 404."""
    queryset = model.objects.visible_to(user)  # type: ignore[attr-defined]
    try:
        obj: M = queryset.get(pk=pk, **lookups)
    except (model.DoesNotExist, ValueError, TypeError) as exc:  # type: ignore[attr-defined]
        raise Http404 from exc
    return obj
