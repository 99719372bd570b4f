"""Processes for the operations tests, run as `python -m tsunagu.core.tests.opsprocs`.

They run against the database of the environment (TSUNAGU_DATA_DIR or
TSUNAGU_DATABASE_URL), never the test database:

- `write PREFIX`: opens cases (offender and victim with encrypted fields, then a
  warning in a second transaction) in a loop and prints `ACK <ref>` once both
  are committed, until it is stopped;
- `killloop KILLS`: forks writers and SIGKILLs each at a random moment, then
  checks the database and prints a JSON summary.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import select
import signal
import sys
import time
from typing import Any

import django

OPENED = dt.date(2020, 1, 6)
WARNED = dt.date(2020, 1, 7)


def _writer_user() -> Any:
    from tsunagu.core.models import Region, Role, User

    user, _ = User.objects.get_or_create(
        username="ops-writer",
        defaults={"role": Role.OFFICER, "region": Region.objects.get(code="13-003")},
    )
    return user


def write_cases(prefix: str, out: Any) -> None:
    from tsunagu.cases import services

    officer = _writer_user()
    assert officer.prefecture is not None
    n = 0
    out.write("READY\n")
    out.flush()
    while True:
        n += 1
        ref = f"{prefix}-{n:05d}"
        people = [
            services.PersonData(role="offender", name=f"加害者{ref}", sex="male", age=40),
            services.PersonData(
                role="victim",
                name=f"被害者{ref}",
                sex="female",
                age=30,
                address=f"東京都新宿区{ref}",
                phone="090-1234-5678",
            ),
        ]
        case = services.case_open(
            actor=officer,
            prefecture=officer.prefecture,
            ref=ref,
            opened_on=OPENED,
            relationship="partner_or_ex",
            people=people,
        )
        services.event_record(actor=officer, case=case, date=WARNED, type="warning")
        out.write(f"ACK {ref}\n")
        out.flush()


def check(acked: set[str]) -> dict[str, Any]:
    """What a crash may not have broken: acknowledged writes, whole cases, audit, keys."""
    from django.db.models import Count, Q

    from tsunagu.cases.models import Case, Event, Person
    from tsunagu.core.models import AuditEvent

    cases = Case.objects.filter(ref__startswith="K").annotate(
        n_people=Count("people", distinct=True),
        consultations=Count("events", filter=Q(events__type="consultation"), distinct=True),
        warnings=Count("events", filter=Q(events__type="warning"), distinct=True),
    )
    refs = {}
    half = []
    stale = []
    for case in cases:
        refs[case.ref] = case
        counted: Any = case
        if counted.n_people != 2 or counted.consultations != 1:
            half.append(case.ref)
        expected = "warning" if counted.warnings else "consultation"
        if case.latest_measure != expected:
            stale.append(case.ref)
    lost = sorted(acked - set(refs))
    unacked_warning = [r for r in acked if r in refs and not getattr(refs[r], "warnings", 0)]
    opened = AuditEvent.objects.filter(action="case.open", object_type="case").count()
    warnings = Event.objects.filter(type="warning").count()
    audited_warnings = AuditEvent.objects.filter(action="event.warning").count()
    undecryptable = 0
    for person in Person.objects.all():
        try:
            if person.role == "victim" and not person.address.startswith("東京都"):
                undecryptable += 1
        except Exception:  # noqa: BLE001 - any failure to decrypt counts
            undecryptable += 1
    from tsunagu.core import audit

    verify = getattr(audit, "verify", None)
    problem = verify() if verify is not None else None
    return {
        "audit_chain_problem": str(problem) if problem is not None else "",
        "cases": len(refs),
        "acked": len(acked),
        "lost": lost,
        "acked_without_warning": unacked_warning,
        "half_written": half,
        "stale_summary": stale,
        "case_open_audits": opened,
        "warnings": warnings,
        "warning_audits": audited_warnings,
        "undecryptable": undecryptable,
    }


def kill_loop(kills: int) -> dict[str, Any]:
    from django.db import connections

    _writer_user()
    acked: set[str] = set()
    done = 0
    started = time.monotonic()
    while done < kills:
        connections.close_all()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the writer: never returns
            os.close(read_end)
            try:
                write_cases(f"K{done:02d}", os.fdopen(write_end, "w"))
            finally:
                os._exit(1)
        os.close(write_end)
        reader = os.fdopen(read_end)
        # Wait until it writes, then kill it at a random moment of its work.
        line = reader.readline()
        deadline = time.monotonic() + random.uniform(0.2, 1.2)  # noqa: S311
        buffer = ""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([reader], [], [], max(0.0, deadline - time.monotonic()))
            if ready:
                chunk = os.read(reader.fileno(), 65536).decode()
                if not chunk:
                    break
                buffer += chunk
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        buffer += reader.read()  # acknowledged before the kill, still in the pipe
        reader.close()
        assert line.startswith("READY"), line
        acked.update(x.split()[1] for x in buffer.splitlines() if x.startswith("ACK "))
        done += 1
    summary = check(acked)
    summary.update(kills=done, seconds=round(time.monotonic() - started, 1))
    return summary


def replica_check() -> dict[str, Any]:
    """Which database serves which page, the "as of" line, and the replica's lag."""
    from django.db import connections
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tsunagu.cases.models import Case
    from tsunagu.core.models import Region, Role, User

    analyst = User.objects.create_user(
        "ops-analyst", role=Role.ANALYST, region=Region.objects.get(code="JP")
    )
    officer = _writer_user()
    result: dict[str, Any] = {}
    client = Client()
    client.force_login(analyst)
    for name, url in (
        ("report", "/reports/programme/"),
        ("api", "/api/v1/reports/programme?date_from=2016-04-01&date_to=2020-03-31"),
    ):
        with CaptureQueriesContext(connections["replica"]) as on_replica:
            response = client.get(url)
        result[name] = {
            "status": response.status_code,
            "replica_queries": len(on_replica),
            "as_of_header": response.headers.get("X-Data-As-Of", ""),
            "as_of_on_page": "時点" in response.content.decode(),
        }
    client.force_login(officer)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get("/cases/")
    result["cases"] = {"status": response.status_code, "replica_queries": len(on_replica)}
    # Replication lag: commit on the primary, poll the replica until the row shows.
    from tsunagu.cases import services

    lags = []
    assert officer.prefecture is not None
    for n in range(30):
        case = services.case_open(
            actor=officer, prefecture=officer.prefecture, ref=f"R-{n}", opened_on=OPENED
        )
        committed = time.monotonic()
        while not Case.objects.using("replica").filter(pk=case.pk).exists():
            time.sleep(0.001)
        lags.append((time.monotonic() - committed) * 1000)
    lags.sort()
    result["lag_ms"] = {
        "p50": round(lags[len(lags) // 2], 1),
        "max": round(lags[-1], 1),
        "n": len(lags),
    }
    # A write through the replica alias is refused by PostgreSQL (read-only standby).
    try:
        with connections["replica"].cursor() as cursor:
            cursor.execute("CREATE TABLE ops_should_fail (x int)")
        result["replica_read_only"] = False
    except Exception:  # noqa: BLE001
        result["replica_read_only"] = True
    return result


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")
    django.setup()
    command = sys.argv[1]
    if command == "write":
        write_cases(sys.argv[2], sys.stdout)
    elif command == "user":  # user USERNAME PASSWORD ROLE [REGION]
        from tsunagu.core.models import Region, User

        region = Region.objects.get(code=sys.argv[5]) if len(sys.argv) > 5 else None
        User.objects.create_user(sys.argv[2], password=sys.argv[3], role=sys.argv[4], region=region)
    elif command == "replicacheck":
        print(json.dumps(replica_check()))
    elif command == "killloop":
        print(json.dumps(kill_loop(int(sys.argv[2]))))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
