"""`tsunagu serve`: gunicorn with /healthz, static files, 503 on a busy database,
an access log without query strings, and a graceful stop on SIGTERM."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tsunagu.core.tests.opsenv import TSUNAGU, database, python, run

pytestmark = pytest.mark.django_db  # only to know the suite's engine


def _free_port() -> int:
    """A port nobody listens on now, so that two suites on one machine do not meet."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PORT = _free_port()
BASE = f"http://127.0.0.1:{PORT}"
SECRET_QUERY = "QUERY-NAME-MARKER"


def _wait_up(server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server stopped"
        try:
            requests.get(f"{BASE}/healthz", timeout=5)
            return
        except requests.ConnectionError:
            time.sleep(0.3)
    raise AssertionError("the server did not start")


def _sign_in(session: requests.Session, username: str, password: str) -> None:
    page = session.get(f"{BASE}/login/", timeout=30)
    token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    done = session.post(
        f"{BASE}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{BASE}/login/"},
        timeout=30,
        allow_redirects=False,
    )
    assert done.status_code == 302, done.text[:500]


def test_serve_health_static_busy_log_and_graceful_stop(tmp_path: Path):
    with database(tmp_path, "serve") as env:
        # Password-only sign-in: the second factor has its own tests.
        env = {**env, "TSUNAGU_LOCK_WAIT": "1", "TSUNAGU_WORKERS": "2", "TSUNAGU_REQUIRE_MFA": "0"}
        env["TSUNAGU_BIND"] = f"127.0.0.1:{PORT}"
        log = (tmp_path / "server.log").open("w+")
        server = subprocess.Popen(
            [TSUNAGU, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        try:
            _wait_up(server)
            # Not migrated yet: unhealthy, and says nothing else.
            sick = requests.get(f"{BASE}/healthz", timeout=30)
            assert sick.json() == {"status": "unavailable"}, log.name
            assert sick.status_code == 503
            run(env, "migrate", "--no-input")
            python(
                env,
                "-m",
                "tsunagu.core.tests.opsprocs",
                "user",
                "ops-officer",
                "ops-password-123456",
                "officer",
                "13-003",
            ).wait(timeout=120)
            health = requests.get(f"{BASE}/healthz", timeout=30)
            assert health.status_code == 200 and health.json() == {"status": "ok"}

            static = requests.get(f"{BASE}/static/css/tsunagu.css", timeout=30)
            assert static.status_code == 200 and "text/css" in static.headers["Content-Type"]

            session = requests.Session()
            _sign_in(session, "ops-officer", "ops-password-123456")
            listed = session.get(f"{BASE}/cases/", params={"ref": SECRET_QUERY}, timeout=30)
            assert listed.status_code == 200
            csrf = {"X-CSRFToken": str(session.cookies["csrftoken"]), "Referer": f"{BASE}/"}
            case: dict[str, Any] = {
                "ref": "S-1",
                "opened_on": "2020-01-06",
                "relationship": "stranger",
                "offender": {"name": "x", "sex": "male"},
            }
            if "TSUNAGU_DATABASE_URL" not in env:  # SQLite: another writer holds the lock
                lock = sqlite3.connect(
                    Path(env["TSUNAGU_DATA_DIR"]) / "tsunagu.sqlite3", isolation_level=None
                )
                lock.execute("BEGIN IMMEDIATE")
                try:
                    busy = session.post(
                        f"{BASE}/api/v1/cases/", json=case, headers=csrf, timeout=30
                    )
                finally:
                    lock.execute("ROLLBACK")
                    lock.close()
                assert busy.status_code == 503, busy.text[:300]
                assert busy.headers["Retry-After"] == "5"
                assert busy.json()["saved"] is False
            created = session.post(f"{BASE}/api/v1/cases/", json=case, headers=csrf, timeout=30)
            assert created.status_code == 201, created.text[:300]
        finally:
            server.send_signal(signal.SIGTERM)
            returncode = server.wait(timeout=60)
        log.seek(0)
        text = log.read()
    assert returncode == 0, text  # SIGTERM: workers finished, the master exited cleanly
    assert '"GET /cases/" 200' in text
    assert SECRET_QUERY not in text and "ref=" not in text
