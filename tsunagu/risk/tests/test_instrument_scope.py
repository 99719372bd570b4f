"""Instruments belong to an agency: a prefecture's (a supervisor's load) or national
(an admin's, the demo's). Nobody outside the prefecture sees its instrument: not
on the pages, the API, the assess service or the interchange import's matching;
an analyst's national tables show its level labels, never its item wording."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from tsunagu.cases.services import ServiceError
from tsunagu.core.models import Region, User
from tsunagu.interchange.importer import import_files
from tsunagu.risk import instruments
from tsunagu.risk.models import Assessment, Instrument
from tsunagu.risk.tests.helpers import assess, definition
from tsunagu.risk.tests.test_interchange import CASES, EVENTS, write_assessments
from tsunagu.testing import client_for
from tsunagu.testing.files import write_set

pytestmark = pytest.mark.django_db
D = dt.date
WORDING = "TOKYO-LICENSED-WORDING"
LABEL = "TOKYO-LEVEL-LABEL"
OUTSIDERS = ["officer_osaka", "supervisor_osaka", "clinician_tokyo", "analyst", "admin_user"]


def tokyo_doc(name: str = "tokyo-form") -> dict[str, Any]:
    """A test instrument with marker wording (its items) and a marker level label."""
    doc = definition("external", name=name)
    doc["sections"][0]["items"][0]["text"] = {"en": WORDING, "ja": WORDING}
    doc["levels"][2]["label"] = {"en": LABEL, "ja": LABEL}
    return doc


def upload(user: User, doc: dict[str, Any]) -> Any:
    file = SimpleUploadedFile("form.json", json.dumps(doc).encode())
    return client_for(user).post("/risk/instruments/", {"file": file})


@pytest.fixture
def tokyo_form(supervisor_tokyo: User, tokyo: Region) -> Instrument:
    assert upload(supervisor_tokyo, tokyo_doc()).status_code == 302
    instrument = Instrument.objects.get(name="tokyo-form")
    assert instrument.prefecture == tokyo  # a supervisor's upload is their prefecture's
    return instrument


@pytest.fixture
def national(admin_user: User) -> Instrument:
    assert upload(admin_user, definition("count", name="national-form")).status_code == 302
    instrument = Instrument.objects.get(name="national-form")
    assert instrument.prefecture is None  # an admin's upload is national
    return instrument


def test_visible_to_by_role(
    request: Any, tokyo_form: Instrument, national: Instrument, officer_tokyo: User
) -> None:
    both = {tokyo_form.pk, national.pk}
    expected = {
        "officer_tokyo": both,
        "supervisor_tokyo": both,
        "officer_osaka": {national.pk},
        "supervisor_osaka": {national.pk},
        "admin_user": {national.pk},
        "clinician_tokyo": set(),
        "analyst": set(),
    }
    for who, pks in expected.items():
        user = request.getfixturevalue(who)
        seen = set(Instrument.objects.visible_to(user).values_list("pk", flat=True))
        assert seen == pks, who


def test_pages_and_api_list_the_prefectures_own_and_the_national_ones(
    officer_tokyo: User,
    officer_osaka: User,
    supervisor_osaka: User,
    make_case: Any,
    tokyo_form: Instrument,
    national: Instrument,
) -> None:
    tokyo_case, osaka_case = make_case(officer_tokyo), make_case(officer_osaka)
    tokyo = client_for(officer_tokyo)
    body = tokyo.get(f"/risk/cases/{tokyo_case.pk}/assess/").content.decode()
    assert f"/assess/{tokyo_form.pk}/" in body and f"/assess/{national.pk}/" in body
    page = tokyo.get(f"/risk/cases/{tokyo_case.pk}/assess/{tokyo_form.pk}/")
    assert page.status_code == 200 and WORDING in page.content.decode()
    listed = tokyo.get("/api/v1/risk/instruments").json()
    assert {(i["name"], i["prefecture"]) for i in listed} == {
        ("tokyo-form", "13"),
        ("national-form", None),
    }

    osaka = client_for(officer_osaka)
    body = osaka.get(f"/risk/cases/{osaka_case.pk}/assess/").content.decode()
    assert f"/assess/{national.pk}/" in body and "tokyo-form" not in body
    page = osaka.get(f"/risk/cases/{osaka_case.pk}/assess/{tokyo_form.pk}/")
    assert page.status_code == 404 and WORDING not in page.content.decode()
    assert [i["name"] for i in osaka.get("/api/v1/risk/instruments").json()] == ["national-form"]
    body = client_for(supervisor_osaka).get("/risk/instruments/").content.decode()
    assert "national-form" in body and "tokyo-form" not in body and WORDING not in body


def test_another_prefectures_instrument_is_refused_naming_the_field(
    officer_osaka: User, make_case: Any, tokyo_form: Instrument
) -> None:
    case = make_case(officer_osaka)
    with pytest.raises(ServiceError) as exc:
        assess(officer_osaka, case, tokyo_form, level="top")
    assert exc.value.field == "instrument_id"
    answer = client_for(officer_osaka).post(
        f"/api/v1/risk/cases/{case.pk}/assessments",
        {
            "instrument_id": tokyo_form.pk,
            "date": "2016-06-01",
            "level": "top",
            "answers": {"v1": {"rating": "y"}, "v2": {"rating": "n"}},
        },
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "instrument_id"]
    assert WORDING not in answer.content.decode()
    assert not Assessment.objects.exists()


def test_the_analyst_sees_level_labels_never_the_wording(
    analyst: User, officer_tokyo: User, make_case: Any, tokyo_form: Instrument
) -> None:
    assess(officer_tokyo, make_case(officer_tokyo), tokyo_form, level="top")
    body = client_for(analyst).get("/risk/national/").content.decode()
    assert LABEL in body and WORDING not in body


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_never_read_a_prefectures_wording(
    request: Any, who: str, tokyo_form: Instrument
) -> None:
    client = client_for(request.getfixturevalue(who))
    for url in ("/risk/instruments/", "/api/v1/risk/instruments", "/risk/national/"):
        assert WORDING not in client.get(url).content.decode(), url


def test_versions_are_unique_per_agency(
    supervisor_tokyo: User, supervisor_osaka: User, admin_user: User, tokyo_form: Instrument
) -> None:
    """The same name and version with other content: another agency's own version;
    refused within one agency (a changed instrument is a new version)."""
    changed = tokyo_doc()
    changed["levels"][0]["label"] = {"en": "Osaka low"}
    assert upload(supervisor_osaka, changed).status_code == 302
    assert upload(admin_user, changed).status_code == 302
    refused = upload(supervisor_tokyo, changed)
    assert refused.status_code == 400 and "version" in refused.content.decode()
    rows = Instrument.objects.filter(name="tokyo-form").values_list("prefecture__code", flat=True)
    assert sorted(map(str, rows)) == ["13", "27", "None"]
    same, created = instruments.load(changed)  # national, as the admin loaded it: a no-op
    assert same.prefecture is None and not created


def test_an_officer_cannot_load(officer_tokyo: User) -> None:
    with pytest.raises(instruments.InstrumentError):
        instruments.load(definition(), actor=officer_tokyo)
    assert not Instrument.objects.exists()


def test_command_loads_for_a_prefecture(tmp_path: Path, osaka: Region) -> None:
    path = tmp_path / "form.json"
    path.write_text(json.dumps(definition()), encoding="utf-8")
    call_command("instrument", "load", str(path), "--prefecture", "27")
    call_command("instrument", "load", str(path))
    assert sorted(map(str, Instrument.objects.values_list("prefecture__code", flat=True))) == [
        "27",
        "None",
    ]
    with pytest.raises(CommandError, match="--prefecture"):
        call_command("instrument", "load", str(path), "--prefecture", "99")


def test_import_matches_only_the_rows_prefectures_instruments(
    tmp_path: Path, tokyo_form: Instrument, officer_tokyo: User
) -> None:
    osaka_cases = [("O-1", "27", "", "2016-05-10", "stranger")]
    osaka_events = [("O-1", "27", "2016-05-10", "consultation", "")]
    folder = write_set(tmp_path / "in", [*CASES, *osaka_cases], [*EVENTS, *osaka_events])
    write_assessments(folder, [("O-1", "27", "2016-06-01", "tokyo-form", "1", "top", "")])
    refused = import_files(folder)
    assert not refused.ok
    assert any("tokyo-form" in str(e) for e in refused.errors), refused.errors
    assert not Assessment.objects.exists()

    write_assessments(folder, [("A-1", "13", "2016-06-01", "tokyo-form", "1", "top", "")])
    summary = import_files(folder)
    assert summary.ok, summary.errors
    assert Assessment.objects.get().instrument == tokyo_form


def test_import_prefers_the_prefectures_own_version(
    tmp_path: Path, tokyo_form: Instrument, admin_user: User
) -> None:
    """A national version of the same name and version is there too: a Tokyo row
    takes Tokyo's, an Osaka row the national one."""
    other = tokyo_doc()
    other["levels"][0]["label"] = {"en": "National low"}
    national, _created = instruments.load(other, actor=admin_user)
    osaka_cases = [("O-1", "27", "", "2016-05-10", "stranger")]
    osaka_events = [("O-1", "27", "2016-05-10", "consultation", "")]
    folder = write_set(tmp_path / "in", [*CASES, *osaka_cases], [*EVENTS, *osaka_events])
    write_assessments(
        folder,
        [
            ("A-1", "13", "2016-06-01", "tokyo-form", "1", "top", ""),
            ("O-1", "27", "2016-06-01", "tokyo-form", "1", "top", ""),
        ],
    )
    summary = import_files(folder)
    assert summary.ok, summary.errors
    got = {a.case.ref: a.instrument for a in Assessment.objects.select_related("case")}
    assert got == {"A-1": tokyo_form, "O-1": national}


def test_the_demo_instruments_are_national(officer_osaka: User) -> None:
    from io import StringIO

    from tsunagu.risk import demo

    demo.load(StringIO())
    demos = Instrument.objects.filter(is_demo=True)
    assert demos.count() == 3 and not demos.filter(prefecture__isnull=False).exists()
    assert Instrument.objects.visible_to(officer_osaka).count() == 3
