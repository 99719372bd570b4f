"""Two clinicians acting at once on one referral: exactly one wins (PostgreSQL)."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connections

from tsunagu.cases.models import Case
from tsunagu.cases.services import ServiceError
from tsunagu.core.models import User
from tsunagu.testing.builders import D, referred, started
from tsunagu.treatment import loop
from tsunagu.treatment.models import Clinic, Referral


@pytest.fixture
def regions_present(transactional_db: None) -> None:
    """The regions and code tables of the data migration, reloaded if an earlier
    transactional test's flush removed them (the serialized rollback does not always
    restore them after a live-server test on PostgreSQL)."""
    from django.apps import apps

    from tsunagu.core.models import Code, Region

    if Region.objects.exists():
        return
    module = importlib.import_module("tsunagu.core.migrations.0003_load_japan_regions_and_codes")
    Code.objects.all().delete()
    module.load(apps, None)


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs PostgreSQL: SQLite serialises every write transaction",
)
@pytest.mark.django_db(transaction=True)
def test_completing_and_halting_at_once_exactly_one_wins(
    regions_present: None,
    officer_tokyo: User,
    make_case: Callable[..., Case],
    clinic_tokyo: Clinic,
    clinician_tokyo: User,
) -> None:
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    started(clinician_tokyo, referral)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(action: str) -> None:
        try:
            mine = Referral.objects.get(pk=referral.pk)
            barrier.wait(timeout=10)
            loop.referral_act(
                actor=clinician_tokyo,
                referral=mine,
                action=action,
                date=D(2016, 8, 1),
                reason="moved" if action == "halt" else "",
            )
            outcomes.append("won")
        except ServiceError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(a,)) for a in ("complete", "halt")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "won"]
    types = [ev.type for ev in referral.case.timeline_events()]
    assert types.count("treatment_completed") + types.count("treatment_halted") == 1
