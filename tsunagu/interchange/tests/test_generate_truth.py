"""The generator's recurrence times have a known truth, and the evaluation finds it."""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from pathlib import Path

from tsunagu.cases.timeline import Ev
from tsunagu.interchange.generate import generate
from tsunagu.interchange.synth import HazardModel
from tsunagu.reports import evaluation


def evaluate_files(path: Path, start: dt.date, end: dt.date) -> evaluation.Evaluation:
    """The §5 evaluation of an interchange set, straight from its files."""
    params = evaluation.Params.make(start, end, end)
    with (path / "cases.csv").open(encoding="utf-8-sig", newline="") as fh:
        relationship = {
            (r["prefecture"], r["case_ref"]): r["relationship"] for r in csv.DictReader(fh)
        }
    timelines: dict[tuple[str, str], list[Ev]] = {}
    with (path / "events.csv").open(encoding="utf-8-sig", newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh)):
            timelines.setdefault((r["prefecture"], r["case_ref"]), []).append(
                Ev(dt.date.fromisoformat(r["date"]), r["type"], r["detail"], i)
            )
    followed = [
        ep
        for n, (key, evs) in enumerate(timelines.items())
        if any(ev.type == "treatment_advised" for ev in evs)
        for ep in evaluation.follow_case(n, key[0], relationship[key], evs, params)
    ]
    return evaluation.evaluate(params, followed)


def test_the_model_draws_the_survival_it_documents() -> None:
    rng = random.Random(4)
    draws = [HazardModel.draw_days(rng, 1.0) for _ in range(20000)]
    share = sum(1 for d in draws if d > 365) / len(draws)
    assert abs(share - 0.90) < 0.01  # the reference: 10 % resumed within a year
    later = [HazardModel.draw_days(rng, 2.0, after=200) for _ in range(2000)]
    assert min(later) > 200
    assert math.isclose(HazardModel.recurrence_free(365, 0.6), 0.9**0.6)


def test_cox_interval_of_received_covers_the_true_hazard_ratio(tmp_path: Path) -> None:
    generate(tmp_path, years=10, seed=3, scale=0.25)
    ev = evaluate_files(tmp_path, dt.date(2016, 1, 1), dt.date(2025, 12, 31))
    result = ev.result
    assert result["overall"]["n"] > 3000
    received = result["cox"]["terms"]["received"]
    assert received["low"] < HazardModel.GROUP_HR["received"] < received["high"]
    for name, truth in (
        ("partner", HazardModel.PARTNER_HR),
        ("prior_order", HazardModel.PRIOR_ORDER_HR),
    ):
        term = result["cox"]["terms"][name]
        assert term["low"] < truth < term["high"], name
    # Rejected episodes without covariates: about 10 % resumed within a year.
    assert 0.80 < result["overall"]["at"]["365"]["free"] < 0.95
