"""The items a notice can be about, each with the page its link opens.

A notice about an item is shown (listed, counted, opened) only while its
recipient can still see the item: the item model's own `visible_to(user)`,
the rule every page uses, checked in SQL in the same query as the notices.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse


class Target(NamedTuple):
    model: str  # app_label.ModelName
    url: str  # the item's page, taking its pk


TARGETS = {
    "case": Target("cases.Case", "cases:detail"),
    "referral": Target("treatment.Referral", "treatment:referral"),
}
CHOICES = [(name, name) for name in TARGETS]


def of(obj: models.Model) -> tuple[str, int, str]:
    """The target type, id and link of `obj`; a ValueError for another model."""
    label = obj._meta.label
    for name, target in TARGETS.items():
        if target.model == label:
            return name, int(obj.pk), reverse(target.url, args=[obj.pk])
    raise ValueError(f"a notice cannot be about a {label}")


def still_visible(user: Any) -> Q:
    """Notices about nothing, or about an item `user` can see."""
    visible = Q(target_type="")
    for name, target in TARGETS.items():
        items = apps.get_model(target.model).objects.visible_to(user)  # type: ignore[attr-defined]
        visible |= Q(Exists(items.filter(pk=OuterRef("target_id"))), target_type=name)
    return visible
