"""A write that cannot get the database lock in time answers 503, never 500."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import psycopg
from django.db import connection
from django.urls import reverse

from tsunagu.cases.models import Event
from tsunagu.testing import client_for

MESSAGE_JA = "何も保存されていません"


def _hold_write_lock() -> Any:
    """Another connection takes the write lock, as a long import does."""
    if connection.vendor == "sqlite":
        other = sqlite3.connect(
            connection.settings_dict["NAME"], uri=True, isolation_level=None, timeout=0
        )
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE cases_case SET latest_measure = latest_measure")
        return other
    with connection.cursor() as cursor:  # a short wait, so the test does not wait 5 s
        cursor.execute("SET lock_timeout = '300ms'")
    params = connection.get_connection_params()
    holder = psycopg.connect(
        dbname=params["dbname"],
        host=params.get("host"),
        port=params.get("port"),
        user=params.get("user"),
        password=params.get("password"),
    )
    holder.execute("LOCK TABLE cases_case IN EXCLUSIVE MODE")
    return holder


def test_form_and_api_answer_503_with_retry_after_and_save_nothing(
    transactional_db, officer_tokyo, make_case, settings
):
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.execute("PRAGMA busy_timeout = 300")
    case = make_case(officer_tokyo)
    client = client_for(officer_tokyo)
    client.get(reverse("cases:detail", args=[case.pk]))  # the session row exists already
    before = Event.objects.count()
    other = _hold_write_lock()
    try:
        page = client.post(
            reverse("cases:event_record", args=[case.pk]),
            {"measure-type": "warning", "measure-date": "2016-06-01", "measure-note": ""},
        )
        api = client.post(
            f"/api/v1/cases/{case.pk}/events",
            json.dumps({"date": "2016-06-01", "type": "warning", "detail": ""}),
            content_type="application/json",
        )
    finally:
        other.rollback()
        other.close()
    assert page.status_code == 503
    assert page["Retry-After"] == str(settings.BUSY_RETRY_AFTER)
    assert MESSAGE_JA in page.content.decode()
    assert api.status_code == 503
    assert api["Retry-After"] == str(settings.BUSY_RETRY_AFTER)
    body = api.json()
    assert body["saved"] is False and MESSAGE_JA in body["detail"][0]["msg"]
    assert Event.objects.count() == before

    # The lock is gone: the same write goes through.
    again = client.post(
        f"/api/v1/cases/{case.pk}/events",
        json.dumps({"date": "2016-06-01", "type": "warning", "detail": ""}),
        content_type="application/json",
    )
    assert again.status_code == 201
    assert Event.objects.count() == before + 1


def test_other_database_errors_are_not_called_busy():
    from django.db import OperationalError

    from tsunagu.core.busy import is_busy

    assert is_busy(OperationalError("database is locked"))
    assert not is_busy(OperationalError("no such table: cases_case"))
    assert not is_busy(ValueError("database is locked"))
