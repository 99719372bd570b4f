"""The pure helpers of the format: dates, prefecture codes, cells, encodings."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tsunagu.interchange import format as fmt
from tsunagu.interchange.exporter import analyst_detail


@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_every_iso_date_parses_back(day):
    assert fmt.parse_date(day.isoformat()) == day


@given(st.text(max_size=12))
def test_parse_date_accepts_only_the_iso_shape(text):
    parsed = fmt.parse_date(text)
    if parsed is not None:
        assert text == parsed.isoformat()


def test_parse_date_refuses_compact_and_slashed_forms():
    assert fmt.parse_date("20160510") is None
    assert fmt.parse_date("2016/05/10") is None
    assert fmt.parse_date("2016-02-30") is None


@given(st.integers(min_value=1, max_value=47))
def test_prefecture_codes_with_or_without_the_zero(n):
    assert fmt.normalise_prefecture(f"{n:02d}") == f"{n:02d}"
    assert fmt.normalise_prefecture(str(n)) == f"{n:02d}"


@given(st.one_of(st.integers(-(10**6), 10**6), st.dates(), st.text(max_size=20)))
def test_cell_text_writes_what_a_csv_would_hold(value):
    text = fmt.cell_text(value)
    if isinstance(value, dt.date):
        assert text == value.isoformat()
    elif isinstance(value, int):
        assert text == str(value) and fmt.cell_text(float(value)) == str(value)
    else:
        assert text == value.strip()


# No deadline: each example writes a file, which a busy machine can make slow.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_any_utf8_text_is_detected_as_utf8(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("enc") / "u.csv"
    path.write_bytes(text.encode("utf-8"))
    assert fmt.detect_encoding(path) == "utf-8-sig"


def test_shift_jis_text_is_detected_as_cp932(tmp_path):
    # Shift_JIS bytes could in theory also be valid UTF-8; real Japanese text is not.
    path = tmp_path / "s.csv"
    path.write_bytes("事案番号,都道府県\n新宿警察署,東京都\n".encode("cp932"))
    assert fmt.detect_encoding(path) == "cp932"


@given(st.sampled_from(["consultation", "warning", "assistance", "treatment_halted"]), st.text())
def test_analyst_never_gets_free_text(type_, detail):
    assert analyst_detail(type_, detail) == ""
