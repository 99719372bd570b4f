"""Safe keys and files: no silent new key, warnings for risky set-ups, private files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from tsunagu.core import checks, crypto
from tsunagu.core.apps import _private_sqlite_files


@pytest.fixture
def key_file(settings: Any, tmp_path: Path) -> Any:
    settings.ENCRYPTION_KEYS = ""
    settings.ENCRYPTION_KEY_FILE = tmp_path / "keys"
    crypto.keyring.cache_clear()
    yield settings.ENCRYPTION_KEY_FILE
    crypto.keyring.cache_clear()


def ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]


def test_key_ids_are_unique_and_never_k1() -> None:
    made = {crypto.new_key_line().split(":")[0] for _ in range(50)}
    assert len(made) == 50 and "k1" not in made
    with pytest.raises(ImproperlyConfigured, match="listed twice"):
        crypto.parse_keys(crypto.new_key_line("a") + "," + crypto.new_key_line("a"))


def test_a_restored_database_without_its_key_refuses_to_start(
    key_file: Path, make_case: Any, officer_tokyo: Any
) -> None:
    case = make_case(officer_tokyo)
    key_file.unlink()  # the database was restored into a fresh folder
    crypto.keyring.cache_clear()
    problems = checks.data_protection()
    errors = [m for m in problems if m.is_serious()]
    assert ids(errors) == ["tsunagu.E001"]
    assert "missing" in errors[0].msg and "No new key was created" in errors[0].msg
    assert not key_file.exists()
    with pytest.raises(ImproperlyConfigured):
        checks.startup()
    assert case.pk


def test_a_wrong_key_refuses_to_start(key_file: Path, make_case: Any, officer_tokyo: Any) -> None:
    make_case(officer_tokyo)
    key_file.write_text(crypto.new_key_line() + "\n")  # another machine's key
    crypto.keyring.cache_clear()
    errors = [m for m in checks.data_protection() if m.is_serious()]
    assert set(ids(errors)) == {"tsunagu.E001"}
    assert "No configured encryption key decrypts cases.Person" in errors[0].msg


def test_another_installations_audit_key_refuses_to_start(
    settings: Any, make_case: Any, officer_tokyo: Any
) -> None:
    from tsunagu.core import audit

    make_case(officer_tokyo)  # audited: the chain is signed with this installation's key
    signed_with = audit.keyring().primary_id
    assert not [m for m in checks.data_protection() if m.is_serious()]
    settings.AUDIT_KEYS = crypto.new_key_line()  # a key file of another data folder
    audit.keyring.cache_clear()
    errors = [m for m in checks.data_protection() if m.is_serious()]
    assert ids(errors) == ["tsunagu.E002"] and signed_with in errors[0].msg
    audit.keyring.cache_clear()


def test_an_empty_database_gets_a_private_key_file(key_file: Path, db: Any) -> None:
    crypto.keyring()
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_key_file_in_the_data_folder_warns_in_production(settings: Any, tmp_path: Path) -> None:
    settings.DEBUG = False
    settings.DATA_DIR = tmp_path
    settings.ENCRYPTION_KEYS = ""
    settings.AUDIT_KEYS = crypto.new_key_line()
    settings.ENCRYPTION_KEY_FILE = tmp_path / "keys"
    warnings = checks._key_file_warnings()
    assert ids(warnings) == ["tsunagu.W001"] and "TSUNAGU_KEYS_FILE" in (warnings[0].hint or "")
    settings.ENCRYPTION_KEY_FILE = tmp_path.parent / "elsewhere" / "keys"
    assert checks._key_file_warnings() == []
    settings.DEBUG = True
    settings.ENCRYPTION_KEY_FILE = tmp_path / "keys"
    assert checks._key_file_warnings() == []


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_connected_as_superuser_warns(db: Any) -> None:
    assert "tsunagu.W002" in ids(checks._role_warnings())


def test_sqlite_files_are_made_private(tmp_path: Path) -> None:
    db = tmp_path / "t.sqlite3"
    for path in (db, Path(f"{db}-wal")):
        path.write_bytes(b"")
        path.chmod(0o644)

    class Conn:
        vendor = "sqlite"
        settings_dict = {"NAME": str(db)}

    _private_sqlite_files(None, Conn())
    assert oct(db.stat().st_mode & 0o777) == "0o600"
    assert oct(Path(f"{db}-wal").stat().st_mode & 0o777) == "0o600"


def test_a_new_data_folder_and_database_are_not_world_readable(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "TSUNAGU_DATA_DIR": str(data), "TSUNAGU_DEBUG": "1"}
    env.pop("TSUNAGU_DATABASE_URL", None)
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tsunagu.settings');"
        "django.setup(); from django.db import connection; connection.ensure_connection()"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)  # noqa: S603
    assert oct(data.stat().st_mode & 0o777) == "0o700"
    assert oct((data / "tsunagu.sqlite3").stat().st_mode & 0o777) == "0o600"
    assert connection.vendor in ("sqlite", "postgresql")
