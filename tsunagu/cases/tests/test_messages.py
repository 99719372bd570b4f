"""Every message the timeline and the services raise is listed and translated."""

from __future__ import annotations

import datetime as dt
import inspect
import re

import pytest
from django.utils import translation

from tsunagu.cases import messages, refusals, services, stages, timeline

RAISED = re.compile(r'(?:Refusal|ServiceError)\(\s*"([^"]+)"')


def raised_messages() -> set[str]:
    found: set[str] = set()
    for module in (timeline, services):
        found.update(RAISED.findall(inspect.getsource(module)))
    return found


def test_every_raised_message_is_listed_for_translation():
    missing = raised_messages() - set(messages.MESSAGES)
    assert not missing, f"add to tsunagu/cases/messages.py: {sorted(missing)}"


@pytest.mark.parametrize("message", sorted(set(messages.MESSAGES)))
def test_every_message_has_a_japanese_translation(message):
    with translation.override("ja"):
        assert refusals.text(timeline.Refusal(message)) != message


@pytest.mark.parametrize("stage", sorted(stages.STAGE_LABELS))
def test_every_stage_label_has_a_japanese_translation(stage):
    with translation.override("ja"):
        label = stages.STAGE_LABELS[stage]
        assert refusals.text(timeline.Refusal(label)) != label


def _stage_refusal(stage: str) -> timeline.Refusal:
    events = [timeline.Ev(dt.date(2016, 6, 1), "consultation")]
    if stage == "halted":
        events += [
            timeline.Ev(dt.date(2016, 6, 1), t, d)
            for t, d in (
                ("treatment_advised", ""),
                ("advice_accepted", ""),
                ("appointment_scheduled", "C1"),
                ("treatment_started", ""),
                ("treatment_halted", "moved"),
            )
        ]
    else:
        events += [
            timeline.Ev(dt.date(2016, 6, 1), "treatment_advised"),
            timeline.Ev(dt.date(2016, 6, 1), "advice_accepted"),
            timeline.Ev(dt.date(2016, 6, 1), "appointment_scheduled", "C1"),
            timeline.Ev(dt.date(2016, 6, 1), "treatment_started"),
        ]
    with pytest.raises(timeline.Refusal) as err:
        timeline.check_new_event(
            events, timeline.Ev(dt.date(2016, 6, 2), "referral_acknowledged"), dt.date(2017, 1, 1)
        )
    assert err.value.code == stages.STAGE_REFUSED
    return err.value


def test_the_referral_stage_message_is_translated_with_its_stage():
    with translation.override("ja"):
        text = refusals.text(_stage_refusal("halted"))
    assert "治療中断" in text and "halted" not in text
    with translation.override("en"):
        assert (
            refusals.text(_stage_refusal("in_treatment"))
            == "Not possible at the referral's stage on that date (In treatment)."
        )
