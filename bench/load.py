"""Load test: 50 simulated people against `tsunagu serve`, headless, bounded in time.

    nice -n 10 .venv/bin/python bench/load.py --data-dir DIR [--database-url URL]
        [--users 50] [--run-time 90s] [--workers 3] [--port 8163] [--out bench/out/load]

1. creates the bench accounts in the target database (idempotent): officers
   and supervisors of five prefectures, clinicians of a clinic, an analyst;
2. starts `tsunagu serve` on the port, with the second factor required as in
   production: every bench account has its own authenticator (a TOTP device
   with a key derived from its name), and each simulated person signs in with
   the password, then the current code, as the app on a phone would;
3. runs Locust headless: 70 % officers (case list, case page, record a
   measure through the form), 15 % clinicians (their work list),
   10 % supervisors (case list, the prefecture's users and referrals, reports),
   5 % analysts (programme report page and API, annual statistics); each
   signs in once with its own account (one person a second; a code is
   accepted once, so no two people share an account), then waits 1-3 s
   between requests;
   the statistics are reset once all have signed in;
4. stops the server (SIGTERM) and checks acknowledged writes = event rows =
   audit events; prints p50/p95/p99 per kind of request and the throughput.

Run it on the national set (import /work/.../national-csv into the database
first). The same file is the locustfile.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import itertools
import json
import os
import random
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PASSWORD = "load-test-password-2026"  # noqa: S105 (bench accounts only)
PREFECTURES = ("13", "27", "01", "14", "23")
NOTE = "load-test"
ACK_FILE = os.environ.get("TSUNAGU_LOAD_ACK_FILE", "")
_acked = {"writes": 0, "refused": 0}
_numbers: dict[str, itertools.count[int]] = {}


def totp_key(username: str) -> str:
    """The bench account's authenticator key (hex, 20 bytes), derived from its name."""
    return hashlib.sha1(f"tsunagu-load-{username}".encode()).hexdigest()  # noqa: S324


# --- the simulated people -------------------------------------------------------------


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    username = ""

    def on_start(self) -> None:
        counter = _numbers.setdefault(type(self).__name__, itertools.count(1))
        self.username = self.username_for(next(counter))
        page = self.client.get("/login/", name="sign in (form)")
        token = _csrf(page.text)
        second = self.client.post(
            "/login/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="sign in (POST)",
        )
        # Imported here: django_otp touches Django's lazy settings, which gevent's
        # monkey-patching (run when locust is imported) must not meet first.
        from django_otp.oath import totp

        code = totp(bytes.fromhex(totp_key(self.username)))
        self.client.post(
            "/mfa/",
            data={"code": f"{code:06d}", "csrfmiddlewaretoken": _csrf(second.text)},
            name="sign in: second factor (POST)",
        )

    def username_for(self, number: int) -> str:
        raise NotImplementedError


def _csrf(text: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
    return found.group(1) if found else ""


class Officer(Person):
    weight = 70
    case_ids: list[int]

    def username_for(self, number: int) -> str:
        return f"load-officer-{PREFECTURES[number % len(PREFECTURES)]}-{number}"

    def on_start(self) -> None:
        super().on_start()
        page = random.randint(1, 20)  # noqa: S311
        listed = self.client.get(f"/api/v1/cases/?page={page}", name="officer: case list (API)")
        self.case_ids = [c["id"] for c in listed.json().get("results", [])] or [0]

    @task(3)
    def case_list(self) -> None:
        page = random.randint(1, 50)  # noqa: S311
        self.client.get(f"/cases/?page={page}", name="officer: case list")

    @task(3)
    def case_page(self) -> None:
        self.client.get(f"/cases/{random.choice(self.case_ids)}/", name="officer: case page")  # noqa: S311

    @task(1)
    def record_measure(self) -> None:
        case = random.choice(self.case_ids)  # noqa: S311
        page = self.client.get(f"/cases/{case}/", name="officer: case page")
        today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=9))).date()
        with self.client.post(
            f"/cases/{case}/events/new/",
            data={
                "measure-type": "warning",
                "measure-date": today.isoformat(),
                "measure-note": f"{NOTE} {self.username} {time.time_ns()}",
                "csrfmiddlewaretoken": _csrf(page.text),
            },
            name="officer: record measure (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                _acked["writes"] += 1
                response.success()
            elif response.status_code in (200, 400):  # refused with a message (e.g. closed)
                _acked["refused"] += 1
                response.success()
            else:
                response.failure(f"status {response.status_code}")


class Clinician(Person):
    weight = 15

    def username_for(self, number: int) -> str:
        return f"load-clinician-{number}"

    @task
    def portal(self) -> None:
        self.client.get("/treatment/", name="clinician: work list")


class Supervisor(Person):
    weight = 10

    def username_for(self, number: int) -> str:
        return f"load-supervisor-{PREFECTURES[number % len(PREFECTURES)]}-{number}"

    @task(3)
    def case_list(self) -> None:
        self.client.get("/cases/", name="supervisor: case list")

    @task
    def users(self) -> None:
        self.client.get("/prefecture/users/", name="supervisor: prefecture users")

    @task
    def referrals(self) -> None:
        self.client.get("/treatment/referrals/", name="supervisor: referral list")

    @task
    def report(self) -> None:
        self.client.get("/reports/programme/", name="supervisor: programme report")


class Analyst(Person):
    weight = 5

    def username_for(self, number: int) -> str:
        return f"load-analyst-{number}"

    @task(2)
    def programme(self) -> None:
        self.client.get("/reports/programme/", name="analyst: programme report")

    @task
    def programme_api(self) -> None:
        self.client.get(
            "/api/v1/reports/programme?date_from=2016-04-01&date_to=2026-03-31",
            name="analyst: programme report (API)",
        )

    @task
    def annual(self) -> None:
        self.client.get("/reports/annual/", name="analyst: annual statistics")


@events.quitting.add_listener
def _write_acks(environment: Any, **kwargs: Any) -> None:
    if ACK_FILE:
        Path(ACK_FILE).write_text(json.dumps(_acked))


# --- setup and checks, in the application's environment --------------------------------

SETUP = """
import django, hashlib, json, sys
django.setup()
from tsunagu.core.models import Region, Role, User
from django_otp.plugins.otp_totp.models import TOTPDevice
from tsunagu.treatment.models import Clinic, ClinicStaff
PASSWORD, PREFECTURES, COUNT = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
def make(username, **fields):
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password(PASSWORD)
        if hasattr(user, "must_change_password"):
            user.must_change_password = False
        user.save()
    key = hashlib.sha1(f"tsunagu-load-{username}".encode()).hexdigest()
    TOTPDevice.objects.update_or_create(
        user=user, name="load-test", defaults={"key": key, "confirmed": True, "last_t": -1})
    return user
clinic, _ = Clinic.objects.get_or_create(code="13-LOAD", defaults=dict(
    prefecture=Region.objects.get(code="13"), name="負荷試験クリニック"))
for n in range(1, COUNT + 1):
    code = PREFECTURES[n % len(PREFECTURES)]
    station = Region.objects.filter(parent__code=code, kind="station").order_by("code").first()
    make(f"load-officer-{code}-{n}", role=Role.OFFICER, region=station)
    make(f"load-supervisor-{code}-{n}", role=Role.SUPERVISOR, region=Region.objects.get(code=code))
    clinician = make(f"load-clinician-{n}", role=Role.CLINICIAN)
    ClinicStaff.objects.get_or_create(user=clinician, defaults={"clinic": clinic})
    make(f"load-analyst-{n}", role=Role.ANALYST, region=Region.objects.get(code="JP"))
"""

COUNT = """
import django, json, sys
django.setup()
from tsunagu.cases.models import Event
from tsunagu.core.models import AuditEvent
officers = "load-officer-"
rows = Event.objects.filter(recorded_by__username__startswith=officers, detail__startswith=sys.argv[1]).count()
ids = set(Event.objects.filter(recorded_by__username__startswith=officers,
    detail__startswith=sys.argv[1]).values_list("pk", flat=True))
audits = sum(1 for oid in AuditEvent.objects.filter(action="event.warning",
    actor__username__startswith=officers).values_list("object_id", flat=True) if int(oid) in ids)
print(json.dumps({"rows": rows, "audits": audits}))
"""


def _django(env: dict[str, str], script: str, *args: str) -> str:
    done = subprocess.run(  # noqa: S603
        [str(BIN / "python"), "-c", script, *args], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return done.stdout


def _wait_up(url: str, server: subprocess.Popen[bytes]) -> None:
    import urllib.request

    for _ in range(240):
        if server.poll() is not None:
            raise SystemExit("the server stopped")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the server did not start")


def _table(stats_csv: Path) -> list[dict[str, Any]]:
    rows = []
    with stats_csv.open(newline="") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                {
                    "name": row["Name"] if row["Name"] != "Aggregated" else "all requests",
                    "count": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "p50": row["50%"],
                    "p95": row["95%"],
                    "p99": row["99%"],
                    "rps": float(row["Requests/s"]),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--users", type=int, default=50)
    # People sign in over a minute, not all in the same second; the figures are
    # reset once all are in (--reset-stats), so they describe the working load.
    parser.add_argument("--spawn-rate", type=float, default=1)
    parser.add_argument("--run-time", default="150s")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8163)
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "load"))
    options = parser.parse_args()

    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tsunagu.settings",
        "TSUNAGU_DATA_DIR": options.data_dir,
        "TSUNAGU_REQUIRE_MFA": "1",
        "TSUNAGU_BIND": f"127.0.0.1:{options.port}",
        "TSUNAGU_WORKERS": str(options.workers),
        "TSUNAGU_ACCESS_LOG": str(out / "access.log"),
    }
    if options.database_url:
        env["TSUNAGU_DATABASE_URL"] = options.database_url
    else:
        env.pop("TSUNAGU_DATABASE_URL", None)
    engine = "postgresql" if options.database_url else "sqlite"
    _django(env, SETUP, PASSWORD, ",".join(PREFECTURES), str(options.users))
    run_tag = f"{NOTE} "
    before = json.loads(_django(env, COUNT, run_tag))

    url = f"http://127.0.0.1:{options.port}"
    server = subprocess.Popen([str(BIN / "tsunagu"), "serve"], env=env)  # noqa: S603
    ack_file = out / "acks.json"
    ack_file.unlink(missing_ok=True)
    try:
        _wait_up(url, server)
        started = time.monotonic()
        subprocess.run(  # noqa: S603
            [
                str(BIN / "locust"),
                "-f",
                __file__,
                "--headless",
                "--users",
                str(options.users),
                "--spawn-rate",
                str(options.spawn_rate),
                "--run-time",
                options.run_time,
                "--host",
                url,
                "--csv",
                str(out / engine),
                "--only-summary",
                "--reset-stats",
                "--stop-timeout",
                "10",
            ],
            env={**env, "TSUNAGU_LOAD_ACK_FILE": str(ack_file)},
            check=False,
        )
        wall = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)
    after = json.loads(_django(env, COUNT, run_tag))
    acked = json.loads(ack_file.read_text()) if ack_file.exists() else {}
    rows = after["rows"] - before["rows"]
    audits = after["audits"] - before["audits"]
    table = _table(out / f"{engine}_stats.csv")
    print(f"\nengine {engine}, {options.users} users, {options.workers} workers, {wall:.0f} s")
    print("| request | n | fail | p50 ms | p95 ms | p99 ms | req/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in table:
        print(
            f"| {row['name']} | {row['count']} | {row['failures']} | {row['p50']} | "
            f"{row['p95']} | {row['p99']} | {row['rps']:.1f} |"
        )
    print(
        f"acknowledged writes {acked.get('writes')}, refused {acked.get('refused')}, "
        f"new event rows {rows}, their audit events {audits}"
    )
    summary = {"engine": engine, "table": table, "acked": acked, "rows": rows, "audits": audits}
    (out / f"{engine}_summary.json").write_text(json.dumps(summary, indent=2))
    if acked.get("writes") != rows or rows != audits:
        raise SystemExit("acknowledged writes, rows and audit events differ")


if __name__ == "__main__":
    main()
