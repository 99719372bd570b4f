"""Reference data for transactional tests.

A transactional test ends with a flush that empties every table, including the
regions and code tables that a data migration loads. Serialized rollback does
not bring them back once Playwright's session fixture is running (the
connection that holds the serialized copy is not the one the test sees), so
these tests reload the migration's data themselves when it is missing.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps

from tsunagu.core.models import Region


@pytest.fixture
def reference_data(transactional_db: Any) -> None:
    if Region.objects.exists():
        return
    migration = importlib.import_module("tsunagu.core.migrations.0003_load_japan_regions_and_codes")
    migration.load(apps, None)
