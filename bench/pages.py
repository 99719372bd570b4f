"""Single-user server time of the busy pages, on one or more imported data sets.

    # one data set (a SQLite data folder, or a PostgreSQL URL)
    nice -n 10 .venv/bin/python bench/pages.py --data /tmp/speed-data/small
    TSUNAGU_DATA_DIR=<its data folder> nice -n 10 .venv/bin/python bench/pages.py \
        --url postgres://postgres@127.0.0.1:5432/db
    # side by side: a set 10x smaller and the full set
    nice -n 10 .venv/bin/python bench/pages.py --data /tmp/a --data /tmp/b [--runs 15]

Each data set is read by its own subprocess (Django is set up once per process),
already migrated and imported with `tsunagu import`. The script adds, once, the
accounts it signs in with (an officer and a supervisor of Tokyo, a clinician of a
Tokyo clinic, an analyst; usernames start with `bench-`), then requests every page
through the Django test client (HTML rendered, middleware included, no network)
`--runs` times after one warm-up request, and prints the median and the worst
time in milliseconds, the median CPU time of this process (in brackets: on a
shared, busy machine the wall time includes waiting for a core; on SQLite the
CPU time includes the database's work, on PostgreSQL it does not) and the
number of SQL queries (counted on one more, untimed request: capturing them costs
time of its own). "first" is the first request of the page in the process
(for a report: computed, then cached); median and worst are of the `--runs`
requests after it (for a report: viewed again on unchanged data); its CPU time
follows in brackets. The report cache is emptied when the script starts, so a
report's "first" is a first view. "after a write in Tokyo" rows update one Tokyo
case to the same values (the database triggers bump Tokyo's data version, the
figures stay the same) before each request, first and timed ones alike: every
request is then a first view after a write elsewhere than in most of the data.
"after a write in five prefectures" does the same to one case of each of the load
test's five prefectures (13, 27, 01, 14, 23): five data versions bumped, and the
opening month of each case marked stale in the annual rollup. "after a warning in
five prefectures" is the load test's own write: before each request it records a
`warning` dated today on an open case of each of those prefectures, through the
service (`cases.services.police_event_record`) as a bench officer of that
prefecture (`bench-officer-<code>`). So the figures do change: the current month's
rollup cell of each prefecture is marked stale and each request recounts it. Those
warnings stay in the database (run the bench on a copy of the data); the year shown
is the last year a case was opened in, so they do not move it.
`--only TEXT` times only the pages whose label contains TEXT.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(runs: int, only: str = "") -> list[dict[str, object]]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")
    import django

    django.setup()
    from tsunagu.core import checks as startup_checks

    refused = [m.msg for m in startup_checks.data_protection() if m.is_serious()]
    if refused:  # e.g. the keys of another data folder: the app itself would not start
        sys.exit("\n".join(refused))
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import F
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tsunagu.cases.models import Case, Event
    from tsunagu.core.models import Region, Role, User

    tokyo = Region.objects.get(code="13")
    station = Region.objects.filter(parent=tokyo).order_by("code").first()

    def account(name: str, role: str, region: Region | None) -> User:
        user, _created = User.objects.get_or_create(
            username=f"bench-{name}", defaults={"role": role, "region": region}
        )
        return user

    officer = account("officer", Role.OFFICER, station or tokyo)
    supervisor = account("supervisor", Role.SUPERVISOR, tokyo)
    analyst = account("analyst", Role.ANALYST, Region.objects.filter(kind="nation").first())
    clinician = None
    try:
        from tsunagu.treatment.models import Clinic

        clinic = Clinic.objects.filter(prefecture=tokyo).first()
        if clinic is None:
            clinic = Clinic.objects.create(prefecture=tokyo, code="BENCH", name="Bench clinic")
        clinician = account("clinician", Role.CLINICIAN, None)
        if clinician.clinic_id != clinic.pk:
            clinician.clinic = clinic
            clinician.save(update_fields=["clinic"])
    except Exception as exc:  # noqa: BLE001 - the bench reports what it could not set up
        print(f"no clinician: {exc}", file=sys.stderr)

    case = (
        Case.objects.filter(prefecture=tokyo)
        .order_by("-opened_on")
        .filter(pk__in=Event.objects.filter(type="treatment_advised").values("case_id"))
        .first()
    )
    # The last year a case was opened in: the bench's own warnings (dated today) do
    # not move it.
    last_year = Case.objects.order_by("-opened_on").values_list("opened_on", flat=True).first()
    year = last_year.year if last_year else 2025
    pages: list[tuple[str, User, str]] = [
        ("home (officer)", officer, "/"),
        ("home (supervisor)", supervisor, "/"),
        ("case list", officer, "/cases/"),
        ("case list, page 100", officer, "/cases/?page=100"),
        ("case list, open", officer, "/cases/?status=open"),
        (
            "case list, had a warning",
            officer,
            f"/cases/?measure=warning&measure_from={year}-01-01&measure_to={year}-12-31",
        ),
        ("case page", officer, f"/cases/{case.pk}/" if case else "/cases/"),
        ("referral list", officer, "/treatment/referrals/"),
        ("audit log", supervisor, "/audit/"),
        (
            "programme report, last year",
            supervisor,
            f"/reports/programme/?preset=custom&date_from={year}-01-01&date_to={year}-12-31",
        ),
        (
            "programme report, 10 years (analyst)",
            analyst,
            f"/reports/programme/?preset=custom&date_from={year - 9}-01-01&date_to={year}-12-31",
        ),
        (
            "programme report, 10 years (analyst) after a write in Tokyo",
            analyst,
            f"/reports/programme/?preset=custom&date_from={year - 9}-01-01&date_to={year}-12-31",
        ),
        (
            "programme report (API, ten years, analyst)",
            analyst,
            f"/api/v1/reports/programme?date_from={year - 9}-01-01&date_to={year}-12-31",
        ),
        (
            "analyst programme report (API, ten years) after a write in Tokyo",
            analyst,
            f"/api/v1/reports/programme?date_from={year - 9}-01-01&date_to={year}-12-31",
        ),
        ("annual statistics", supervisor, f"/reports/annual/?year={year}"),
        ("annual statistics (analyst)", analyst, f"/reports/annual/?year={year}"),
        (
            "annual statistics (analyst) after a write in Tokyo",
            analyst,
            f"/reports/annual/?year={year}",
        ),
        (
            "annual statistics (supervisor) after a write in Tokyo",
            supervisor,
            f"/reports/annual/?year={year}",
        ),
        (
            "annual statistics (analyst) after a write in five prefectures",
            analyst,
            f"/reports/annual/?year={year}",
        ),
        (
            "annual statistics (analyst) after a warning in five prefectures",
            analyst,
            f"/reports/annual/?year={year}",
        ),
        (
            "annual statistics (supervisor) after a warning in Tokyo",
            supervisor,
            f"/reports/annual/?year={year}",
        ),
    ]
    tokyo_case = Case.objects.filter(prefecture=tokyo).order_by("pk").values_list("pk", flat=True)

    def write_in_tokyo() -> None:
        # The same values again: the triggers bump the version, the figures stay.
        Case.objects.filter(pk=tokyo_case[0]).update(relationship=F("relationship"))

    # The load test's officers write in these prefectures (bench/load.py).
    five = list(Region.objects.filter(code__in=["13", "27", "01", "14", "23"]).order_by("code"))
    five_cases = [
        Case.objects.filter(prefecture=p).order_by("pk").values_list("pk", flat=True)[0]
        for p in five
    ]

    def write_in_five() -> None:
        Case.objects.filter(pk__in=five_cases).update(relationship=F("relationship"))

    def officer_of(prefecture: Region) -> User:
        post = Region.objects.filter(parent=prefecture).order_by("code").first()
        return account(f"officer-{prefecture.code}", Role.OFFICER, post or prefecture)

    open_cases = {
        p.code: (
            officer_of(p),
            Case.objects.filter(prefecture=p, is_open=True).order_by("pk").first(),
        )
        for p in five
    }

    def warn(codes: list[str]) -> None:
        from django.utils import timezone

        from tsunagu.cases.services import police_event_record

        for code in codes:
            actor, open_case = open_cases[code]
            assert open_case is not None, f"no open case in prefecture {code}"
            police_event_record(
                actor=actor,
                case=open_case,
                date=timezone.localdate(),
                type="warning",
                detail=f"bench {time.time_ns()}",
            )

    before = {label: write_in_tokyo for label, _u, _url in pages if "write in Tokyo" in label}
    before["annual statistics (analyst) after a write in five prefectures"] = write_in_five
    before["annual statistics (analyst) after a warning in five prefectures"] = lambda: warn(
        [p.code for p in five]
    )
    before["annual statistics (supervisor) after a warning in Tokyo"] = lambda: warn(["13"])
    if clinician is not None:
        pages.insert(7, ("clinician work list", clinician, "/treatment/"))
    results: list[dict[str, object]] = []
    clients: dict[int, Client] = {}
    # Warm the process (URL resolver, translations, templates) on a page not timed.
    warm = Client()
    warm.force_login(supervisor)
    warm.get("/reports/releases/")
    cache.clear()
    for label, user, url in pages:
        if only not in label:
            continue
        client = clients.get(user.pk)
        if client is None:
            client = clients[user.pk] = Client()
            client.force_login(user)
        prepare = before.get(label, lambda: None)
        prepare()
        first = time.perf_counter()
        first_cpu = time.process_time()
        response = client.get(url)
        first_cpu_ms = (time.process_time() - first_cpu) * 1000
        first_ms = (time.perf_counter() - first) * 1000
        times = []
        cpu = []
        for _run in range(runs):
            prepare()
            start = time.perf_counter()
            cpu_start = time.process_time()
            response = client.get(url)
            cpu.append((time.process_time() - cpu_start) * 1000)
            times.append((time.perf_counter() - start) * 1000)
        # Counted on one more request, untimed: capturing the queries costs time of
        # its own (on SQLite Django quotes every query's parameters with a query).
        prepare()
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        queries = len(ctx.captured_queries)
        results.append(
            {
                "page": label,
                "url": url,
                "status": response.status_code,
                "bytes": len(response.content),
                "first": round(first_ms, 1),
                "first_cpu": round(first_cpu_ms, 1),
                "median": round(statistics.median(times), 1),
                "worst": round(max(times), 1),
                "cpu": round(statistics.median(cpu), 1),
                "queries": queries,
            }
        )
    return results


def run_one(target: str, runs: int, only: str) -> list[dict[str, object]]:
    env = dict(os.environ)
    # The bench signs in with force_login, without a second factor.
    env.setdefault("TSUNAGU_REQUIRE_MFA", "0")
    if target.startswith("postgres"):
        # The data folder (its keys) must be the one the database was filled with:
        # TSUNAGU_DATA_DIR of the environment; the app refuses another's audit key.
        if "TSUNAGU_DATA_DIR" not in os.environ:
            sys.exit("set TSUNAGU_DATA_DIR to the data folder of the PostgreSQL database")
        env["TSUNAGU_DATABASE_URL"] = target
    else:
        env.pop("TSUNAGU_DATABASE_URL", None)
        env["TSUNAGU_DATA_DIR"] = target
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--runs", str(runs), "--only", only],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", action="append", default=[], help="a SQLite data folder")
    parser.add_argument("--url", action="append", default=[], help="a PostgreSQL URL")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--only", default="", help="only the pages whose label contains this")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.runs, args.only)))
        return
    targets = [*args.data, *args.url]
    if not targets:
        parser.error("give at least one --data or --url")
    columns = [run_one(t, args.runs, args.only) for t in targets]
    names = [
        Path(t).name if not t.startswith("postgres") else t.rsplit("/", 1)[-1] for t in targets
    ]
    head = (
        "| page | "
        + " | ".join(f"{n}: first (CPU) / median / worst ms (CPU), queries" for n in names)
        + " |"
    )
    print(head)
    print("|---|" + "---|" * len(targets))
    for i, row in enumerate(columns[0]):
        cells = []
        for col in columns:
            r = col[i]
            status = "" if r["status"] == 200 else f" (HTTP {r['status']})"
            cells.append(
                f"{r['first']} ({r['first_cpu']}) / {r['median']} / {r['worst']} ({r['cpu']}), "
                f"{r['queries']}{status}"
            )
        print(f"| {row['page']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
