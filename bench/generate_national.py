"""Benchmark: write a national interchange set with `tsunagu generate`.

    nice -n 10 .venv/bin/python bench/generate_national.py [--years 10] [--seed 1]
        [--personal empty|fictitious]

Prints the wall time, the rows written and the generator's peak RSS. Target
(issue 3): 1.5M events in well under a minute.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TSUNAGU = ROOT / ".venv" / "bin" / "tsunagu"

WRAPPER = (
    "import resource, subprocess, sys, time, json\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "print(json.dumps({'rc': p.returncode, 'wall': time.perf_counter() - t, 'out': p.stdout,"
    " 'err': p.stderr[-2000:], 'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))\n"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--personal", choices=("empty", "fictitious"), default="empty")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="tsunagu-generate-"))
    try:
        cmd = [str(TSUNAGU), "generate", "--years", str(args.years), "--scale", "national"]
        cmd += ["--seed", str(args.seed), "--personal", args.personal, str(out / "set")]
        proc = subprocess.run(
            [sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, check=True
        )
        result = json.loads(proc.stdout)
        if result["rc"]:
            sys.exit(result["err"])
        size = sum(f.stat().st_size for f in (out / "set").iterdir()) / 1e6
        print(result["out"].strip())
        print(
            f"wall {result['wall']:.1f} s, peak RSS {result['rss'] // 1024} MB, {size:.0f} MB written"
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
