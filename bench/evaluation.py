"""Benchmark: the evaluation (DESIGN §5) of the 10-year national set.

    nice -n 10 .venv/bin/python bench/evaluation.py [--years 10] [--seed 1]
        [--pg postgres://postgres@127.0.0.1:5432/tsunagu_evaluation] [--no-pg]

1. the national set from `tsunagu generate` (recurrence times from the hazard
   model) under bench/out/ (reused when there);
2. imported once with `tsunagu import` into a SQLite database under bench/out/
   and, unless --no-pg, into a PostgreSQL database (both kept for the next run);
3. in a subprocess per database: the evaluation as the page computes it
   (`evaluation_data.compute` over every case, advice 2016–2025, as of the
   end of 2025): once to warm up, then the best of five.

Target (issue 12): < 2 s on SQLite and on PostgreSQL. The CPU time of the
timing process is printed too: on a shared machine the wall time mostly
measures the neighbours (PostgreSQL's own work is not in that CPU figure).
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

TIMER = r"""
import json, os, sys, time, datetime as dt
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsunagu.settings")
django.setup()
from tsunagu.cases.models import Case
from tsunagu.reports import evaluation, evaluation_data
start, end = (dt.date.fromisoformat(a) for a in sys.argv[1:3])
params = evaluation.Params.make(start, end, end)
evaluation_data.compute(Case.objects.all(), params)
times, cpu = [], []
for _ in range(5):
    t, c = time.perf_counter(), time.process_time()
    result = evaluation_data.compute(Case.objects.all(), params).result
    times.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
received = (result["cox"] or {}).get("terms", {}).get("received")
print(json.dumps({"best": min(times), "times": times, "cpu": min(cpu), "n": result["overall"]["n"],
                  "events": result["overall"]["events"], "received": received,
                  "groups": {g: [f["n"], f["events"]] for g, f in result["groups"].items()}}))
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
    if env.get("TSUNAGU_DATABASE_URL"):
        # Planner statistics, as autovacuum gathers them some time after an import:
        # without them PostgreSQL plans the event scan blind and took minutes.
        url = env["TSUNAGU_DATABASE_URL"]
        subprocess.run(["psql", url, "-qc", "ANALYZE"], check=True)
    marker.write_text("imported\n")
    print(f"  loaded in {time.perf_counter() - t:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/tsunagu_evaluation")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSUNAGU_")}
    # Its own directory: the recurrence times of this generator differ from older sets.
    data = OUT / f"evaluation-national-{args.years}y-s{args.seed}"
    if not (data / "events.csv").exists():
        gen_env = dict(env, TSUNAGU_DATA_DIR=str(OUT / "evaluation-gen"))
        run([str(BIN / "tsunagu"), "migrate", "--no-input", "-v0"], gen_env)
        run(
            [str(BIN / "tsunagu"), "generate", "--years", str(args.years), "--scale", "national",
             "--seed", str(args.seed), str(data)],
            gen_env,
        )  # fmt: skip
    lines = sum(1 for _ in (data / "events.csv").open(encoding="utf-8")) - 1
    print(f"data: {data.name}, {lines} events")
    period = ("2016-01-01", f"{2016 + args.years - 1}-12-31")
    targets = [("SQLite", OUT / f"evaluation-sqlite-{args.years}y-s{args.seed}", None)]
    if not args.no_pg:
        db = args.pg.rsplit("/", 1)[1]
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", db], capture_output=True, check=False
        )
        targets.append(("PostgreSQL", OUT / f"evaluation-pg-{args.years}y-s{args.seed}", args.pg))
    ok = True
    for name, directory, url in targets:
        directory.mkdir(parents=True, exist_ok=True)
        target_env = dict(env, TSUNAGU_DATA_DIR=str(directory))
        if url:
            target_env["TSUNAGU_DATABASE_URL"] = url
        print(f"{name}:")
        load(target_env, data, directory / "imported")
        out = run([str(BIN / "python"), "-c", TIMER, *period], target_env)
        result = json.loads(out.strip().splitlines()[-1])
        ok = ok and result["best"] < 2.0
        print(
            f"  {result['n']} episodes, {result['events']} outcomes; groups {result['groups']}\n"
            f"  Cox HR of received {result['received']}\n"
            f"  best {result['best'] * 1000:.0f} ms "
            f"(runs: {', '.join(f'{t * 1000:.0f}' for t in result['times'])} ms); "
            f"CPU of this process, best {result['cpu'] * 1000:.0f} ms"
        )
    print("target: < 2000 ms")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
