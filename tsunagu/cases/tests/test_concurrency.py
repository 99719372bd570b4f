"""Two people acting at once on one case cannot both win (PostgreSQL row lock)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from tsunagu.cases import services
from tsunagu.cases.models import Case

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite serialises writers with its database lock instead",
)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("case_closed", ""), ("case_closed", "")),
        (("case_closed", ""), ("case_closed", "another note")),
    ],
)
def test_two_incompatible_events_at_once_exactly_one_wins(
    make_case, officer_tokyo, supervisor_tokyo, first, second
):
    case = make_case(officer_tokyo)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def act(actor, kind, note):
        try:
            mine = Case.objects.get(pk=case.pk)
            barrier.wait(timeout=10)
            services.event_record(
                actor=actor, case=mine, date=dt.date(2016, 6, 1), type=kind, detail=note
            )
            result = "won"
        except services.ServiceError:
            result = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=act, args=(officer_tokyo, *first)),
        threading.Thread(target=act, args=(supervisor_tokyo, *second)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["refused", "won"]
    assert case.events.filter(type="case_closed").count() == 1
    case.refresh_from_db()
    assert not case.is_open
