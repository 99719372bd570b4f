from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tsunagu.core import crypto
from tsunagu.testing.builders import VICTIM_ADDRESS, VICTIM_NAME


@pytest.fixture
def fresh_keyring():
    crypto.keyring.cache_clear()
    yield
    crypto.keyring.cache_clear()


def raw_key_ids(column: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM cases_person WHERE {column} <> ''")  # noqa: S608
        return {crypto.key_id_of(value) for (value,) in cursor.fetchall()}


def run(*args: str) -> str:
    out = StringIO()
    call_command("rotate-keys", *args, stdout=out)
    return out.getvalue()


def test_rotation_with_keys_from_the_environment(settings, fresh_keyring, make_case, officer_tokyo):
    old, new = crypto.new_key_line("old"), crypto.new_key_line("new")
    settings.ENCRYPTION_KEYS = old
    crypto.keyring.cache_clear()
    case = make_case(officer_tokyo)
    assert raw_key_ids("address") == {"old"}

    settings.ENCRYPTION_KEYS = f"{new},{old}"
    crypto.keyring.cache_clear()
    first = run()
    assert "cases.Person.address: 1 re-encrypted" in first
    assert raw_key_ids("address") == {"new"} and raw_key_ids("name") == {"new"}
    victim = case.people.get(role="victim")
    assert victim.address == VICTIM_ADDRESS and victim.name == VICTIM_NAME
    assert VICTIM_ADDRESS not in first

    second = run()
    assert "Done: 0 values re-encrypted" in second

    # Only the new key is needed from now on.
    settings.ENCRYPTION_KEYS = new
    crypto.keyring.cache_clear()
    assert case.people.get(role="victim").address == VICTIM_ADDRESS


def test_new_key_in_the_key_file(settings, fresh_keyring, tmp_path, make_case, officer_tokyo):
    settings.ENCRYPTION_KEYS = ""
    settings.ENCRYPTION_KEY_FILE = tmp_path / "keys"
    crypto.keyring.cache_clear()
    case = make_case(officer_tokyo)
    (first,) = raw_key_ids("phone")
    assert first != "k1" and len(first) == len("20261202-") + 8  # dated and random
    out = run("--new-key")
    lines = settings.ENCRYPTION_KEY_FILE.read_text().split()
    ids = [ln.split(":")[0] for ln in lines]
    assert ids[1] == first and ids[0] != first and f"New key {ids[0]}" in out
    assert raw_key_ids("phone") == {ids[0]}
    assert oct(settings.ENCRYPTION_KEY_FILE.stat().st_mode & 0o777) == "0o600"
    assert case.people.get(role="victim").phone == "VICTIM-PHONE-MARKER"
    assert "Done: 0 values re-encrypted" in run()


def test_rotation_binds_old_unbound_values(settings, fresh_keyring, make_case, officer_tokyo):
    """Values written before binding ("v1", no associated data) are rebound in place."""
    settings.ENCRYPTION_KEYS = crypto.new_key_line()
    crypto.keyring.cache_clear()
    case = make_case(officer_tokyo)
    victim = case.people.get(role="victim")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_person SET address = %s WHERE id = %s",
            [crypto.encrypt(VICTIM_ADDRESS, None), victim.pk],
        )
    assert case.people.get(role="victim").address == VICTIM_ADDRESS  # still readable
    out = run()
    assert "cases.Person.address: 1 re-encrypted" in out
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM cases_person WHERE id = %s", [victim.pk])
        (token,) = cursor.fetchone()
    assert crypto.is_bound(token)
    assert case.people.get(role="victim").address == VICTIM_ADDRESS
    assert "Done: 0 values re-encrypted" in run()


def test_new_key_is_refused_when_keys_come_from_the_environment(settings, fresh_keyring):
    settings.ENCRYPTION_KEYS = crypto.new_key_line()
    with pytest.raises(CommandError):
        run("--new-key")
