"""Prefecture names for people, in the user's language: the full name (東京都 / Tokyo)
and the short one for tight places such as the map's tiles (東京 / Tokyo).

Prefecture names are public: any page may name any prefecture, so a code such as
「13」 never has to stand in for one.
"""

from __future__ import annotations

from django.utils.translation import get_language

from tsunagu.core.models import Region

# The suffixes of the Japanese names; 北海道 keeps its 道 (道 alone would not name it).
_SUFFIXES = ("都", "府", "県")


def shorten(name: str) -> str:
    """東京都 → 東京, 大阪府 → 大阪, 北海道 → 北海道; an English name as it is (Tokyo)."""
    return name[:-1] if name.endswith(_SUFFIXES) and len(name) > 2 else name


def short_name(name_ja: str, name_en: str, language: str | None = None) -> str:
    """The short name in the active (or given) language: 東京 / Tokyo."""
    if (language or get_language() or "ja").startswith("en"):
        return name_en
    return shorten(name_ja)


def prefecture_names(*, short: bool = False) -> dict[str, str]:
    """{JIS code: name} of the 47 prefectures, in the active language (one query)."""
    rows = Region.objects.filter(kind=Region.Kind.PREFECTURE).values_list(
        "code", "name_ja", "name_en"
    )
    english = (get_language() or "ja").startswith("en")
    if short:
        return {code: short_name(ja, en) for code, ja, en in rows}
    return {code: en if english else ja for code, ja, en in rows}


def prefecture_name(code: str, *, short: bool = False) -> str:
    """One prefecture's name from its JIS code (the code itself if unknown)."""
    return prefecture_names(short=short).get(code, code)
