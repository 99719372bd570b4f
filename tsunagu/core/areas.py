"""The eight areas of Japan (八地方区分), each a list of prefectures.

An area (地方) groups prefectures for choosing them; it is not an organisation
node (`Region` is the nation, a prefecture or a police station) and holds no
data of its own. The prefectures are the JIS X 0401 codes of `Region`. Okinawa
is in the Kyushu area, as in the usual eight-area division; the name says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import get_language


@dataclass(frozen=True)
class Area:
    key: str
    name_ja: str
    name_en: str
    prefectures: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ja").startswith("en") else self.name_ja


AREAS: tuple[Area, ...] = (
    Area("hokkaido", "北海道", "Hokkaido", ("01",)),
    Area("tohoku", "東北", "Tohoku", ("02", "03", "04", "05", "06", "07")),
    Area("kanto", "関東", "Kanto", ("08", "09", "10", "11", "12", "13", "14")),
    Area("chubu", "中部", "Chubu", ("15", "16", "17", "18", "19", "20", "21", "22", "23")),
    Area("kinki", "近畿", "Kinki", ("24", "25", "26", "27", "28", "29", "30")),
    Area("chugoku", "中国", "Chugoku", ("31", "32", "33", "34", "35")),
    Area("shikoku", "四国", "Shikoku", ("36", "37", "38", "39")),
    Area(
        "kyushu",
        "九州・沖縄",
        "Kyushu and Okinawa",
        ("40", "41", "42", "43", "44", "45", "46", "47"),
    ),
)
AREA_BY_KEY: dict[str, Area] = {a.key: a for a in AREAS}


def area_prefectures(keys: list[str] | tuple[str, ...]) -> set[str]:
    """The prefecture codes of the areas named by `keys` (unknown keys add none)."""
    return {code for key in keys if key in AREA_BY_KEY for code in AREA_BY_KEY[key].prefectures}
