"""How the report pages present their figures: full-height tables and keyboard
reachable scroll regions, a total row, the map's legend (zero apart from no
data), the trend's axes, date pickers, the area and prefecture picker, and no
empty table header."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tsunagu.cases.models import Case
from tsunagu.core.areas import AREAS
from tsunagu.core.models import User
from tsunagu.interchange.importer import import_files
from tsunagu.reports import charts, programme
from tsunagu.reports.tests import test_views
from tsunagu.testing import client_for
from tsunagu.testing.builders import D

pytestmark = pytest.mark.django_db

# The cases of the view tests: Tokyo two advised (one received, one rejected), Osaka one.
programme_cases = test_views.programme_cases
PERIOD = test_views.PERIOD
NPA2016 = Path(settings.BASE_DIR) / "data" / "npa-2016"
OPEN = {**PERIOD, "open": ["months", "prefectures"]}


class Cells(HTMLParser):
    """Every <th> with its text, every scroll region, every element with a role."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.regions: list[dict[str, str | None]] = []
        self.inputs: list[dict[str, str | None]] = []
        self._th: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "th":
            self._th = []
        if "table-scroll" in (a.get("class") or "").split():
            self.regions.append(a)
        if tag == "input":
            self.inputs.append(a)

    def handle_data(self, data: str) -> None:
        if self._th is not None:
            self._th.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "th" and self._th is not None:
            self.headers.append("".join(self._th).strip())
            self._th = None


def cells(html: str) -> Cells:
    parser = Cells()
    parser.feed(html)
    return parser


def page(user: User, name: str, query: dict[str, Any]) -> str:
    response = client_for(user).get(reverse(name), query)
    assert response.status_code == 200
    return response.content.decode()


REPORT_PAGES: list[tuple[str, dict[str, Any]]] = [
    ("reports:programme", OPEN),
    ("reports:programme", {**PERIOD, "release": "1"}),
    ("reports:annual", {"year": "2016"}),
    ("reports:annual", {"year": "2016", "release": "1"}),
    ("reports:evaluation", PERIOD),
    ("reports:episodes", PERIOD),
]


@pytest.mark.parametrize(("name", "query"), REPORT_PAGES)
def test_no_table_header_is_empty_and_every_scroll_region_is_reachable_and_named(
    analyst: User, programme_cases: dict[str, Case], name: str, query: dict[str, Any]
) -> None:
    html = page(analyst, name, query)
    found = cells(html)
    assert found.headers and all(found.headers), found.headers
    for region in found.regions:
        assert region.get("tabindex") == "0" and region.get("role") == "region", region
        assert region.get("aria-label"), region
    # No inner box of fixed height: the class that had one is gone.
    assert 'class="scroll"' not in html


def test_scroll_regions_have_no_fixed_height() -> None:
    css = (Path(__file__).parents[1] / "static" / "reports" / "reports.css").read_text()
    rule = re.search(r"^\.table-scroll \{([^}]*)\}", css, re.M)
    assert rule and "max-height" not in rule.group(1) and "overflow-x" in rule.group(1)


def test_by_prefecture_table_ends_with_the_reports_totals(
    analyst: User, programme_cases: dict[str, Case]
) -> None:
    response = client_for(analyst).get(reverse("reports:programme"), OPEN)
    context = response.context
    rows, total = context["pref_rows"], context["pref_total"]
    summed = [sum(r["cells"][i]["count"] for r in rows) for i in range(len(total))]
    assert [c["count"] for c in total] == summed == [3, 1, 1, 0, 1, 0, 0, 0, 2, 0]
    # The total row is the national figure, and links to the national list.
    assert total[0]["count"] == context["totals"]["advised"]
    html = response.content.decode()
    foot = re.search(r"<tfoot><tr class=\"total\"><th scope=\"row\">(.*?)</th>(.*?)</tr>", html)
    assert foot and foot.group(1) == "合計"
    assert re.findall(r">(\d+)</a>", foot.group(2)) == [str(n) for n in summed]
    assert client_for(analyst).get(total[0]["url"]).context["count"] == 3


def test_total_row_agrees_with_the_published_npa2016_figures(analyst: User) -> None:
    assert import_files(NPA2016).ok
    response = client_for(analyst).get(reverse("reports:programme"), OPEN)
    rows, total = response.context["pref_rows"], response.context["pref_total"]
    counts = [c["count"] for c in total]
    assert counts == [sum(r["cells"][i]["count"] for r in rows) for i in range(len(total))]
    # advised, accepted, received, completed, continuing, halted, scheduled,
    # not needed, rejected, undecided (DESIGN §4)
    assert counts == [293, 108, 73, 14, 48, 11, 13, 22, 179, 6]
    assert len(rows) == 33


def test_map_has_a_legend_and_tells_zero_from_no_data(
    analyst: User, programme_cases: dict[str, Case]
) -> None:
    # Osaka and Tokyo chosen: Tokyo 2 advised, Osaka 1; the rest are outside the report.
    html = page(analyst, "reports:programme", {**PERIOD, "area": ["kanto"], "prefecture": ["27"]})
    svg = re.search(r'<svg class="chart tilemap".*?</svg>', html, re.S)
    assert svg
    legend = re.search(r'<g class="legend">(.*?)</g>', svg.group(0), re.S)
    assert legend
    labels = re.findall(r">([^<>]+)</text>", legend.group(1))
    assert labels == ["受診の働き掛け", "データなし", "0", "1", "2"]
    # Kanagawa (in Kanto, no advice) is zero and white; Kyoto (not chosen) has no data.
    assert re.search(r'fill="#ffffff"[^>]*><title>神奈川県: 0</title>', svg.group(0))
    assert re.search(r'fill="url\(#no-data\)"[^>]*><title>京都府: データなし</title>', svg.group(0))
    # The links are the only interactive things: the map is no image.
    assert 'role="img"' not in svg.group(0)[:200] and 'role="group"' in svg.group(0)[:200]
    flow = re.search(r'<svg class="chart flow"[^>]*>', html)
    assert flow and 'role="group"' in flow.group(0)
    assert re.search(r'<th scope="row">京都府</th><td class="num">データなし</td>', html)
    assert re.search(r'<th scope="row">神奈川県</th><td class="num">0</td>', html)


def test_a_share_of_no_advice_is_no_data_and_a_count_is_zero(
    programme_cases: dict[str, Case],
) -> None:
    report = programme.compute(
        Case.objects.all(), programme.Params.make(D(2016, 4, 1), D(2016, 12, 31))
    )
    scope = ("13", "27", "01")
    assert programme.map_values(report, "advised", scope) == {"01": 0, "13": 2, "27": 1}
    assert programme.map_values(report, "received_share", scope) == {
        "01": None,
        "13": 50.0,
        "27": 0.0,
    }
    tiles = {t.code: t.shade for t in charts.map_layout({"01": 0, "13": 2}, {})}
    assert tiles["01"] == 0 and tiles["13"] == 5 and tiles["47"] == charts.NO_DATA


def test_legend_bins_cover_every_value_once() -> None:
    counts = {f"{i:02d}": i for i in range(1, 30)}
    values: dict[str, float | None] = dict(counts)
    labels = dict(charts.legend_labels(values, "no data", "%(low)s<%(high)s"))
    assert labels[1] == "1–5" and labels[5] == "24–29"
    for code, value in counts.items():
        shade = charts.shade_index(value, 29)
        low, high = (int(x) for x in labels[shade].split("–"))
        assert low <= value <= high, code
    shares = dict(charts.legend_labels({"01": 12.5, "02": 50.0}, "no data", "%(low)s〜%(high)s"))
    assert shares[1] == "0.0〜10.0" and shares[5] == "40.0〜50.0"


def test_police_get_no_map_of_one_prefecture(
    supervisor_osaka: User, programme_cases: dict[str, Case]
) -> None:
    html = page(supervisor_osaka, "reports:programme", PERIOD)
    assert "chart tilemap" not in html and "東京都" not in html


def test_trend_has_round_ticks_full_months_and_a_colour_blind_safe_palette(
    analyst: User, programme_cases: dict[str, Case]
) -> None:
    html = page(analyst, "reports:programme", PERIOD)
    svg = re.search(r'<svg class="chart trend".*?</svg>', html, re.S)
    assert svg
    texts = re.findall(r">([^<>]+)</text>", svg.group(0))
    # y ticks 0, 1, 2 (the most in a month is 1); every month of the period, written YYYY-MM.
    assert ["0", "1"] == texts[:2]
    months = [t for t in texts if re.fullmatch(r"\d{4}-\d{2}", t)]
    assert months == [f"2016-{m:02d}" for m in range(4, 13)]
    assert "働き掛け数" in texts and "働き掛けの月" in texts
    colours = set(re.findall(r'stroke="(#[0-9a-f]{6})" stroke-width="2"', svg.group(0)))
    assert colours == {"#0072b2", "#009e73", "#d55e00"}  # Okabe–Ito
    assert "#a4161a" not in svg.group(0) and "#1e6b33" not in svg.group(0)
    assert 'stroke-dasharray="6 3"' in svg.group(0)  # told apart by dash as well


def test_ticks_and_month_labels() -> None:
    assert charts.nice_ticks(0) == [0, 1]
    assert charts.nice_ticks(44) == [0, 10, 20, 30, 40, 50]
    assert charts.nice_ticks(7) == [0, 2, 4, 6, 8]
    assert charts.month_ticks(9) == list(range(9))
    assert charts.month_ticks(36) == list(range(0, 36, 3))
    assert len(charts.month_ticks(360)) <= 12


@pytest.mark.parametrize("name", ["reports:programme", "reports:evaluation"])
def test_dates_are_date_inputs_with_the_format_in_the_label(
    analyst: User, programme_cases: dict[str, Case], name: str
) -> None:
    html = page(analyst, name, PERIOD)
    dates = {i["name"]: i for i in cells(html).inputs if i.get("type") == "date"}
    assert set(dates) == {"date_from", "date_to", "as_of"}
    assert dates["date_from"]["value"] == "2016-04-01"
    assert dates["date_from"]["min"] == "2000-01-01"
    label = re.search(r'<label for="id_date_from">(.*?)<input', html, re.S)
    assert label and "YYYY-MM-DD" in label.group(1)


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("reports:programme", PERIOD),
        ("reports:annual", {"year": "2016"}),
        ("reports:evaluation", PERIOD),
    ],
)
def test_an_area_chooses_all_its_prefectures_without_javascript(
    analyst: User, programme_cases: dict[str, Case], name: str, query: dict[str, Any]
) -> None:
    client = client_for(analyst)
    response = client.get(reverse(name), {**query, "area": ["kanto"], "prefecture": ["27"]})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.prefectures() == ("08", "09", "10", "11", "12", "13", "14", "27")
    html = response.content.decode()
    # Grouped checkboxes under a legend, the area box and its prefectures checked.
    assert '<fieldset class="prefecture-picker"' in html and "<legend>関東</legend>" in html
    assert re.search(r'name="area" value="kanto" data-area="kanto" checked', html)
    assert not re.search(r'name="area" value="kinki"[^>]* checked', html)
    for code in ("13", "14", "27"):
        assert re.search(rf'name="prefecture" value="{code}"[^>]* checked', html), code
    assert not re.search(r'name="prefecture" value="26"[^>]* checked', html)
    assert "<select" not in html.split('class="prefecture-picker"')[1].split("</fieldset>")[0]
    assert "関東、大阪府" in html  # the choice in words
    if name == "reports:programme":
        assert response.context["totals"]["advised"] == 3


def test_areas_hold_every_prefecture_once() -> None:
    codes = [code for area in AREAS for code in area.prefectures]
    assert sorted(codes) == [f"{i:02d}" for i in range(1, 48)]
    assert len(AREAS) == 8
    with translation.override("en"):
        assert AREAS[-1].name == "Kyushu and Okinawa"


def test_unknown_area_is_named_in_the_error(
    analyst: User, programme_cases: dict[str, Case]
) -> None:
    response = client_for(analyst).get(
        reverse("reports:programme"), {**PERIOD, "area": ["atlantis"]}
    )
    assert response.status_code == 200 and "area" in response.context["form"].errors
    assert "atlantis" in response.content.decode()


def test_police_get_no_prefecture_picker(
    supervisor_osaka: User, programme_cases: dict[str, Case]
) -> None:
    html = page(supervisor_osaka, "reports:annual", {"year": "2016"})
    assert "prefecture-picker" not in html and 'name="area"' not in html


def test_annual_headers_do_not_wrap(analyst: User, programme_cases: dict[str, Case]) -> None:
    html = page(analyst, "reports:annual", {"year": "2016"})
    assert '<th scope="col">年齢</th>' in html and '<th scope="col" class="num">女性</th>' in html
    css = (Path(__file__).parents[1] / "static" / "reports" / "reports.css").read_text()
    assert re.search(r"table\.counts th[^{]*\{ white-space: nowrap; \}", css)
