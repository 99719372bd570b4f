"""English mode shows no half-translated names: a station keeps its stored Japanese
name unless the data has a real English one; map tiles show whole names."""

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
    shinjuku = stations.get(name_ja="新宿警察署")
    with translation.override("en"):
        assert shinjuku.name == "新宿警察署"
    # A station the data romanises keeps its English name.
    assert stations.filter(name_en="Chuo Police Station").exists()


def test_map_tiles_show_whole_names_in_both_languages() -> None:
    values = {"13": 5.0, "46": 1.0, "01": None}
    english = charts.map_svg(values, {"13": "Tokyo", "46": "Kagoshima", "01": "Hokkaido"})
    assert '">Tokyo</text>' in english and ">Tok<" not in english
    assert 'lengthAdjust="spacingAndGlyphs">Kagoshima</text>' in english
    japanese = charts.map_svg(values, {"13": "東京都", "46": "鹿児島県", "01": "北海道"})
    assert '">東京</text>' in japanese and '">鹿児島</text>' in japanese
    assert '">北海道</text>' in japanese


def test_the_migration_mends_names_stored_before_it(db: Any) -> None:
    from importlib import import_module

    from django.apps import apps

    tokyo = Region.objects.get(code="13")
    glued = Region.objects.create(
        code="13-990",
        kind="station",
        parent=tokyo,
        name_ja="新宿東警察署",
        name_en="新宿東 Police Station",
    )
    proper = Region.objects.create(
        code="13-991",
        kind="station",
        parent=tokyo,
        name_ja="中央警察署",
        name_en="Chuo Police Station",
    )
    import_module("tsunagu.core.migrations.0009_station_names_en_without_glued_suffix").unglue(
        apps, None
    )
    glued.refresh_from_db()
    proper.refresh_from_db()
    assert glued.name_en == "新宿東警察署"
    assert proper.name_en == "Chuo Police Station"
