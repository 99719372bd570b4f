"""Audit volume at national scale, and the supervisor's audit page on that many rows.

    .venv/bin/python bench/audit_volume.py [--rows 1000000] [--runs 7]

The estimate (printed first) is users x audited requests a day:
    police officers handling stalking cases   ~ 1,150 stations x 2   = 2,300
    prefectural supervisors                   ~ 47 x 4               =   188
    clinicians of referral clinics            ~ 47 x 3               =   141
    audited requests per user and working day ~ 40 (opening cases and referrals,
        drill-down lists, denials, writes; page and API)
    => ~105,000 audit rows a working day, ~26 M a year (250 working days),
       of which Tokyo (the largest prefecture, ~12 %) ~3 M a year.

Then it builds a throw-away SQLite database with `--rows` audit events spread
over 47 prefectures and a year (Tokyo ~12 %), chained like real ones (a valid
MAC per row is not needed for the page, so rows are bulk-inserted), and times
the audit page as Tokyo's supervisor (`/audit/`, HTML rendered) for the
unfiltered first page, an action filter, a user filter, a date range, and a
deep page. Prints the median and worst time in milliseconds, and the cost of
one chained `audit()` append.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

USERS = 2_300 + 188 + 141
REQUESTS_PER_DAY = 40
WORKING_DAYS = 250
TOKYO_SHARE = 0.12
ACTIONS = ["read.case", "read.referral", "read.list", "access.denied", "event.warning", "case.open"]


def estimate() -> None:
    day = USERS * REQUESTS_PER_DAY
    year = day * WORKING_DAYS
    print(
        f"estimate: {USERS:,} users x {REQUESTS_PER_DAY} audited requests = {day:,} rows a day; "
        f"{year / 1e6:.1f} M a year; Tokyo ~{year * TOKYO_SHARE / 1e6:.1f} M a year"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--appends", type=int, default=2000, help="time this many audit() calls")
    args = parser.parse_args()
    estimate()

    data_dir = tempfile.mkdtemp(prefix="tsunagu-bench-audit-")
    os.environ["TSUNAGU_DATA_DIR"] = data_dir
    os.environ.pop("TSUNAGU_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tsunagu.core.models import Region, Role, User

    try:
        call_command("migrate", verbosity=0)
        prefs = list(Region.objects.filter(kind=Region.Kind.PREFECTURE).order_by("code"))
        tokyo = next(p for p in prefs if p.code == "13")
        supervisor = User.objects.create(username="sv-13", role=Role.SUPERVISOR, region=tokyo)
        officers = [
            User(username=f"o-{p.code}-{i}", role=Role.OFFICER, region=p)
            for p in prefs
            for i in range(5)
        ]
        User.objects.bulk_create(officers)
        by_pref = {p.pk: [u.pk for u in User.objects.filter(region=p)] for p in prefs}
        weights = [TOKYO_SHARE if p.code == "13" else (1 - TOKYO_SHARE) / 46 for p in prefs]
        rng = random.Random(7)
        start = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
        seconds = 365 * 86400
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS audit_no_update")
            batch = []
            for seq in range(1, args.rows + 1):
                pref = rng.choices(prefs, weights)[0]
                at = start + dt.timedelta(seconds=seconds * seq / args.rows)
                batch.append(
                    (
                        at.isoformat(sep=" "),
                        rng.choice(by_pref[pref.pk]),
                        rng.choice(ACTIONS),
                        pref.pk,
                        "case",
                        str(rng.randrange(1, 250_000)),
                        "",
                        '{"path": "/cases/1/"}',
                        seq,
                        f"bench:{seq:064x}",
                    )
                )
                if len(batch) == 50_000:
                    cursor.executemany(
                        "INSERT INTO core_auditevent (at, actor_id, action, prefecture_id, "
                        "object_type, object_id, reason, detail, seq, mac) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        batch,
                    )
                    batch.clear()
            if batch:
                cursor.executemany(
                    "INSERT INTO core_auditevent (at, actor_id, action, prefecture_id, "
                    "object_type, object_id, reason, detail, seq, mac) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    batch,
                )
            cursor.execute("ANALYZE")
            cursor.execute(
                "UPDATE core_auditchainhead SET seq = %s, mac = %s",
                [args.rows, batch and batch[-1][-1] or f"bench:{args.rows:064x}"],
            )
        print(f"built {args.rows:,} audit rows in {time.perf_counter() - t0:.0f} s")

        client = Client()
        client.force_login(supervisor)
        user = by_pref[tokyo.pk][1]
        username = User.objects.get(pk=user).username
        cases = {
            "first page": {},
            "action read.": {"action": "read."},
            "one user": {"user": username},
            "one week": {"date_from": "2026-03-02", "date_to": "2026-03-08"},
            "user + action + month": {
                "user": username,
                "action": "access.",
                "date_from": "2026-03-01",
                "date_to": "2026-03-31",
            },
            "page 200": {"page": "200"},
        }
        for label, query in cases.items():
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                response = client.get("/audit/", query)
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, response.status_code
            print(
                f"/audit/ {label:24s} median {statistics.median(times):7.1f} ms  worst {max(times):7.1f} ms"
            )
        if args.appends:
            from tsunagu.core import audit

            t = time.perf_counter()
            for i in range(args.appends):
                audit.audit(actor=None, action="bench.write", n=i)
            each = (time.perf_counter() - t) / args.appends * 1000
            print(f"audit() append (chained, own transaction): {each:.2f} ms an event")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
