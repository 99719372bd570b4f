"""Demo data of risk assessment (tsunagu demo): the open demo instruments, one of
each summary kind, and a few assessments of the Tokyo demo cases, so that the
case header, the officer's home, the supervisor's and the analyst's views and
the notices of due reviews show something."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tsunagu.cases.models import Case
from tsunagu.cases.services import ServiceError
from tsunagu.core.models import User
from tsunagu.risk import services, summary
from tsunagu.risk.instruments import DEMO_PATH, load_file
from tsunagu.risk.models import Assessment, Instrument

DEMO_PATHS = (
    DEMO_PATH,
    DEMO_PATH.with_name("demo-count.yaml"),
    DEMO_PATH.with_name("demo-external.yaml"),
)


def _assessments(judgement: Instrument, count: Instrument, external: Instrument) -> int:
    officer = User.objects.filter(username="officer-tokyo").first()
    if officer is None or Assessment.objects.filter(case__ref__startswith="DEMO-T-").exists():
        return 0
    cases = list(Case.objects.filter(ref__startswith="DEMO-T-", is_open=True).order_by("ref")[:3])
    today = timezone.localdate()

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    yes, no = summary.Answer("yes"), summary.Answer("no")
    plans: list[tuple[int, services.AssessmentData]] = []
    if len(cases) > 0:
        plans += [
            (
                0,
                services.AssessmentData(
                    judgement,
                    ago(40),
                    {"d1": no, "d2": yes, "d3": no},
                    "medium",
                    "デモの根拠",
                    review_on=ago(10),
                ),
            ),
            (
                0,
                services.AssessmentData(
                    judgement,
                    ago(10),
                    {"d1": yes, "d2": yes, "d3": yes},
                    "high",
                    "デモの根拠",
                    scenarios={"what": "デモ", "how_serious": "デモ", "how_soon": "デモ"},
                    actions=[
                        services.ActionData(
                            "デモの対応", "生活安全課", today + dt.timedelta(days=1)
                        )
                    ],
                    review_on=ago(1),
                ),
            ),
        ]
    if len(cases) > 1:
        plans.append(
            (
                1,
                services.AssessmentData(
                    count,
                    ago(5),
                    {"c1": yes, "c2": yes, "c3": no},
                    review_on=today + dt.timedelta(days=5),
                ),
            )
        )
    if len(cases) > 2:
        plans.append(
            (
                2,
                services.AssessmentData(
                    external,
                    ago(3),
                    {"e1": yes},
                    "very_high",
                    review_on=today + dt.timedelta(days=30),
                ),
            )
        )
    made = 0
    for index, data in plans:
        case = cases[index]
        if data.date < case.opened_on:
            continue
        try:
            services.assessment_record(actor=officer, case=case, data=data)
        except ServiceError:
            continue  # a demo case whose timeline does not allow it: skip
        made += 1
    return made


def load(stdout: Any) -> None:
    loaded = [load_file(path) for path in DEMO_PATHS]
    names = ", ".join(f"{i} {'loaded' if created else 'present'}" for i, created in loaded)
    made = _assessments(*(i for i, _created in loaded))
    stdout.write(f"risk: demo instruments {names}; {made} demo assessments\n")
