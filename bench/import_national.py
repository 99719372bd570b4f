"""Benchmark: import a 10-year national set into a fresh SQLite database.

    nice -n 10 .venv/bin/python bench/import_national.py [--years 10] [--seed 1]
        [--personal empty|fictitious] [--keep] [--twice]

1. generates the set under bench/out/ (reused when already there);
2. `tsunagu migrate` then `tsunagu import` into a fresh data folder, each in a
   subprocess, so the import's wall time and peak RSS are its own
   (resource.getrusage(RUSAGE_CHILDREN).ru_maxrss after the child ends);
3. a baseline in another subprocess: plain `sqlite3` reading the same CSV files
   with `csv` and inserting the same rows with `executemany` into equivalent
   tables (same columns, the same indexes and unique constraints), one
   transaction;
4. prints the wall times, the ratio and both peak RSS.

Targets (issue 3): import < 60 s, within 3x of the baseline, peak RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"

BASELINE = r'''
import csv, sqlite3, sys, datetime as dt
db, folder = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db, isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA synchronous=FULL")
con.executescript("""
CREATE TABLE c (id INTEGER PRIMARY KEY AUTOINCREMENT, prefecture TEXT NOT NULL,
  station TEXT, ref TEXT NOT NULL, opened_on DATE NOT NULL, relationship TEXT NOT NULL,
  created_at DATETIME NOT NULL, is_open BOOL NOT NULL, latest_measure TEXT NOT NULL,
  latest_measure_on DATE);
CREATE UNIQUE INDEX c_ref ON c (prefecture, ref);
CREATE INDEX c_list ON c (prefecture, is_open, opened_on);
CREATE INDEX c_station ON c (station);
CREATE INDEX c_prefecture ON c (prefecture);
CREATE INDEX c_created_by ON c (created_at);
CREATE TABLE p (id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL REFERENCES c (id),
  role TEXT NOT NULL, name TEXT NOT NULL, sex TEXT NOT NULL, age INTEGER, address TEXT NOT NULL,
  phone TEXT NOT NULL, workplace TEXT NOT NULL);
CREATE INDEX p_case ON p (case_id);
CREATE TABLE e (id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL REFERENCES c (id),
  date DATE NOT NULL, type TEXT NOT NULL, rank INTEGER NOT NULL, detail TEXT NOT NULL,
  recorded_at DATETIME NOT NULL, recorded_by_id INTEGER);
CREATE UNIQUE INDEX e_identity ON e (case_id, date, type, detail);
CREATE INDEX e_type_date ON e (type, date);
CREATE INDEX e_case_date_rank ON e (case_id, date, rank);
CREATE INDEX e_case ON e (case_id);
CREATE INDEX e_recorded_by ON e (recorded_by_id);
""")
now = dt.datetime.now(dt.timezone.utc).isoformat()
con.execute("BEGIN")
ids = {}
with open(folder + "/cases.csv", encoding="utf-8-sig", newline="") as fh:
    r = csv.reader(fh); next(r)
    batch = []
    def flush():
        cur = con.execute("SELECT COALESCE(MAX(id), 0) FROM c")
        first = cur.fetchone()[0] + 1
        con.executemany("INSERT INTO c (prefecture, station, ref, opened_on, relationship, "
                        "created_at, is_open, latest_measure, latest_measure_on) "
                        "VALUES (?, ?, ?, ?, ?, ?, 1, '', NULL)", [b[:6] for b in batch])
        people = []
        for n, b in enumerate(batch):
            ids[(b[0], b[2])] = first + n
            people.append((first + n, "offender", b[6], b[7], b[8], "", "", ""))
            people.append((first + n, "victim", b[9], b[10], b[11], b[12], b[13], b[14]))
        con.executemany("INSERT INTO p (case_id, role, name, sex, age, address, phone, workplace) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", people)
        batch.clear()
    for row in r:
        (ref, pref, station, opened, rel, osex, oage, oname, vsex, vage, vname, vaddr,
         vphone, vwork) = row[:14]
        batch.append((pref, station, ref, opened, rel, now, oname, osex, oage or None,
                      vname, vsex, vage or None, vaddr, vphone, vwork))
        if len(batch) >= 1000:
            flush()
    flush()
with open(folder + "/events.csv", encoding="utf-8-sig", newline="") as fh:
    r = csv.reader(fh); next(r)
    batch = []
    for ref, pref, day, type_, detail in r:
        batch.append((ids[(pref, ref)], day, type_, 0, detail, now))
        if len(batch) >= 5000:
            con.executemany("INSERT INTO e (case_id, date, type, rank, detail, recorded_at) "
                            "VALUES (?, ?, ?, ?, ?, ?)", batch)
            batch.clear()
    con.executemany("INSERT INTO e (case_id, date, type, rank, detail, recorded_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)", batch)
con.execute("COMMIT")
print(con.execute("SELECT (SELECT COUNT(*) FROM c), (SELECT COUNT(*) FROM e)").fetchone())
'''


CPU: dict[str, float] = {}


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run `cmd` under a tiny wrapper so that RUSAGE_CHILDREN covers only it."""
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "w = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': p.returncode, 'wall': w, 'out': p.stdout, 'err': p.stderr[-2000:],"
        " 'rss': u.ru_maxrss, 'cpu': u.ru_utime + u.ru_stime}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], env=env, capture_output=True, text=True, check=True
    )
    result = json.loads(proc.stdout)
    if result["rc"]:
        sys.exit(f"{' '.join(cmd)} failed:\n{result['out']}\n{result['err']}")
    CPU["last"] = result["cpu"]
    return result["wall"], result["rss"] // 1024, result["out"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--personal", choices=("empty", "fictitious"), default="empty")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--twice", action="store_true", help="import again into the same database (idempotence)"
    )
    args = parser.parse_args()
    data = ROOT / "bench" / "out" / f"national-{args.years}y-s{args.seed}-{args.personal}"
    env = dict(os.environ)
    if not (data / "events.csv").exists():
        gen_env = dict(env, TSUNAGU_DATA_DIR=tempfile.mkdtemp(prefix="tsunagu-gen-"))
        wall, rss, out = measure(
            [
                str(BIN / "tsunagu"),
                "generate",
                "--years",
                str(args.years),
                "--scale",
                "national",
                "--seed",
                str(args.seed),
                "--personal",
                args.personal,
                str(data),
            ],
            gen_env,
        )
        print(f"generate: {wall:.1f} s, peak RSS {rss} MB — {out.strip()}")
    sizes = sum((data / n).stat().st_size for n in ("cases.csv", "events.csv")) / 1e6
    print(f"data: {data} ({sizes:.0f} MB)")

    work = Path(tempfile.mkdtemp(prefix="tsunagu-bench-"))
    try:
        env_import = dict(env, TSUNAGU_DATA_DIR=str(work / "tsunagu"))
        env_import.pop("TSUNAGU_DATABASE_URL", None)
        subprocess.run([str(BIN / "tsunagu"), "migrate", "-v0"], env=env_import, check=True)
        t_import, rss_import, out = measure([str(BIN / "tsunagu"), "import", str(data)], env_import)
        cpu_import = CPU["last"]
        print(
            f"tsunagu import: {t_import:.1f} s wall, {cpu_import:.1f} s CPU, "
            f"peak RSS {rss_import} MB"
        )
        print("  " + "\n  ".join(line for line in out.splitlines() if "Clinic" not in line))
        if args.twice:
            t_again, rss_again, out = measure(
                [str(BIN / "tsunagu"), "import", str(data)], env_import
            )
            print(
                f"tsunagu import again (nothing to write): {t_again:.1f} s wall, "
                f"{CPU['last']:.1f} s CPU, peak RSS {rss_again} MB"
            )
            print("  " + "\n  ".join(line for line in out.splitlines() if "Clinic" not in line))
        # The baseline runs after the import and once more, into a fresh file: the
        # mean of the two evens out a machine whose load changes meanwhile.
        walls, cpus = [], []
        for n in (1, 2):
            db = work / f"baseline{n}.sqlite3"
            t_base, rss_base, out = measure(
                [sys.executable, "-c", BASELINE, str(db), str(data)], env
            )
            walls.append(t_base)
            cpus.append(CPU["last"])
            print(
                f"baseline sqlite3 executemany #{n}: {t_base:.1f} s wall, {CPU['last']:.1f} s CPU, "
                f"peak RSS {rss_base} MB — {out.strip()}"
            )
        t_base, cpu_base = sum(walls) / 2, sum(cpus) / 2
        ratio = t_import / t_base
        print(
            f"ratio import/baseline: {ratio:.2f}x wall, {cpu_import / cpu_base:.2f}x CPU "
            f"(baseline mean {t_base:.1f} s wall, {cpu_base:.1f} s CPU)"
        )
        verdict = {
            "under 60 s": t_import < 60,
            "within 3x of baseline": ratio <= 3,
            "under 300 MB": rss_import < 300,
        }
        print("targets: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in verdict.items()))
    finally:
        if args.keep:
            print(f"kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
