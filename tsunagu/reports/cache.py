"""The report cache: a figure computed once per version of the data it counts.

The key holds the data version of the prefectures in the user's scope
(`DataVersion`, bumped by database triggers in the same transaction as every
write of a case, an event or a person), so any write makes the next request
compute afresh; nothing expires on time alone. Police are keyed on their own
prefecture's counter, analysts on every prefecture's (a write in Osaka leaves
Tokyo's cached figures standing).

A report that is a sum over prefectures can also cache each prefecture's part on
that prefecture's own counter (`per_prefecture`): after a write in Tokyo the
national figure recounts Tokyo's part only and takes the other 46 from the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Sum
from django.utils import translation

from tsunagu.core.models import User
from tsunagu.reports.models import DataVersion, ProgrammeVersion

# What a report's key counts: every write of the prefecture (`DataVersion`), or
# only the writes of what the programme report reads (`ProgrammeVersion`).
Counter = type[DataVersion] | type[ProgrammeVersion]

T = TypeVar("T")

# Long enough for a quiet evening; a new data version replaces the entry anyway.
TIMEOUT_SECONDS = 6 * 3600


def data_version(user: User, counter: Counter = DataVersion) -> str:
    """The version of the data `user`'s reports count: changes with any write in
    scope (with `ProgrammeVersion`: any write the programme report reads)."""
    if user.is_analyst:
        totals = counter.objects.aggregate(n=Sum("n"), rows=Count("pk"))
        return f"{counter.__name__}-all-{totals['n'] or 0}-{totals['rows']}"
    row = counter.objects.filter(prefecture_id=user.prefecture_id or 0).values_list("n", flat=True)
    return f"{counter.__name__}-{user.prefecture_id}-{row[0] if row else 0}"


def key(kind: str, user: User, *parts: Any, counter: Counter = DataVersion) -> str:
    """A cache key of one report for one scope, data version and language."""
    scope = "analyst" if user.is_analyst else f"police-{user.prefecture_id}"
    raw = "|".join(
        [
            kind,
            scope,
            data_version(user, counter),
            translation.get_language() or "",
            *map(repr, parts),
        ]
    )
    return "reports:" + hashlib.sha256(raw.encode()).hexdigest()


def versions(prefecture_ids: Collection[int], counter: Counter = DataVersion) -> dict[int, int]:
    """Each prefecture's data version (0 for one never written)."""
    found = dict(
        counter.objects.filter(prefecture_id__in=list(prefecture_ids)).values_list(
            "prefecture_id", "n"
        )
    )
    return {p: found.get(p, 0) for p in prefecture_ids}


def per_prefecture(
    kind: str,
    prefecture_ids: Collection[int],
    parts: tuple[Any, ...],
    compute: Callable[[list[int]], dict[int, T]],
    empty: Callable[[], T],
    counter: Counter = DataVersion,
) -> dict[int, T]:
    """Each prefecture's part of a report, cached on that prefecture's own version.

    `compute(ids)` counts the parts of the prefectures not in the cache, all at
    once (one grouped query, not one per prefecture); a prefecture it finds
    nothing for gets `empty()`. The versions are read before anything is counted,
    so a write committed meanwhile can only make a part newer than its key, never
    older. Inside a transaction nothing is read from or put in the cache (see
    `cached`). A part holds figures only, no labels: the language is not in its key.
    `counter`: the version a part is keyed on (`ProgrammeVersion` for a part that
    reads only what it counts).
    """
    ids = sorted(set(prefecture_ids))
    if connection.in_atomic_block:
        found = compute(ids) if ids else {}
        return {p: found.get(p, empty()) for p in ids}
    # The same key as before `per_version` existed: kind, counter, prefecture, n, parts.
    return per_version(f"{kind}|{counter.__name__}", versions(ids, counter), parts, compute, empty)


def per_version(
    kind: str,
    versions: dict[int, Any],
    parts: tuple[Any, ...],
    compute: Callable[[list[int]], dict[int, T]],
    empty: Callable[[], T],
) -> dict[int, T]:
    """Each prefecture's part of a report, cached on the version given for it:
    any value that every write changing the part changes, read before the part is
    counted (`per_prefecture` gives a prefecture counter's `n`). The caller
    keeps it out of transactions."""
    ids = sorted(versions)
    names = {
        p: "reports:part:"
        + hashlib.sha256(
            "|".join([kind, str(p), repr(versions[p]), *map(repr, parts)]).encode()
        ).hexdigest()
        for p in ids
    }
    stored = cache.get_many(list(names.values()))
    result = {p: stored[name] for p, name in names.items() if name in stored}
    missing = [p for p in ids if p not in result]
    if missing:
        found = compute(missing)
        fresh = {p: found.get(p, empty()) for p in missing}
        cache.set_many({names[p]: value for p, value in fresh.items()}, TIMEOUT_SECONDS)
        result.update(fresh)
    return result


def cached(
    kind: str,
    user: User,
    parts: tuple[Any, ...],
    compute: Callable[[], T],
    counter: Counter = DataVersion,
) -> T:
    """`compute()`, or its value for the same report, scope and data version
    (`counter`: which version; the programme report's own, or every write's).

    Inside a transaction nothing is cached: what it counts may include writes not
    yet committed (and PostgreSQL bumps a prefecture's version once per
    transaction, so later writes of the same transaction would share the key).
    """
    if connection.in_atomic_block:
        return compute()
    name = key(kind, user, *parts, counter=counter)
    value = cache.get(name)
    if value is None:
        value = compute()
        cache.set(name, value, TIMEOUT_SECONDS)
    return value
