"""Time the filtered case list on ~50k cases in a throw-away SQLite database.

    .venv/bin/python bench/foundation_case_list.py [--cases 50000] [--runs 15]

Creates the cases in bulk (the list reads only the case row and its cached
list columns, so no timelines are needed), then times the page
(`/cases/?…`, through the Django test client, HTML rendered) and the API
(`/api/v1/cases/?…`) for a few filter combinations. Prints the median and the
worst time in milliseconds.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="tsunagu-bench-")
    os.environ["TSUNAGU_DATA_DIR"] = data_dir
    os.environ.pop("TSUNAGU_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tsunagu.cases.models import RELATIONSHIPS, Case
    from tsunagu.cases.timeline import MEASURES
    from tsunagu.core.models import Region, Role, User

    call_command("migrate", verbosity=0)
    prefectures = list(Region.objects.filter(kind="prefecture"))
    tokyo = Region.objects.get(code="13")
    stations = {p.pk: list(p.children.all()) for p in prefectures}
    rng = random.Random(50_000)
    start = time.perf_counter()
    batch = []
    for n in range(args.cases):
        # A third of the cases in Tokyo, the rest spread over the country.
        pref = tokyo if n % 3 == 0 else rng.choice(prefectures)
        opened = dt.date(2016, 4, 1) + dt.timedelta(days=rng.randint(0, 3650))
        batch.append(
            Case(
                prefecture=pref,
                station=rng.choice(stations[pref.pk]) if stations[pref.pk] else None,
                ref=f"{pref.code}-{n:06d}",
                opened_on=opened,
                relationship=rng.choice(RELATIONSHIPS),
                is_open=rng.random() < 0.4,
                latest_measure=rng.choice(MEASURES),
                latest_measure_on=opened + dt.timedelta(days=rng.randint(0, 60)),
            )
        )
        if len(batch) == 5000:
            Case.objects.bulk_create(batch)
            batch = []
    Case.objects.bulk_create(batch)
    print(
        f"{args.cases} cases created in {time.perf_counter() - start:.1f} s "
        f"({Case.objects.filter(prefecture=tokyo).count()} in Tokyo), SQLite in {data_dir}"
    )

    officer = User.objects.create_user(
        "bench-officer", password="x" * 16, role=Role.OFFICER, region=tokyo.children.first()
    )
    client = Client()
    client.force_login(officer)
    scenarios = {
        "no filter (page 1)": "",
        "open cases": "status=open",
        "reference search": "q=13-0123",
        "station + opened range": "station=13-003&opened_from=2019-01-01&opened_to=2020-12-31",
        "relationship + latest measure + open": (
            "relationship=partner_or_ex&latest_measure=warning&status=open"
        ),
        "deep page (page 200)": "page=200",
    }
    print(f"{'scenario':<40} {'page median':>12} {'page max':>9} {'API median':>11} {'queries':>8}")
    for name, query in scenarios.items():
        timings = {"page": [], "api": []}
        for _ in range(args.runs):
            for kind, url in (("page", f"/cases/?{query}"), ("api", f"/api/v1/cases/?{query}")):
                t0 = time.perf_counter()
                response = client.get(url)
                timings[kind].append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/cases/?{query}")
        print(
            f"{name:<40} {statistics.median(timings['page']):>9.1f} ms "
            f"{max(timings['page']):>6.1f} ms {statistics.median(timings['api']):>8.1f} ms "
            f"{len(queries):>8}"
        )
    connection.close()
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
