"""Two workers at once on PostgreSQL: `skip_locked` claims never overlap."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tsunagu.core.models import User
from tsunagu.notifications import kinds, mail
from tsunagu.notifications.models import Preference
from tsunagu.notifications.outbox import notify

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


def test_parallel_workers_claim_each_row_once(transactional_db: None, officer_tokyo: User) -> None:
    officer_tokyo.email = "o@example.jp"
    officer_tokyo.save()
    Preference.objects.create(user=officer_tokyo, kind=kinds.LOCKOUT, mode=kinds.IMMEDIATE)
    for n in range(60):
        notify([officer_tokyo], kinds.LOCKOUT, key=str(n))
    claims: list[list[int]] = [[], [], []]

    def work(slot: int) -> None:
        try:
            while batch := mail.claim(limit=4):
                claims[slot].extend(d.pk for d in batch)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [pk for claimed in claims for pk in claimed]
    assert len(every) == 60 and len(set(every)) == 60
