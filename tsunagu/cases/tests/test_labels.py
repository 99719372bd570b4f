from __future__ import annotations

import datetime as dt

from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from tsunagu.cases import labels, timeline

# Timing is measured by the benchmarks; a busy shared machine must not fail a test.
NO_DEADLINE = settings(deadline=None)


def test_every_event_type_has_a_japanese_and_an_english_label():
    for event_type in timeline.EVENT_ORDER:
        with translation.override("en"):
            english = labels.event_label(event_type)
        with translation.override("ja"):
            japanese = labels.event_label(event_type)
        assert english != event_type and japanese != english, event_type


def test_glossary_terms_for_the_measures():
    with translation.override("ja"):
        assert [labels.event_label(m) for m in timeline.MEASURES] == [
            "相談",
            "警告",
            "禁止命令",
            "緊急禁止命令",
            "検挙",
            "援助",
        ]


@NO_DEADLINE
@given(
    st.sampled_from(timeline.EVENT_ORDER[:-1]),
    st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
    st.text(max_size=20),
    st.text(max_size=40),
)
def test_a_correction_is_summarised_with_its_target_and_reason(kind, day, detail, reason):
    target = timeline.Ev(day, kind, detail)
    with translation.override("en"):
        summary = labels.correction_summary(timeline.correction_detail(target, reason))
        assert summary.startswith(labels.event_label(kind))
    assert day.isoformat() in summary and summary.endswith(reason)


@NO_DEADLINE
@given(st.sampled_from(timeline.EVENT_ORDER), st.text(max_size=30))
def test_any_detail_gets_a_label_without_failing(kind, detail):
    assert isinstance(labels.detail_label(kind, detail), str)
    assert isinstance(labels.correction_summary(detail), str)
