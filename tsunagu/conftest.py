"""Named people and places for tests, built in code (no JSON fixtures).

An officer of Tokyo and one of Osaka, a Tokyo supervisor, a clinician of a
Tokyo clinic, a national analyst and an administrator; `make_case` opens a
case through the service, with marker strings in the victim's fields so that
tests can search any response or file for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from tsunagu.cases import services
from tsunagu.cases.models import Case
from tsunagu.core.models import Region, Role, User
from tsunagu.testing import install_test_login
from tsunagu.testing.builders import (
    OFFENDER_NAME,
    PASSWORD,
    VICTIM_ADDRESS,
    VICTIM_NAME,
    VICTIM_PHONE,
    VICTIM_WORKPLACE,
)
from tsunagu.treatment.models import Clinic, ClinicStaff

# force_login signs a test client in with both factors (tsunagu.testing).
install_test_login()


@pytest.fixture(autouse=True)
def _english_off(settings: Any) -> None:
    """Tests run in Japanese, as users do, unless a test switches."""
    settings.LANGUAGE_CODE = "ja"


def _transactional(request: pytest.FixtureRequest) -> bool:
    """Whether the test runs outside a wrapping transaction (and so ends with a flush):
    through a fixture, or through `@pytest.mark.django_db(transaction=True)`."""
    names = request.fixturenames
    if "transactional_db" in names or "live_server" in names:
        return True
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)))


@pytest.fixture(autouse=True)
def _audit_triggers_allow_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """Transactional tests end with a flush; on SQLite that is a DELETE, which the
    append-only trigger refuses, and on PostgreSQL a TRUNCATE, which the statement
    trigger refuses. Lift the trigger just for the flush and put it back before the
    next test."""
    if not _transactional(request):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        else:  # the flush is a TRUNCATE, which a statement trigger refuses
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER audit_no_truncate")


@pytest.fixture(autouse=True)
def _audit_triggers_present(request: pytest.FixtureRequest) -> None:
    names = request.fixturenames
    if _transactional(request):
        request.getfixturevalue("transactional_db")
    elif "db" in names:
        request.getfixturevalue("db")
    else:
        return
    if not Region.objects.exists():
        # A transactional test before this one flushed the tables, data migrations
        # included: load the organisation tree and code tables again.
        from importlib import import_module

        from django.apps import apps

        import_module("tsunagu.core.migrations.0003_load_japan_regions_and_codes").load(apps, None)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON core_auditevent "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )
        else:
            cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER audit_no_truncate")


@pytest.fixture
def tokyo(db: Any) -> Region:
    return Region.objects.get(code="13")


@pytest.fixture
def osaka(db: Any) -> Region:
    return Region.objects.get(code="27")


def _user(username: str, role: str, region: Region | None = None, **extra: Any) -> User:
    user = User.objects.create_user(username, password=PASSWORD, role=role, region=region, **extra)
    return user


def _clinician(username: str, clinic: Clinic) -> User:
    user = _user(username, Role.CLINICIAN)
    ClinicStaff.objects.create(user=user, clinic=clinic)
    return user


@pytest.fixture
def officer_tokyo(tokyo: Region) -> User:
    return _user("officer-tokyo", Role.OFFICER, Region.objects.get(code="13-003"))


@pytest.fixture
def supervisor_tokyo(tokyo: Region) -> User:
    return _user("supervisor-tokyo", Role.SUPERVISOR, tokyo)


@pytest.fixture
def officer_osaka(osaka: Region) -> User:
    return _user("officer-osaka", Role.OFFICER, Region.objects.get(code="27-001"))


@pytest.fixture
def supervisor_osaka(osaka: Region) -> User:
    return _user("supervisor-osaka", Role.SUPERVISOR, osaka)


@pytest.fixture
def clinic_tokyo(tokyo: Region) -> Clinic:
    return Clinic.objects.create(
        code="13-C001", prefecture=tokyo, name="新宿こころのクリニック", monthly_capacity=5
    )


@pytest.fixture
def clinic_osaka(osaka: Region) -> Clinic:
    return Clinic.objects.create(code="27-C001", prefecture=osaka, name="梅田メンタルクリニック")


@pytest.fixture
def clinician_tokyo(clinic_tokyo: Clinic) -> User:
    return _clinician("clinician-tokyo", clinic_tokyo)


@pytest.fixture
def clinician_osaka(clinic_osaka: Clinic) -> User:
    return _clinician("clinician-osaka", clinic_osaka)


@pytest.fixture
def analyst(db: Any) -> User:
    return _user("analyst", Role.ANALYST, Region.objects.get(code="JP"))


@pytest.fixture
def admin_user(db: Any) -> User:
    return _user("admin", Role.ADMIN)


@pytest.fixture
def make_case(db: Any) -> Callable[..., Case]:
    """Open a case through the service, with an offender and a marked victim."""
    counter = {"n": 0}

    def make(officer: User, opened_on: dt.date = dt.date(2016, 5, 10), **kwargs: Any) -> Case:
        counter["n"] += 1
        people = [
            services.PersonData(
                role="offender", name=OFFENDER_NAME, sex="male", age=34, phone="090-0000-0000"
            ),
            services.PersonData(
                role="victim",
                name=VICTIM_NAME,
                sex="female",
                age=29,
                address=VICTIM_ADDRESS,
                phone=VICTIM_PHONE,
                workplace=VICTIM_WORKPLACE,
            ),
        ]
        assert officer.prefecture is not None
        return services.case_open(
            actor=officer,
            prefecture=officer.prefecture,
            ref=kwargs.pop("ref", f"T-{counter['n']:04d}"),
            opened_on=opened_on,
            relationship=kwargs.pop("relationship", "partner_or_ex"),
            people=kwargs.pop("people", people),
            **kwargs,
        )

    return make


# --- browser tests ---------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    import os

    from playwright.sync_api import sync_playwright

    # Playwright runs an event loop in this thread; the Django ORM calls made by
    # the test itself are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_server: Any) -> Iterator[Any]:
    context = chromium.new_context(locale="ja-JP", base_url=live_server.url)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def screenshot_dir() -> Any:
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "test-results"
    path.mkdir(exist_ok=True)
    return path
