"""The timeline, the clinic pages and the map say things in words: no clinic code, no
"warning|2026-02-23", no login id, no 「ja,en」, no prefecture code."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tsunagu.core import regions
from tsunagu.testing import client_for
from tsunagu.testing.builders import referred
from tsunagu.treatment import loop
from tsunagu.treatment.models import Clinic


def test_the_timeline_names_the_clinic_the_follow_up_its_outcome_and_the_recorder(
    officer_tokyo, clinic_tokyo, make_case, django_assert_max_num_queries
):
    officer_tokyo.last_name, officer_tokyo.first_name = "佐藤", "健一"
    officer_tokyo.save()
    referral = referred(officer_tokyo, make_case, clinic_tokyo)
    case = referral.case
    followup = loop.followup_plan(
        actor=officer_tokyo,
        case=case,
        source_type="referral_sent",
        source_date=referral.sent_on,
        due_on=dt.date(2016, 7, 2),
        history=True,
    )
    loop.followup_done(
        actor=officer_tokyo,
        followup=followup,
        date=dt.date(2016, 7, 3),
        outcome="本人と面談、接触なし",
    )
    body = client_for(officer_tokyo).get(reverse("cases:detail", args=[case.pk])).content.decode()
    timeline = body[body.index('id="h-timeline"') :]
    timeline = timeline[: timeline.index("</table>")]
    assert "新宿こころのクリニック" in timeline and "13-C001" not in timeline
    assert "紹介状送付後の事後確認（期日 2016-07-02）: 本人と面談、接触なし" in timeline
    assert "|2016-07-02" not in timeline and "referral_sent" not in timeline
    assert "佐藤 健一" in timeline and "officer-tokyo" not in timeline


def test_clinic_languages_are_names_in_the_users_language(clinic_tokyo, supervisor_tokyo):
    clinic_tokyo.languages = "ja,en"
    clinic_tokyo.save()
    with translation.override("ja"):
        assert clinic_tokyo.language_names == "日本語、英語"
    with translation.override("en"):
        assert clinic_tokyo.language_names == "Japanese, English"
    assert Clinic(languages="").language_names == ""
    body = client_for(supervisor_tokyo).get(reverse("treatment:clinic", args=[clinic_tokyo.pk]))
    assert "日本語、英語" in body.content.decode() and "ja,en" not in body.content.decode()


def test_prefecture_names_full_and_short_in_both_languages(db):
    with translation.override("ja"):
        full, short = regions.prefecture_names(), regions.prefecture_names(short=True)
        assert (full["13"], short["13"]) == ("東京都", "東京")
        assert (short["01"], short["26"], short["27"], short["46"]) == (
            "北海道",
            "京都",
            "大阪",
            "鹿児島",
        )
        assert len(short) == 47 and not any(name.isdigit() for name in short.values())
    with translation.override("en"):
        assert regions.prefecture_name("13") == "Tokyo"
        assert regions.prefecture_name("13", short=True) == "Tokyo"


def test_the_map_tiles_show_short_names_not_codes(db):
    from tsunagu.core.regions import prefecture_names
    from tsunagu.reports import charts

    with translation.override("ja"):
        svg = str(charts.map_svg({"13": 3}, prefecture_names()))
    assert ">東京</text>" in svg and ">北海道</text>" in svg and ">沖縄</text>" in svg
    assert ">13</text>" not in svg and ">01</text>" not in svg


def test_english_pages_name_stations_in_latin_letters(db, officer_tokyo, make_case):
    from tsunagu.core.models import Region

    stations = Region.objects.filter(kind=Region.Kind.STATION)
    assert stations.count() >= 133
    assert not [s.name_en for s in stations if not s.name_en.isascii()]
    assert Region.objects.get(code="13-003").name_en == "Shinjuku Police Station"
    make_case(officer_tokyo, station=Region.objects.get(code="13-003"))
    client = client_for(officer_tokyo)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("cases:list"))
    assert response.headers["Content-Language"] == "en"
    body = response.content.decode()
    assert "Shinjuku Police Station" in body and "新宿" not in body
