"""`tsunagu demo` loads the npa-2016 set, and a second run changes nothing."""

from __future__ import annotations

import io

import pytest

from tsunagu.cases.models import Case, Event
from tsunagu.core.models import AuditEvent
from tsunagu.interchange import demo

pytestmark = pytest.mark.django_db


def test_demo_loads_npa2016_once():
    out = io.StringIO()
    demo.load(out)
    cases, events = Case.objects.count(), Event.objects.count()
    assert cases == 2423 and events == 6677
    audits = AuditEvent.objects.filter(action="interchange.import").count()
    demo.load(out)
    assert (Case.objects.count(), Event.objects.count()) == (cases, events)
    assert AuditEvent.objects.filter(action="interchange.import").count() == audits
    assert "already loaded" in out.getvalue()
