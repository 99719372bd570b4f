"""Every test starts with an empty report cache: the test database is rolled back
between tests, so its data version numbers repeat with different data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_report_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()
