"""English mode shows no half-translated names: every station has a Latin name
(migrations 0003 and 0010), map tiles show whole names."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from tsunagu.core.models import Region
from tsunagu.reports import charts


def test_no_station_glues_an_english_suffix_to_a_japanese_name(db: Any) -> None:
    stations = Region.objects.filter(kind=Region.Kind.STATION)
    assert stations.count() > 100
    glued = [
        s.name_en for s in stations if "Police Station" in s.name_en and not s.name_en.isascii()
    ]
    assert glued == []
    assert [s.name_en for s in stations if not s.name_en.isascii()] == []
    shinjuku = stations.get(name_ja="新宿警察署")
    with translation.override("en"):
        assert shinjuku.name == "Shinjuku Police Station"
    with translation.override("ja"):
        assert shinjuku.name == "新宿警察署"


def test_map_tiles_show_whole_names_in_both_languages(db: Any) -> None:
    values = {"13": 5.0, "46": 1.0, "01": None}
    english = charts.map_svg(values, {"13": "Tokyo", "46": "Kagoshima", "01": "Hokkaido"})
    assert '">Tokyo</text>' in english and ">Tok<" not in english
    assert 'lengthAdjust="spacingAndGlyphs">Kagoshima</text>' in english
    japanese = charts.map_svg(values, {"13": "東京都", "46": "鹿児島県", "01": "北海道"})
    assert '">東京</text>' in japanese and '">鹿児島</text>' in japanese
    assert '">北海道</text>' in japanese
