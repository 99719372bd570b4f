"""The report cache: a figure computed once per version of the data it counts.

The key holds the data version of the prefectures in the user's scope
(`DataVersion`, bumped by database triggers in the same transaction as every
write of a case, an event or a person), so any write makes the next request
compute afresh; nothing expires on time alone. Police are keyed on their own
prefecture's counter, analysts on every prefecture's (a write in Osaka leaves
Tokyo's cached figures standing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Sum
from django.utils import translation

from tsunagu.core.models import User
from tsunagu.reports.models import DataVersion

T = TypeVar("T")

# Long enough for a quiet evening; a new data version replaces the entry anyway.
TIMEOUT_SECONDS = 6 * 3600


def data_version(user: User) -> str:
    """The version of the data `user`'s reports count: changes with any write in scope."""
    if user.is_analyst:
        totals = DataVersion.objects.aggregate(n=Sum("n"), rows=Count("pk"))
        return f"all-{totals['n'] or 0}-{totals['rows']}"
    row = DataVersion.objects.filter(prefecture_id=user.prefecture_id or 0).values_list(
        "n", flat=True
    )
    return f"{user.prefecture_id}-{row[0] if row else 0}"


def key(kind: str, user: User, *parts: Any) -> str:
    """A cache key of one report for one scope, data version and language."""
    scope = "analyst" if user.is_analyst else f"police-{user.prefecture_id}"
    raw = "|".join(
        [kind, scope, data_version(user), translation.get_language() or "", *map(repr, parts)]
    )
    return "reports:" + hashlib.sha256(raw.encode()).hexdigest()


def cached(kind: str, user: User, parts: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """`compute()`, or its value for the same report, scope and data version.

    Inside a transaction nothing is cached: what it counts may include writes not
    yet committed (and PostgreSQL bumps a prefecture's version once per
    transaction, so later writes of the same transaction would share the key).
    """
    if connection.in_atomic_block:
        return compute()
    name = key(kind, user, *parts)
    value = cache.get(name)
    if value is None:
        value = compute()
        cache.set(name, value, TIMEOUT_SECONDS)
    return value
