"""Benchmark: the national programme report over all years, against DuckDB.

    nice -n 10 .venv/bin/python bench/report_programme.py [--years 10] [--seed 1]
        [--pg postgres://postgres@127.0.0.1:5432/tsunagu_bench_report] [--no-pg]

1. the 10-year national set from `tsunagu generate` under bench/out/ (reused
   when there, e.g. from bench/import_national.py);
2. imported once with `tsunagu import` into a SQLite database under bench/out/
   and, unless --no-pg, into a PostgreSQL database (both kept for the next run);
3. in a subprocess per database: the report as the page computes it
   (`programme.compute` over every case, all years), once to warm the cache,
   then the best of five;
4. DuckDB: the same events converted once to Parquet, and a hand-written query
   computing the same totals (episodes by a window over each case's events in
   the §3 type order); best of five;
5. checks the totals are equal and prints the times and the ratios.

Targets (issue 5): < 1 s on SQLite and on PostgreSQL, within 5x of DuckDB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
OUT = ROOT / "bench" / "out"
PERIOD = ("2000-01-01", "2099-12-31")

TIMER = r"""
import json, os, sys, time, datetime as dt
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")
django.setup()
from tsunagu.cases.models import Case
from tsunagu.reports import programme
params = programme.Params.make(dt.date.fromisoformat(sys.argv[1]), dt.date.fromisoformat(sys.argv[2]))
programme.compute(Case.objects.all(), params)
times = []
for _ in range(5):
    t = time.perf_counter()
    report = programme.compute(Case.objects.all(), params)
    times.append(time.perf_counter() - t)
print(json.dumps({"best": min(times), "times": times, "totals": report.totals}))
"""

ORDER = (
    "consultation", "warning", "prohibition_order", "emergency_order", "arrest", "assistance",
    "treatment_advised", "advice_accepted", "advice_rejected", "appointment_scheduled",
    "assessed_not_needed", "treatment_started", "treatment_completed", "treatment_halted",
    "recurrence",
)  # fmt: skip

# DESIGN §4 in SQL. `seq` (the row's place in the file) breaks ties of one type on one date.
DUCKDB_QUERY = """
WITH ev AS (
  SELECT e.prefecture, e.case_ref, e.date, e.type, e.detail, e.seq, o.rank
  FROM events e JOIN type_order o USING (type)
  WHERE e.date <= $as_of AND o.rank >= 6
), ordered AS (
  SELECT *, row_number() OVER (PARTITION BY prefecture, case_ref ORDER BY date, rank, seq) AS pos
  FROM ev
), numbered AS (
  SELECT *, max(CASE WHEN type = 'treatment_advised' THEN pos END) OVER (
           PARTITION BY prefecture, case_ref ORDER BY pos
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS episode
  FROM ordered
), dated AS (
  SELECT *, min(date) FILTER (WHERE type = 'treatment_advised')
              OVER (PARTITION BY prefecture, case_ref, episode) AS advised_on
  FROM numbered WHERE episode IS NOT NULL
), episodes AS (
  SELECT prefecture, any_value(advised_on) AS advised_on,
    bool_or(type = 'treatment_started') AS started,
    arg_max(type, pos) FILTER (WHERE type IN ('treatment_started', 'treatment_completed',
                                             'treatment_halted')) AS last_treatment,
    arg_max(type, pos) FILTER (WHERE type IN ('advice_accepted', 'advice_rejected',
                                             'appointment_scheduled', 'assessed_not_needed')) AS last_answer,
    bool_or(type = 'assessed_not_needed') AS not_needed,
    bool_or(type = 'advice_rejected') AS rejected,
    arg_max(detail, pos) FILTER (WHERE type = 'advice_rejected') AS reason,
    bool_or(type = 'recurrence' AND date > advised_on) AS recurred
  FROM dated
  GROUP BY prefecture, case_ref, episode
), classified AS (
  SELECT prefecture,
    CASE WHEN started THEN CASE last_treatment WHEN 'treatment_completed' THEN 'completed'
                                               WHEN 'treatment_halted' THEN 'halted'
                                               ELSE 'continuing' END
         WHEN last_answer IS NOT NULL AND last_answer <> 'advice_rejected'
              THEN CASE WHEN not_needed THEN 'not_needed' ELSE 'scheduled' END
         WHEN rejected THEN 'rejected'
         ELSE 'undecided' END AS leaf,
    CASE WHEN reason IN ('sees_no_need', 'blames_victim', 'cost', 'time', 'distrust')
         THEN reason ELSE 'other' END AS reason,
    recurred
  FROM episodes WHERE advised_on BETWEEN $from AND $to
)
SELECT leaf, reason, recurred, count(*) AS n FROM classified GROUP BY ALL
"""


def run(cmd: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout


def load(env: dict[str, str], data: Path, marker: Path) -> None:
    """Migrate and import once; the marker file says it was done."""
    if marker.exists():
        return
    t = time.perf_counter()
    run([str(BIN / "tsunagu"), "migrate", "--no-input", "-v0"], env)
    run([str(BIN / "tsunagu"), "import", str(data)], env)
    marker.write_text("imported\n")
    print(f"  loaded in {time.perf_counter() - t:.0f} s")


def time_report(env: dict[str, str]) -> dict:
    out = run([str(BIN / "python"), "-c", TIMER, *PERIOD], env)
    return json.loads(out.strip().splitlines()[-1])


def duckdb_totals(data: Path) -> tuple[float, dict]:
    import duckdb

    parquet = data / "events.parquet"
    con = duckdb.connect()
    if not parquet.exists():
        con.execute(
            f"COPY (SELECT *, row_number() OVER () AS seq FROM read_csv('{data / 'events.csv'}', "
            "header=true, all_varchar=true, types={'date': 'DATE'})) "
            f"TO '{parquet}' (FORMAT parquet)"
        )
    con.execute(f"CREATE VIEW events AS SELECT * FROM '{parquet}'")
    con.execute(
        "CREATE TABLE type_order AS SELECT * FROM (VALUES "
        + ", ".join(f"('{t}', {i})" for i, t in enumerate(ORDER))
        + ") t(type, rank)"
    )
    corrections = con.execute("SELECT count(*) FROM events WHERE type = 'correction'").fetchone()
    assert corrections is not None and corrections[0] == 0, "the query ignores corrections"
    args = {"from": PERIOD[0], "to": PERIOD[1], "as_of": PERIOD[1]}
    times, rows = [], []
    for _ in range(6):
        t = time.perf_counter()
        rows = con.execute(DUCKDB_QUERY, args).fetchall()
        times.append(time.perf_counter() - t)
    totals: dict = {"advised": 0, "rejection_reasons": {}, "recurrence": {}}
    for leaf, reason, recurred, n in rows:
        totals["advised"] += n
        totals[leaf] = totals.get(leaf, 0) + n
        if leaf == "rejected":
            totals["rejection_reasons"][reason] = totals["rejection_reasons"].get(reason, 0) + n
        if recurred:
            totals["recurrence"][leaf] = totals["recurrence"].get(leaf, 0) + n
    return min(times[1:]), totals


def same_totals(ours: dict, duck: dict) -> list[str]:
    diffs = []
    for key in ("advised", "completed", "continuing", "halted", "scheduled", "not_needed",
                "rejected", "undecided"):  # fmt: skip
        if ours[key] != duck.get(key, 0):
            diffs.append(f"{key}: {ours[key]} vs {duck.get(key, 0)}")
    for reason, n in ours["rejection_reasons"].items():
        if n != duck["rejection_reasons"].get(reason, 0):
            diffs.append(f"reason {reason}: {n} vs {duck['rejection_reasons'].get(reason, 0)}")
    for leaf, n in ours["recurrence"].items():
        if leaf != "not_finished" and n != duck["recurrence"].get(leaf, 0):
            diffs.append(f"recurrence {leaf}: {n} vs {duck['recurrence'].get(leaf, 0)}")
    return diffs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/tsunagu_bench_report")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSUNAGU_")}
    data = OUT / f"national-{args.years}y-s{args.seed}-empty"
    if not (data / "events.csv").exists():
        gen_env = dict(env, TSUNAGU_DATA_DIR=str(OUT / "report-gen"))
        run([str(BIN / "tsunagu"), "migrate", "--no-input", "-v0"], gen_env)
        run(
            [str(BIN / "tsunagu"), "generate", "--years", str(args.years), "--scale", "national",
             "--seed", str(args.seed), str(data)],
            gen_env,
        )  # fmt: skip
    lines = sum(1 for _ in (data / "events.csv").open(encoding="utf-8")) - 1
    print(f"data: {data.name}, {lines} events")

    results = {}
    sqlite_dir = OUT / f"report-sqlite-{args.years}y-s{args.seed}"
    sqlite_dir.mkdir(parents=True, exist_ok=True)
    sqlite_env = dict(env, TSUNAGU_DATA_DIR=str(sqlite_dir))
    print("SQLite:")
    load(sqlite_env, data, sqlite_dir / "imported")
    results["SQLite"] = time_report(sqlite_env)
    if not args.no_pg:
        db = args.pg.rsplit("/", 1)[1]
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", db], capture_output=True, check=False
        )
        pg_dir = OUT / f"report-pg-{args.years}y-s{args.seed}"
        pg_dir.mkdir(parents=True, exist_ok=True)
        pg_env = dict(env, TSUNAGU_DATA_DIR=str(pg_dir), TSUNAGU_DATABASE_URL=args.pg)
        print("PostgreSQL:")
        load(pg_env, data, pg_dir / "imported")
        results["PostgreSQL"] = time_report(pg_env)

    duck_time, duck = duckdb_totals(data)
    totals = results["SQLite"]["totals"]
    print(
        f"\nepisodes advised: {totals['advised']} in {totals['prefectures_advised']} prefectures"
        f" (received {totals['received']})"
    )
    print(f"DuckDB on Parquet (hand-written SQL): {duck_time * 1000:.0f} ms")
    ok = True
    for name, result in results.items():
        diffs = same_totals(result["totals"], duck)
        ok = ok and not diffs
        print(
            f"{name}: best {result['best'] * 1000:.0f} ms "
            f"(runs: {', '.join(f'{t * 1000:.0f}' for t in result['times'])} ms), "
            f"{result['best'] / duck_time:.1f}x DuckDB; totals "
            + ("equal" if not diffs else "DIFFER: " + "; ".join(diffs))
        )
    print("targets: < 1000 ms and <= 5x DuckDB")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
