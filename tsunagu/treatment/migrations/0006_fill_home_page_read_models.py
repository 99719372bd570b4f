"""Fill the home page's follow-up sources and condition breaches from the events
already recorded (later events keep them in step as they are recorded)."""

from __future__ import annotations

from typing import Any

from django.db import migrations

CASE_BATCH = 2000


def fill_home_marks(apps: Any, schema_editor: Any) -> None:
    # The pure rules only: the rows are written through the historical models.
    from tsunagu.cases.timeline import Ev
    from tsunagu.treatment import derive
    from tsunagu.treatment.home_marks import CONDITION_TYPES, TRIGGER_TYPES, marks_of

    Event = apps.get_model("cases", "Event")
    FollowUpSource = apps.get_model("treatment", "FollowUpSource")
    ConditionBreach = apps.get_model("treatment", "ConditionBreach")
    with_condition = set(
        Event.objects.filter(type="condition_set").values_list("case_id", flat=True)
    )
    types = (*TRIGGER_TYPES, "correction")
    extra = (*CONDITION_TYPES, *derive.CONTACT_REPORT_TYPES)
    Case = apps.get_model("cases", "Case")
    by_case: dict[int, list[Any]] = {}

    def flush() -> None:
        sources, breaches = [], []
        prefecture_of = dict(
            Case.objects.filter(pk__in=list(by_case)).values_list("pk", "prefecture_id")
        )
        for case_id, evs in by_case.items():
            found, broken = marks_of(evs)
            sources += [
                FollowUpSource(
                    case_id=case_id,
                    prefecture_id=prefecture_of[case_id],
                    trigger=s.trigger,
                    source_type=s.source_type,
                    source_date=s.source_date,
                )
                for s in found
            ]
            breaches += [
                ConditionBreach(
                    case_id=case_id,
                    prefecture_id=prefecture_of[case_id],
                    event_id=b.event_id,
                    date=b.date,
                    kind=b.condition.kind,
                    starts_on=b.condition.starts_on,
                    expires_on=b.condition.expires_on,
                    ended_on=b.condition.ended_on,
                )
                for b in broken
            ]
        FollowUpSource.objects.bulk_create(sources, batch_size=1000)
        ConditionBreach.objects.bulk_create(breaches, batch_size=1000)
        by_case.clear()

    rows = (
        Event.objects.filter(type__in=types)
        .order_by("case_id")
        .values_list("case_id", "date", "type", "detail", "id")
    )
    for case_id, date, type_, detail, pk in rows.iterator(chunk_size=10000):
        if case_id not in by_case and len(by_case) >= CASE_BATCH:
            flush()
        by_case.setdefault(case_id, []).append(Ev(date, type_, detail, pk))
    flush()
    # The few cases that ever had a condition: their contact reports and conditions too.
    ids = sorted(with_condition)
    for start in range(0, len(ids), CASE_BATCH):
        batch = ids[start : start + CASE_BATCH]
        FollowUpSource.objects.filter(case_id__in=batch).delete()
        for case_id, date, type_, detail, pk in (
            Event.objects.filter(case_id__in=batch, type__in=(*types, *extra))
            .values_list("case_id", "date", "type", "detail", "id")
            .iterator(chunk_size=10000)
        ):
            by_case.setdefault(case_id, []).append(Ev(date, type_, detail, pk))
        flush()


def empty_home_marks(apps: Any, schema_editor: Any) -> None:
    apps.get_model("treatment", "FollowUpSource").objects.all().delete()
    apps.get_model("treatment", "ConditionBreach").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("treatment", "0005_home_page_read_models")]

    operations = [migrations.RunPython(fill_home_marks, empty_home_marks)]
