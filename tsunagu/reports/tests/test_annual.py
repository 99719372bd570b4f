"""Annual stalking statistics: consultations, measures, relationship, sex and age."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tsunagu.cases.models import Case, Person
from tsunagu.reports import annual
from tsunagu.testing.builders import D, add_events, bare_case


@settings(deadline=None)
@given(st.one_of(st.none(), st.integers(-5, 130)))
def test_age_band_is_the_npa_ten_year_band(age: int | None) -> None:
    band = annual.age_band(age)
    assert band in annual.AGE_BANDS
    if age is None or age < 0:
        assert band == "unknown"
    elif age <= 19:
        assert band == "under_20"
    elif age >= 80:
        assert band == "80_plus"
    else:
        assert band == f"{age // 10}0s"
        assert int(band[:2]) <= age < int(band[:2]) + 10


def person(case: Case, role: str, sex: str, age: int | None) -> None:
    Person.objects.create(case=case, role=role, sex=sex, age=age)


@pytest.fixture
def stats_cases(db: Any) -> list[Case]:
    a = bare_case("13", "A", D(2016, 2, 1))
    a.relationship = "partner_or_ex"
    a.save()
    person(a, "offender", "male", 34)
    person(a, "victim", "female", 19)
    add_events(
        a,
        [
            (D(2016, 2, 1), "consultation"),
            (D(2016, 2, 10), "warning"),
            (D(2016, 3, 1), "prohibition_order"),
            (D(2016, 5, 1), "arrest", "order_violation"),
            (D(2016, 6, 1), "treatment_advised"),
        ],
    )
    b = bare_case("27", "B", D(2016, 11, 1))
    b.relationship = "stranger"
    b.save()
    person(b, "offender", "female", 81)
    person(b, "victim", "male", None)
    person(b, "victim", "female", 45)
    add_events(
        b,
        [
            (D(2016, 11, 1), "consultation"),
            (D(2016, 11, 2), "warning"),
            (D(2017, 2, 1), "arrest", "stalking"),
            (D(2017, 2, 2), "arrest", "something else"),
            (D(2017, 2, 3), "assistance"),
        ],
    )
    c = bare_case("13", "C", D(2015, 7, 1))
    add_events(c, [(D(2015, 7, 1), "consultation"), (D(2015, 7, 5), "warning")])
    return [a, b, c]


def test_calendar_year_figures(stats_cases: list[Case]) -> None:
    stats = annual.compute(Case.objects.all(), 2016).as_json()
    assert stats["period"] == {
        "year": 2016,
        "fiscal": False,
        "from": "2016-01-01",
        "to": "2016-12-31",
    }
    assert stats["consultations"] == 2
    assert stats["measures"] == {
        "warning": 2,
        "prohibition_order": 1,
        "emergency_order": 0,
        "arrest_stalking": 0,
        "arrest_order_violation": 1,
        "arrest_other": 0,
        "assistance": 0,
    }
    assert stats["relationship"]["partner_or_ex"] == 1
    assert stats["relationship"]["stranger"] == 1
    assert stats["relationship"]["unknown"] == 0
    assert stats["offenders"]["sex"] == {"male": 1, "female": 1, "other": 0, "unknown": 0}
    assert stats["offenders"]["age"]["30s"] == 1 and stats["offenders"]["age"]["80_plus"] == 1
    assert stats["victims"]["age"]["under_20"] == 1
    assert stats["victims"]["age"]["unknown"] == 1
    assert stats["victims"]["age_by_sex"]["40s"]["female"] == 1


def test_fiscal_year_runs_april_to_march(stats_cases: list[Case]) -> None:
    stats = annual.compute(Case.objects.all(), 2016, fiscal=True).as_json()
    assert (stats["period"]["from"], stats["period"]["to"]) == ("2016-04-01", "2017-03-31")
    assert stats["consultations"] == 1
    assert stats["measures"]["arrest_stalking"] == 1
    assert stats["measures"]["arrest_other"] == 1  # an unknown kind counts as other
    assert stats["measures"]["arrest_order_violation"] == 1
    assert stats["measures"]["assistance"] == 1
    assert stats["measures"]["warning"] == 1


def test_year_on_year_covers_every_year_with_the_change(stats_cases: list[Case]) -> None:
    years = annual.compute(Case.objects.all(), 2016).as_json()["years"]
    assert [y["year"] for y in years] == [2015, 2016, 2017]
    assert [y["consultations"] for y in years] == [1, 2, 0]
    assert years[0]["change"]["consultations"] is None
    assert years[1]["change"]["consultations"] == {"diff": 1, "percent": 100.0}
    assert years[2]["change"]["consultations"] == {"diff": -2, "percent": -100.0}
    assert years[1]["treatment_advised"] == 1
    assert years[2]["arrest"] == 2


def test_prefecture_filter_and_corrected_events(stats_cases: list[Case]) -> None:
    from tsunagu.cases import timeline
    from tsunagu.cases.models import Event

    a = stats_cases[0]
    Event.objects.create(
        case=a,
        date=D(2016, 12, 1),
        type="correction",
        detail=timeline.correction_detail(timeline.Ev(D(2016, 2, 10), "warning"), "wrong case"),
        rank=timeline.TYPE_RANK["correction"],
    )
    tokyo = annual.compute(Case.objects.all(), 2016, prefectures=["13"]).as_json()
    assert tokyo["consultations"] == 1
    assert tokyo["measures"]["warning"] == 0
    assert tokyo["prefectures"] == ["13"]


def test_annual_tables_hold_the_figures(stats_cases: list[Case]) -> None:
    tables = {t.key: t for t in annual.compute(Case.objects.all(), 2016).tables()}
    assert set(tables) == {"measures", "relationship", "offenders", "victims", "years"}
    assert tables["measures"].cells[0] == [2]  # consultations
    assert tables["offenders"].grand == 2
    assert tables["victims"].grand == 3


def test_annual_command_json_csv_and_xlsx(stats_cases: list[Case], tmp_path: Any) -> None:
    import json

    out = io.StringIO()
    call_command("report", "annual", "--year", "2016", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["consultations"] == 2
    out = io.StringIO()
    call_command("report", "annual", "--year", "2016", "--fiscal", "--format", "csv", stdout=out)
    assert out.getvalue().startswith("\ufeff")
    path = tmp_path / "annual.xlsx"
    call_command(
        "report",
        "annual",
        "--year",
        "2016",
        "--format",
        "xlsx",
        "--output",
        str(path),
        stderr=io.StringIO(),
    )
    wb = load_workbook(path)
    values = [v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row]
    assert "警告" in values and "ストーカー事案の統計" in values
    with pytest.raises(CommandError, match="--output"):
        call_command("report", "annual", "--year", "2016", "--format", "xlsx")
    with pytest.raises(CommandError, match="--year"):
        call_command("report", "annual", "--year", "1900")
