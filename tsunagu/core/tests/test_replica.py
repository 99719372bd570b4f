"""A real streaming replica: `initdb` a primary, `pg_basebackup -R` a replica, on
spare ports in a temporary folder, both stopped at the end. Reports read from
the replica and say as of when; case pages and every write use the primary.

Runs when TSUNAGU_REPLICA_TEST=1 (CI sets it in the PostgreSQL step) and the
PostgreSQL server binaries are installed. The machine's own server is not used.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tsunagu.core.tests.opsenv import AUDIT_KEYS, KEYS, python, run

PG_BIN = Path(os.environ.get("TSUNAGU_PG_SERVER_BIN", "/usr/lib/postgresql/15/bin"))
PRIMARY_PORT, REPLICA_PORT = 55432, 55433

pytestmark = pytest.mark.skipif(
    os.environ.get("TSUNAGU_REPLICA_TEST") != "1" or not (PG_BIN / "initdb").exists(),
    reason="set TSUNAGU_REPLICA_TEST=1 (needs the PostgreSQL server binaries)",
)


def _as_postgres(*args: str) -> subprocess.CompletedProcess[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    command = list(args)
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{args[0]}: {done.stdout}\n{done.stderr}"
    return done


@pytest.fixture
def primary_and_replica() -> Iterator[tuple[str, str]]:
    folder = Path(tempfile.mkdtemp(prefix="tsunagu-replica-"))
    folder.chmod(0o700)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    primary, replica = folder / "primary", folder / "replica"
    started: list[Path] = []

    def start(data: Path, port: int) -> None:
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
        _as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / f"{data.name}.log"),
            "-w",
            "start",
        )
        started.append(data)

    try:
        _as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(primary),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        start(primary, PRIMARY_PORT)
        _as_postgres(
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(PRIMARY_PORT),
            "-U",
            "postgres",
            "-D",
            str(replica),
            "-R",
            "-X",
            "stream",
        )
        start(replica, REPLICA_PORT)
        _as_postgres(
            str(PG_BIN / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(PRIMARY_PORT),
            "-U",
            "postgres",
            "-qc",
            "CREATE DATABASE tsunagu",
        )
        yield (
            f"postgres://postgres@127.0.0.1:{PRIMARY_PORT}/tsunagu",
            f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/tsunagu",
        )
    finally:
        for data in reversed(started):
            subprocess.run(
                ["runuser", "-u", "postgres", "--"] * (os.geteuid() == 0)
                + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                capture_output=True,
                timeout=120,
            )
        shutil.rmtree(folder, ignore_errors=True)


def test_reports_read_from_the_replica_and_say_as_of_when(primary_and_replica, tmp_path):
    primary, replica = primary_and_replica
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tsunagu.settings",
        "TSUNAGU_DATA_DIR": str(tmp_path / "data"),
        "TSUNAGU_KEYS": KEYS,
        "TSUNAGU_AUDIT_KEYS": AUDIT_KEYS,
        "TSUNAGU_DATABASE_URL": primary,
        "TSUNAGU_REPLICA_URL": replica,
        "TSUNAGU_REQUIRE_MFA": "0",  # force_login only; the second factor has its own tests
    }
    run(env, "migrate", "--no-input")
    check = python(env, "-m", "tsunagu.core.tests.opsprocs", "replicacheck")
    out, _ = check.communicate(timeout=300)
    assert check.returncode == 0, out
    result = json.loads(out.strip().splitlines()[-1])
    print("replica:", result)
    for name in ("report", "api"):
        assert result[name]["status"] == 200
        assert result[name]["replica_queries"] > 0
        assert result[name]["as_of_header"]
    assert result["report"]["as_of_on_page"]
    assert result["cases"] == {"status": 200, "replica_queries": 0}  # own writes: primary
    assert result["replica_read_only"]
    assert result["lag_ms"]["n"] == 30
