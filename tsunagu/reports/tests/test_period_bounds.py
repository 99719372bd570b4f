"""A programme report's period is bounded: dates within 2000-01-01..2100-12-31 and
at most 30 years long, refused with the field named on the page, the downloads, the
drill-down, the API and the command line; never a 500."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tsunagu.core.models import User
from tsunagu.reports import programme
from tsunagu.testing import client_for

pytestmark = pytest.mark.django_db

D = dt.date
# (date_from, date_to, as_of) and the field that must be named.
BAD_PERIODS = [
    (("2016-01-01", "9999-12-31", ""), "date_to"),
    (("2016-01-01", "2516-12-31", ""), "date_to"),
    (("1999-12-31", "2016-12-31", ""), "date_from"),
    (("0001-01-01", "2016-12-31", ""), "date_from"),
    (("2016-01-01", "2016-12-31", "9999-12-31"), "as_of"),
    (("2000-01-01", "2030-01-01", ""), "date_to"),  # 30 years and a day
    (("2000-01-01", "2100-12-31", ""), "date_to"),
]
OPTION = {"date_from": "--from", "date_to": "--to", "as_of": "--as-of"}


def query(dates: tuple[str, str, str]) -> dict[str, str]:
    keys = ("date_from", "date_to", "as_of")
    return {k: v for k, v in zip(keys, dates, strict=True) if v}


@pytest.mark.parametrize(("dates", "field"), BAD_PERIODS)
def test_page_downloads_and_drill_down_refuse_a_period_out_of_bounds(
    supervisor_tokyo: User, dates: tuple[str, str, str], field: str
) -> None:
    client = client_for(supervisor_tokyo)
    q = {"preset": "custom", **query(dates)}
    page = client.get(reverse("reports:programme"), q)
    assert page.status_code == 200
    assert list(page.context["form"].errors) == [field]
    assert f'id="id_{field}-error"' in page.content.decode()
    download = client.get(reverse("reports:programme_download"), {**q, "format": "csv"})
    assert download.status_code == 400 and field in download.json()
    assert client.get(reverse("reports:episodes"), q).status_code == 400


@pytest.mark.parametrize(("dates", "field"), BAD_PERIODS)
def test_api_refuses_a_period_out_of_bounds_naming_the_field(
    analyst: User, dates: tuple[str, str, str], field: str
) -> None:
    client = client_for(analyst)
    for name in ("api:programme_report", "api:programme_episodes"):
        response = client.get(reverse(name), query(dates))
        assert response.status_code == 422, name
        assert [e["loc"] for e in response.json()["detail"]] == [["query", field]]


@pytest.mark.parametrize(("dates", "field"), BAD_PERIODS)
def test_command_refuses_a_period_out_of_bounds_naming_the_option(
    dates: tuple[str, str, str], field: str
) -> None:
    args = ["--from", dates[0], "--to", dates[1]]
    if dates[2]:
        args += ["--as-of", dates[2]]
    with pytest.raises(CommandError, match=f"^{OPTION[field]}: "):
        call_command("report", "programme", *args, stdout=io.StringIO())


def test_thirty_years_within_the_bounds_is_a_report(analyst: User) -> None:
    client = client_for(analyst)
    q = {"date_from": "2000-01-01", "date_to": "2029-12-31"}
    page = client.get(reverse("reports:programme"), {"preset": "custom", "open": "months", **q})
    assert page.status_code == 200 and not page.context["form"].errors
    assert len(page.context["months"]) == 360
    assert client.get(reverse("api:programme_report"), q).status_code == 200
    out = io.StringIO()
    call_command("report", "programme", "--from", q["date_from"], "--to", q["date_to"], stdout=out)
    assert json.loads(out.getvalue())["period"]["to"] == "2029-12-31"
    # A fiscal year ending after 2100 is derived from an allowed year: still a report.
    fiscal = client.get(reverse("reports:programme"), {"preset": "fiscal", "year": "2100"})
    assert fiscal.status_code == 200 and not fiscal.context["form"].errors


def test_months_are_stepped_without_overflow_up_to_the_last_date() -> None:
    params = programme.Params.make(D(9999, 11, 15), D(9999, 12, 31))
    months = programme.tally(params, []).monthly()
    assert [m["month"] for m in months] == ["9999-11", "9999-12"]
    leap = programme.Params.make(D(2016, 1, 31), D(2016, 3, 1))
    assert [m["month"] for m in programme.tally(leap, []).monthly()] == [
        "2016-01",
        "2016-02",
        "2016-03",
    ]


def test_thirty_years_from_a_leap_day_end_on_the_first_of_march() -> None:
    from tsunagu.reports.forms import period_errors, years_after

    assert years_after(D(2000, 2, 29), 30) == D(2030, 3, 1)
    assert period_errors(D(2000, 2, 29), D(2030, 2, 28), None) == []
    assert [f for f, _ in period_errors(D(2000, 2, 29), D(2030, 3, 1), None)] == ["date_to"]
