"""The case list and the officer's home count at most a bound of rows, not the
whole prefecture, and say when more match."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tsunagu.cases.models import Case
from tsunagu.core import paging
from tsunagu.core.models import User
from tsunagu.testing import client_for


@pytest.fixture
def five(officer_tokyo: User, make_case: Any) -> list[Case]:
    return [make_case(officer_tokyo, ref=f"B-{n}") for n in range(5)]


def test_the_count_stops_at_the_bound_and_says_more_match(
    officer_tokyo: User, five: list[Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "LIST_BOUND", 3)
    client = client_for(officer_tokyo)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/cases/").content.decode()
    sqls = [q["sql"] for q in ctx.captured_queries]
    bounded = [s for s in sqls if s.startswith('SELECT COUNT(*) FROM (SELECT "cases_case"')]
    assert len(bounded) == 1 and "LIMIT 4" in bounded[0], sqls
    assert not [s for s in sqls if s.startswith('SELECT COUNT(*) AS "__count" FROM "cases_case"')]
    assert "先頭の 3 件" in page and "条件で絞り込んでください" in page
    home = client.get("/").content.decode()
    assert "先頭の 3 件" in home


def test_under_the_bound_the_list_counts_exactly(officer_tokyo: User, five: list[Case]) -> None:
    paginator = paging.BoundedPaginator(Case.objects.order_by("-id"), 2)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (5, False, 3)
    page = client_for(officer_tokyo).get("/cases/").content.decode()
    assert "（5 件）" in page and "先頭の" not in page


def test_a_panel_reads_the_rows_it_shows_and_counts_only_when_there_are_more(
    five: list[Case],
) -> None:
    rows = Case.objects.order_by("-id")
    with CaptureQueriesContext(connection) as ctx:
        shown, count = paging.head(rows, 5, bound=10)
    assert (len(shown), count, len(ctx.captured_queries)) == (5, 5, 1)
    with CaptureQueriesContext(connection) as ctx:
        shown, count = paging.head(rows, 2, bound=10)
    assert [c.pk for c in shown] == [c.pk for c in rows[:2]]
    assert (count, len(ctx.captured_queries)) == (5, 2)
    assert paging.head(rows, 2, bound=3)[1] == 3  # counted up to the bound
