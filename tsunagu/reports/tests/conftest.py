"""Every test starts with an empty report cache: the test database is rolled back
between tests, so its data version numbers repeat with different data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from tsunagu.reports import programme


@pytest.fixture(autouse=True)
def _empty_report_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[int]]]:
    """The prefectures whose episode rows are read afresh, call by call."""
    calls: list[list[int]] = []
    original = programme.prefecture_rows

    def spy(ids: list[int], params: programme.Params, with_levels: bool = False) -> Any:
        calls.append(sorted(ids))
        return original(ids, params, with_levels)

    monkeypatch.setattr(programme, "prefecture_rows", spy)
    yield calls
