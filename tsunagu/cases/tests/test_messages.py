"""Every message the timeline and the services raise is listed and translated."""

from __future__ import annotations

import inspect
import re

import pytest
from django.utils import translation

from tsunagu.cases import messages, services, timeline

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
        assert messages.translate(message) != message


def test_the_referral_stage_message_is_translated_with_its_stage():
    with translation.override("ja"):
        text = messages.translate("Not possible at the referral's stage on that date (halted).")
    assert "治療中断" in text and "halted" not in text
    with translation.override("en"):
        assert (
            messages.translate("Not possible at the referral's stage on that date (in_treatment).")
            == "Not possible at the referral's stage on that date (in treatment)."
        )
