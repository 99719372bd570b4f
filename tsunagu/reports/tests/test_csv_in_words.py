"""The programme and drill-down CSVs offer headers in words (`?headers=words`), in the
user's language; without it they keep their column keys for programs."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from tsunagu.testing import client_for
from tsunagu.testing.builders import D, case_with

pytestmark = pytest.mark.django_db

PERIOD = {"preset": "custom", "date_from": "2016-04-01", "date_to": "2016-12-31"}


@pytest.fixture
def cases(db: Any) -> None:
    case_with(
        "13",
        "T1",
        (D(2016, 5, 1), "treatment_advised"),
        (D(2016, 5, 3), "advice_rejected", "sees_no_need"),
    )


def _rows(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))


def test_programme_csv_in_words(analyst, cases):
    client = client_for(analyst)
    url = reverse("reports:programme_download")
    keys = _rows(client.get(url, {**PERIOD, "format": "csv"}))
    assert keys[0] == ["period_from", "period_to", "as_of"] and keys[3][0] == "prefecture"
    assert "rejection_reasons.sees_no_need" in keys[3]
    words = _rows(client.get(url, {**PERIOD, "format": "csv", "headers": "words"}))
    assert words[0] == ["開始日", "終了日", "基準日"]
    header = words[3]
    assert header[0] == "都道府県"
    assert "拒否の理由: 受診の必要性を感じない" in header
    assert not any("." in h or h.isascii() for h in header)
    firsts = [row[0] for row in words[4:]]
    assert "東京都" in firsts and firsts[-1] == "合計" and "13" not in firsts


def test_drill_down_csv_in_words_for_the_police_and_the_analyst(officer_tokyo, analyst, cases):
    url = reverse("reports:episodes")
    police = _rows(
        client_for(officer_tokyo).get(url, {**PERIOD, "format": "csv", "headers": "words"})
    )
    assert police[0][:3] == ["事案", "都道府県", "働き掛け日"]
    assert (
        police[1][0] == "T1" and police[1][1] == "東京都" and "受診の必要性を感じない" in police[1]
    )
    plain = _rows(client_for(analyst).get(url, {**PERIOD, "format": "csv"}))
    assert plain[0][0] == "pseudonym" and plain[1][1] == "13" and "sees_no_need" in plain[1]
    words = _rows(client_for(analyst).get(url, {**PERIOD, "format": "csv", "headers": "words"}))
    assert words[0][0] == "仮名ID" and "T1" not in words[1]


def test_the_page_offers_the_csv_in_words(analyst, cases):
    body = client_for(analyst).get(reverse("reports:programme"), PERIOD).content.decode()
    assert "headers=words" in body and "日本語の見出し" in body
