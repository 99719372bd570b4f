from __future__ import annotations

import io

import pytest

from tsunagu.cases.models import Case
from tsunagu.core import demo as core_demo
from tsunagu.core.models import User
from tsunagu.treatment import demo, panels
from tsunagu.treatment.models import Clinic, Referral, clinic_of

pytestmark = pytest.mark.django_db


def test_demo_loads_twice_and_leaves_a_runnable_loop() -> None:
    core_demo.load(io.StringIO())
    demo.load(io.StringIO())
    counts = (Clinic.objects.count(), Case.objects.count(), Referral.objects.count())
    demo.load(io.StringIO())
    assert (Clinic.objects.count(), Case.objects.count(), Referral.objects.count()) == counts
    clinician = User.objects.get(username="clinician-tokyo")
    clinic = clinic_of(clinician)
    assert clinic is not None and clinic.code == "13-C001"
    stages = {
        r.referral.case.ref: r.view.stage
        for r in panels.referral_rows(Referral.objects.visible_to(clinician), clinician)
    }
    assert stages["DEMO-T-003"] == "sent"
    assert stages["DEMO-T-005"] == "in_treatment"
    assert stages["DEMO-T-006"] == "completed"
    ready = Case.objects.get(ref="DEMO-T-001")
    state = ready.state()
    assert state.referral_stage == "none"
    assert {"13", "27", "14", "23", "40"} <= set(
        Clinic.objects.values_list("prefecture__code", flat=True)
    )
