"""Pages of a long list without counting the whole list on every view.

A big prefecture's case list holds tens of thousands of rows; counting them for
"page 1 of 473" cost more than reading the page. `BoundedPaginator` counts at
most `bound` + 1 rows (one `COUNT` over a `LIMIT`), so the count costs the same
whatever the prefecture's size. Past the bound the list says so and asks for
narrower filters: nobody pages through a thousand cases.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Twenty pages of fifty.
LIST_BOUND = 1000


class BoundedPaginator(Paginator):
    def __init__(self, object_list: QuerySet[Any], per_page: int, bound: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.rows = object_list
        self.bound = bound or LIST_BOUND

    @cached_property
    def _seen(self) -> int:
        return self.rows.order_by()[: self.bound + 1].count()

    @cached_property
    def count(self) -> int:
        """The number of rows, at most `bound` (see `capped`)."""
        return min(self._seen, self.bound)

    @cached_property
    def capped(self) -> bool:
        """More rows match than the list counts and shows."""
        return self._seen > self.bound


def head(rows: QuerySet[Any], shown: int, bound: int | None = None) -> tuple[list[Any], int]:
    """The first `shown` rows of a list and how many it holds, counted up to `bound`
    as the paginator counts: a panel that shows five rows reads six (is there more?)
    and counts only when there is."""
    first = list(rows[: shown + 1])
    if len(first) <= shown:
        return first, len(first)
    return first[:shown], BoundedPaginator(rows, shown, bound).count
