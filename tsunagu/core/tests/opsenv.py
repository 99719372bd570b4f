"""Separate databases for the operations tests: a data folder or a PostgreSQL database
of their own, never the test database, used through `tsunagu` subprocesses.

The engine follows the suite's: PostgreSQL when TSUNAGU_DATABASE_URL is set
(databases named after it with a suffix, dropped afterwards), SQLite otherwise.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection

TSUNAGU = str(Path(sys.executable).parent / "tsunagu")
KEYS = "20261202-0a0b0c0d:" + base64.b64encode(b"o" * 32).decode()
AUDIT_KEYS = "20261202-0e0f1011:" + base64.b64encode(b"a" * 32).decode()


def pg_admin_url() -> str | None:
    return os.environ.get("TSUNAGU_DATABASE_URL") if connection.vendor == "postgresql" else None


@contextmanager
def database(tmp_path: Path, name: str) -> Iterator[dict[str, str]]:
    """The environment of a fresh, empty database called `name` (dropped at the end)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tsunagu.settings",
        "TSUNAGU_DATA_DIR": str(tmp_path / name),
        "TSUNAGU_KEYS": KEYS,
        "TSUNAGU_AUDIT_KEYS": AUDIT_KEYS,
        "TSUNAGU_LOG_LEVEL": "ERROR",
    }
    url = pg_admin_url()
    if url is None:
        env.pop("TSUNAGU_DATABASE_URL", None)
        yield env
        return
    base, _, db = url.rpartition("/")
    dbname = f"{db}_{name}"
    admin = f"{base}/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        con.execute(f'CREATE DATABASE "{dbname}"')
    env["TSUNAGU_DATABASE_URL"] = f"{base}/{dbname}"
    try:
        yield env
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([TSUNAGU, *args], env=env, capture_output=True, text=True, timeout=300)
    if check and done.returncode:
        raise AssertionError(f"tsunagu {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def python(env: dict[str, str], *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args], env=env, text=True, stdout=subprocess.PIPE, **kwargs
    )
