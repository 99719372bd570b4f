"""One vocabulary (docs/glossary.md): no Japanese message or template text uses a term
the glossary replaces, and the report has one title on the page and in the PDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]  # tsunagu/
GLOSSARY = PACKAGE.parent / "docs" / "glossary.md"
JAPANESE = re.compile(r"[぀-ヿ一-鿿]")


def replaced_terms() -> dict[str, str]:
    """The table between the replaced-terms markers: {term not used: term used}."""
    text = GLOSSARY.read_text(encoding="utf-8")
    block = text.split("<!-- replaced-terms:start -->")[1].split("<!-- replaced-terms:end -->")[0]
    rows = [line.strip().strip("|").split("|") for line in block.splitlines()]
    pairs = [(a.strip(), b.strip()) for a, b, *_ in (r for r in rows if len(r) >= 2)]
    return {a: b for a, b in pairs[2:]}  # after the header and its rule


def _unquote(s: str) -> str:
    return s.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def ja_messages() -> list[tuple[str, str, str]]:
    """(file, msgid, msgstr) of every translated entry of every app's ja catalogue."""
    found = []
    for path in sorted(PACKAGE.glob("*/locale/ja/LC_MESSAGES/django.po")):
        for block in path.read_text(encoding="utf-8").split("\n\n"):
            if block.lstrip().startswith("#~"):
                continue
            parts: dict[str, str] = {}
            key = ""
            for line in block.splitlines():
                match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
                if match:
                    key = match.group(1)
                    parts[key] = parts.get(key, "") + _unquote(match.group(2))
                elif line.startswith('"') and key:
                    parts[key] += _unquote(line[1:-1])
            strs = [v for k, v in parts.items() if k.startswith("msgstr")]
            if parts.get("msgid") and any(strs):
                msgid = parts["msgid"]
                if "msgctxt" in parts:
                    msgid = f"{parts['msgctxt']}\x04{msgid}"  # as gettext keys it
                found.append((str(path.relative_to(PACKAGE)), msgid, "".join(strs)))
    return found


def template_texts() -> list[tuple[str, str]]:
    """Japanese literals in templates and Python (outside tests and catalogues)."""
    found = []
    for pattern in ("*/templates/**/*.html", "*/templates/**/*.txt", "*/*.py", "*/*/*.py"):
        for path in PACKAGE.glob(pattern):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                if JAPANESE.search(line):
                    found.append((str(path.relative_to(PACKAGE)), line))
    return found


def test_the_glossary_table_is_read():
    terms = replaced_terms()
    assert terms["フォローアップ"] == "事後確認" and terms["取込"] == "取り込"
    assert len(terms) >= 10


def test_the_catalogues_are_read():
    messages = ja_messages()
    assert len(messages) > 1000
    assert any(msgstr == "事後確認の計画" for _f, _id, msgstr in messages)


@pytest.mark.parametrize("term", sorted(replaced_terms()))
def test_no_japanese_text_uses_a_replaced_term(term):
    preferred = replaced_terms()[term]
    hits = [f"{f}: {msgid!r} → {msgstr}" for f, msgid, msgstr in ja_messages() if term in msgstr]
    hits += [f"{f}: {line.strip()}" for f, line in template_texts() if term in line]
    assert hits == [], f"use 「{preferred}」 instead of 「{term}」"


def test_the_report_has_one_title_on_the_page_and_in_the_pdf(analyst):
    import io

    from django.urls import reverse
    from pypdf import PdfReader

    from tsunagu.testing import client_for

    client = client_for(analyst)
    period = {"preset": "custom", "date_from": "2016-04-01", "date_to": "2016-12-31"}
    body = client.get(reverse("reports:programme"), period).content.decode()
    title = "ストーカー加害者に対する受診の働き掛けの実施状況"
    assert re.search(r"<title>\s*" + title, body) and f"<h1>{title}</h1>" in body
    pdf = client.get(reverse("reports:programme_download"), {**period, "format": "pdf"})
    content = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    metadata = PdfReader(io.BytesIO(content)).metadata
    assert metadata is not None and metadata.title == title


# Every app's catalogue feeds one gettext domain, so a msgid translated two ways
# shows whichever catalogue wins, on every page. A msgid with two meanings (a
# status 「継続中」 and a button 「開く」 are both "Open") is split with a message
# context (pgettext, {% translate "…" context "…" %}); none is left to split.
SPLIT_BY_MEANING: set[str] = set()


def test_one_msgid_has_one_japanese_wording_across_the_catalogues():
    wordings: dict[str, dict[str, str]] = {}
    for path, msgid, msgstr in ja_messages():
        wordings.setdefault(msgid, {})[path.split("/")[0]] = msgstr
    split = {m for m, by_app in wordings.items() if len(set(by_app.values())) > 1}
    assert split - SPLIT_BY_MEANING == set(), {m: wordings[m] for m in split - SPLIT_BY_MEANING}
    assert SPLIT_BY_MEANING - split == set(), "resolved: take it off SPLIT_BY_MEANING"


def test_each_meaning_of_a_split_word_shows_its_own_japanese():
    from django.utils import translation
    from django.utils.translation import gettext, pgettext

    with translation.override("ja"):
        assert [pgettext(c, "Open") for c in ("case status", "referral status", "button")] == [
            "継続中",
            "対応中",
            "開く",
        ]
        assert [pgettext(c, "Name") for c in ("person", "clinic")] == ["氏名", "名称"]
        assert [pgettext(c, "Role") for c in ("person", "account")] == ["区分", "役割"]
        assert pgettext("account change", "Rejected") == "却下" and gettext("Rejected") == "拒否"
        assert pgettext("date", "Treatment started") == "受診開始日"
        assert gettext("Treatment started") == "受診（治療開始）"
