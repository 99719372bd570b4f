"""`tsunagu backup` during writes, `tsunagu restore` into a fresh database: the
exports of source and copy agree on every row acknowledged before the backup."""

from __future__ import annotations

import csv
import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from django.core.cache.backends.filebased import FileBasedCache

from tsunagu.core.tests.opsenv import database, python, run

pytestmark = pytest.mark.django_db  # only to know the suite's engine


def _export(env: dict[str, str], folder: Path) -> dict[str, list[tuple[str, ...]]]:
    run(env, "export", str(folder), "--include-personal", "--reason", "backup test")
    rows: dict[str, list[tuple[str, ...]]] = {}
    for name in ("cases.csv", "events.csv"):
        with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                rows.setdefault(row["case_ref"], []).append(
                    (name, *(f"{k}={v}" for k, v in sorted(row.items())))
                )
    return {ref: sorted(found) for ref, found in rows.items()}


def _wait(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_backup_during_writes_restores_every_acknowledged_row(tmp_path):
    archive = tmp_path / "archive"
    with database(tmp_path, "bsrc") as src, database(tmp_path, "bdst") as dst:
        run(src, "migrate", "--no-input")
        writer = python(src, "-m", "tsunagu.core.tests.opsprocs", "write", "B")
        acked: list[str] = []

        def read() -> None:
            assert writer.stdout is not None
            for line in writer.stdout:
                if line.startswith("ACK "):
                    acked.append(line.split()[1])

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            _wait(lambda: len(acked) >= 10)
            before = set(acked)
            done = run(src, "backup", str(archive))
            _wait(lambda: len(acked) >= len(before) + 10)  # writes went on meanwhile
        finally:
            writer.terminate()
            writer.wait(timeout=30)
            reader.join(timeout=10)
        assert "backup of" in done.stdout
        manifest = json.loads((archive / "manifest.json").read_text())
        assert manifest["row_counts"]["cases_case"] >= len(before)
        assert "keys" not in {p.name for p in archive.iterdir()}

        refused = run(src, "restore", str(archive), check=False)
        assert refused.returncode != 0 and "not empty" in refused.stderr

        # Reports the target host cached from other data, under data versions
        # the restore may bring back, are dropped.
        stale = FileBasedCache(str(Path(dst["TSUNAGU_DATA_DIR"]) / "cache"), {})
        stale.set("reports:stale", "computed from other data")
        restored = run(dst, "restore", str(archive))
        assert stale.get("reports:stale") is None
        for check in ("integrity", "row counts", "audit chain", "decryption"):
            assert f"OK   {check}" in restored.stdout, restored.stdout
        assert "restore verified" in restored.stdout

        source_rows = _export(src, tmp_path / "src-out")
        copy_rows = _export(dst, tmp_path / "dst-out")
        acknowledged = {ref: source_rows[ref] for ref in before}
        assert {ref: copy_rows.get(ref) for ref in before} == acknowledged
        assert set(copy_rows) <= set(source_rows)  # nothing the source never had
        assert len(copy_rows) < len(source_rows)  # the writes after the backup are not in it

        # A schema the code does not have is refused before anything is written.
        other = tmp_path / "other-schema"
        shutil.copytree(archive, other)
        changed = json.loads((other / "manifest.json").read_text())
        changed["migrations"].append("cases.9999_from_the_future")
        (other / "manifest.json").write_text(json.dumps(changed))
        mismatch = run(src, "restore", str(other), check=False)
        assert mismatch.returncode != 0 and "schema mismatch" in mismatch.stderr

        # A damaged data file is refused.
        data_file = next(p for p in other.iterdir() if p.name != "manifest.json")
        with data_file.open("r+b") as handle:
            handle.seek(200)
            handle.write(b"\xff\xff\xff")
        damaged = run(src, "restore", str(other), check=False)
        assert damaged.returncode != 0 and "SHA-256" in damaged.stderr
