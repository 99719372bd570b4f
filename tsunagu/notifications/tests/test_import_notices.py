"""The supervisor who started an import hears that it finished or failed."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tsunagu.core.models import User
from tsunagu.interchange import signals
from tsunagu.interchange.tests.test_views import TOKYO_CASES, TOKYO_EVENTS, upload
from tsunagu.notifications import kinds
from tsunagu.notifications.models import Notice
from tsunagu.testing import client_for


def test_confirmed_import_notifies_its_supervisor(
    settings: Any, tmp_path: Any, supervisor_tokyo: User, supervisor_osaka: User
) -> None:
    settings.DATA_DIR = settings.UPLOAD_DIR = tmp_path
    client = client_for(supervisor_tokyo)
    response = client.post(reverse("interchange:import"), upload(TOKYO_CASES, TOKYO_EVENTS))
    token = response.context["confirm"]["token"].value()
    client.post(reverse("interchange:import_confirm"), {"token": token})
    assert list(Notice.objects.values_list("recipient__username", "kind")) == [
        ("supervisor-tokyo", kinds.IMPORT_DONE)
    ]


def test_a_failed_import_notifies_outside_its_rolled_back_transaction(
    settings: Any, tmp_path: Any, supervisor_tokyo: User
) -> None:
    settings.DATA_DIR = settings.UPLOAD_DIR = tmp_path
    client = client_for(supervisor_tokyo)
    response = client.post(reverse("interchange:import"), upload(TOKYO_CASES, TOKYO_EVENTS))
    token = response.context["confirm"]["token"].value()
    folder = tmp_path
    for path in folder.rglob("*.csv"):
        path.write_bytes(b"\xff\xfe garbage")
    client.post(reverse("interchange:import_confirm"), {"token": token})
    assert list(Notice.objects.values_list("kind", flat=True)) == [kinds.IMPORT_FAILED]
    signals.import_failed.send(sender=None, actor=supervisor_tokyo)
    assert Notice.objects.filter(kind=kinds.IMPORT_FAILED).count() == 2
