"""Backup and restore of the whole database, with a manifest that restore checks.

An archive is a folder:
- `tsunagu.sqlite3` (SQLite, copied with the online backup API while writers
  go on) or `tsunagu.pgdump` (PostgreSQL, `pg_dump -Fc` of an exported
  snapshot);
- `manifest.json`: app version, engine, creation time, the applied
  migrations, the row count of every table and the audit chain head, all
  read from the same snapshot as the data, and the SHA-256 and size of each
  data file.

Keys and the secret key are never in it: they live apart (README "Backup and
restore" on key escrow). Restore refuses a damaged archive, a schema that is
not the code's, and a target that already holds tables; then it checks
integrity, row counts, the audit chain (when the code can verify one) and that
a sample of encrypted values decrypts with the configured keys.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.loader import MigrationLoader

from tsunagu.core import audit
from tsunagu.core.fields import EncryptedTextField, is_unreadable
from tsunagu.core.replica import reading_from

MANIFEST = "manifest.json"
SQLITE_FILE = "tsunagu.sqlite3"
PG_FILE = "tsunagu.pgdump"
FORMAT = 1
COPY_ALIAS = "backup_copy"
DECRYPT_SAMPLE = 50


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def app_version() -> str:
    try:
        return metadata.version("tsunagu")
    except metadata.PackageNotFoundError:
        return "unknown"


def engine() -> str:
    return str(connections[DEFAULT_DB_ALIAS].vendor)


def code_migrations() -> list[str]:
    """Every migration this code has on disk, as "app.name", sorted."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations)


def _pg_env(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """libpq arguments and environment for pg_dump / pg_restore / psql."""
    args = ["-d", db["NAME"]]
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _pg_tool(name: str) -> str:
    """The PostgreSQL client tool, preferring TSUNAGU_PG_BIN, then the PATH."""
    folder = os.environ.get("TSUNAGU_PG_BIN")
    if folder:
        return str(Path(folder) / name)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} is not installed (install postgresql-client)")


def _table_counts(alias: str) -> dict[str, int]:
    conn = connections[alias]
    quote = conn.ops.quote_name
    counts = {}
    with conn.cursor() as cursor:
        for table in sorted(conn.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 - names from the catalogue
            counts[table] = int(cursor.fetchone()[0])
    return counts


def _applied(alias: str) -> list[str]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        return sorted(f"{app}.{name}" for app, name in cursor.fetchall())


def _chain_head(alias: str) -> Any:
    """The audit chain head, once the audit module can compute one."""
    head = getattr(audit, "chain_head", None)
    if head is None:
        return None
    with reading_from(alias):
        value = head()
    return json.loads(json.dumps(value, default=str))  # JSON-safe, as stored in the manifest


def _with_copy_alias(path: Path) -> str:
    """A temporary connection alias on an SQLite file (the backup copy)."""
    _drop_copy_alias()
    base = dict(connections.settings[DEFAULT_DB_ALIAS])
    base.update(NAME=str(path))
    base["OPTIONS"] = {k: v for k, v in base.get("OPTIONS", {}).items() if k != "init_command"}
    connections.settings[COPY_ALIAS] = base
    return COPY_ALIAS


def _drop_copy_alias() -> None:
    if COPY_ALIAS not in connections.settings:
        return
    try:
        connections[COPY_ALIAS].close()
        del connections[COPY_ALIAS]
    except AttributeError:  # never opened
        pass
    connections.settings.pop(COPY_ALIAS, None)


def _prepare_dest(dest: Path) -> None:
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty: a backup goes into a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o700)


def backup(dest: Path) -> dict[str, Any]:
    """Write an archive of the live database into the new folder `dest`; return the manifest."""
    dest = Path(dest)
    _prepare_dest(dest)
    started = time.monotonic()
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    if engine() == "sqlite":
        data_file = dest / SQLITE_FILE
        _sqlite_backup(Path(settings.DATABASES[DEFAULT_DB_ALIAS]["NAME"]), data_file)
        alias = _with_copy_alias(data_file)
        try:
            migrations, counts, head = _applied(alias), _table_counts(alias), _chain_head(alias)
        finally:
            _drop_copy_alias()
    else:
        data_file = dest / PG_FILE
        migrations, counts, head = _pg_backup(data_file)
    manifest = {
        "format": FORMAT,
        "app_version": app_version(),
        "engine": engine(),
        "created_at": created,
        "migrations": migrations,
        "row_counts": counts,
        "audit_chain_head": head,
        "files": {data_file.name: {"sha256": sha256(data_file), "bytes": data_file.stat().st_size}},
        "seconds": round(time.monotonic() - started, 2),
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _sqlite_backup(source: Path, target: Path) -> None:
    """Online backup in one step: a consistent snapshot; WAL writers are not blocked."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=settings.LOCK_WAIT_SECONDS)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    target.chmod(0o600)


def _pg_backup(data_file: Path) -> tuple[list[str], dict[str, int], Any]:
    """pg_dump of an exported snapshot; counts and chain head read in that same snapshot."""
    conn = connections[DEFAULT_DB_ALIAS]
    args, env = _pg_env(conn.settings_dict)
    with transaction.atomic():
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        migrations, counts, head = (
            _applied(DEFAULT_DB_ALIAS),
            _table_counts(DEFAULT_DB_ALIAS),
            _chain_head(DEFAULT_DB_ALIAS),
        )
        command = [_pg_tool("pg_dump"), "-Fc", "--no-owner", "--no-acl", f"--snapshot={snapshot}"]
        done = subprocess.run(  # noqa: S603 - our own tool and settings, no shell
            [*command, *args, "-f", str(data_file)], env=env, capture_output=True, text=True
        )
        if done.returncode:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    data_file.chmod(0o600)
    return migrations, counts, head


@dataclass
class RestoreReport:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append((name, ok, detail))

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.checks)

    def lines(self) -> list[str]:
        return [f"{'OK  ' if ok else 'FAIL'} {name}: {detail}" for name, ok, detail in self.checks]


def read_manifest(src: Path) -> dict[str, Any]:
    path = Path(src) / MANIFEST
    if not path.exists():
        raise BackupError(f"{src} holds no {MANIFEST}: not a Tsunagu backup")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def check_archive(src: Path, manifest: dict[str, Any]) -> None:
    """Refuse a damaged archive, another engine, or a schema the code does not have."""
    for name, info in manifest["files"].items():
        path = Path(src) / name
        if not path.exists() or sha256(path) != info["sha256"]:
            raise BackupError(f"{name}: missing or its SHA-256 differs from the manifest")
    if manifest["engine"] != engine():
        raise BackupError(
            f"the backup is of {manifest['engine']}, the configured database is {engine()}"
        )
    code = set(code_migrations())
    archived = set(manifest["migrations"])
    if code != archived:
        only_backup = sorted(archived - code)
        only_code = sorted(code - archived)
        raise BackupError(
            "schema mismatch: restore with the app version that made the backup "
            f"({manifest['app_version']}), then upgrade. Only in the backup: {only_backup}; "
            f"only in this code: {only_code}"
        )


def _target_tables() -> list[str]:
    if engine() == "sqlite":
        path = Path(settings.DATABASES[DEFAULT_DB_ALIAS]["NAME"])
        if not path.exists() or path.stat().st_size == 0:
            return []
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        finally:
            con.close()
        return [r[0] for r in rows]
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        return [r[0] for r in cursor.fetchall()]


def restore(src: Path, out: Any = None) -> RestoreReport:
    """Restore the archive `src` into the configured, empty database, then verify it."""
    src = Path(src)
    say = out or (lambda text: None)
    manifest = read_manifest(src)
    check_archive(src, manifest)
    existing = _target_tables()
    if existing:
        raise BackupError(
            f"the target database is not empty ({len(existing)} tables): restore into a new "
            "data folder or a new PostgreSQL database"
        )
    started = time.monotonic()
    if engine() == "sqlite":
        target = Path(settings.DATABASES[DEFAULT_DB_ALIAS]["NAME"])
        connections[DEFAULT_DB_ALIAS].close()
        _sqlite_restore(src / SQLITE_FILE, target)
    else:
        _pg_restore(src / PG_FILE)
    # The restored data versions may repeat numbers the cache already holds
    # reports of (computed from later data): empty it.
    cache.clear()
    say(f"restored in {time.monotonic() - started:.1f} s; verifying")
    report = verify(manifest)
    report.add("time", True, f"{time.monotonic() - started:.1f} s restore and checks")
    return report


def _sqlite_restore(archive: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):  # an empty database file the settings created
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()
    target.chmod(0o600)


def _pg_restore(archive: Path) -> None:
    conn = connections[DEFAULT_DB_ALIAS]
    args, env = _pg_env(conn.settings_dict)
    command = [
        _pg_tool("pg_restore"),
        "--no-owner",
        "--no-acl",
        "--single-transaction",
        "--exit-on-error",
    ]
    done = subprocess.run(  # noqa: S603 - our own tool and settings, no shell
        [*command, *args, str(archive)], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise BackupError(f"pg_restore failed (nothing restored): {done.stderr.strip()}")
    with conn.cursor() as cursor:
        cursor.execute("ANALYZE")


def verify(manifest: dict[str, Any]) -> RestoreReport:
    """The checks restore prints: integrity, row counts, audit chain, decryption."""
    report = RestoreReport()
    conn = connections[DEFAULT_DB_ALIAS]
    with conn.cursor() as cursor:
        if engine() == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            result = ", ".join(str(r[0]) for r in cursor.fetchall())
            report.add("integrity", result == "ok", f"PRAGMA integrity_check: {result}")
            cursor.execute("PRAGMA foreign_key_check")
            broken = len(cursor.fetchall())
            report.add("foreign keys", broken == 0, f"{broken} dangling references")
        else:
            report.add("integrity", True, "pg_restore --single-transaction succeeded; ANALYZE run")
    counts = _table_counts(DEFAULT_DB_ALIAS)
    expected = manifest["row_counts"]
    differ = {t: (expected.get(t), counts.get(t)) for t in set(expected) | set(counts)}
    differ = {t: pair for t, pair in differ.items() if pair[0] != pair[1]}
    total = sum(counts.values())
    report.add(
        "row counts",
        not differ,
        f"{len(counts)} tables, {total} rows, as in the manifest"
        if not differ
        else f"differ from the manifest (table: manifest, restored): {differ}",
    )
    _verify_audit(report, manifest)
    _verify_decryption(report)
    return report


def _verify_audit(report: RestoreReport, manifest: dict[str, Any]) -> None:
    verify_chain = getattr(audit, "verify", None)
    if verify_chain is None or getattr(audit, "chain_head", None) is None:
        report.add("audit chain", True, "not available in this version (no hash chain)")
        return
    problem = verify_chain()  # None when the whole chain holds
    head = _chain_head(DEFAULT_DB_ALIAS)
    same = head == manifest.get("audit_chain_head")
    if problem is not None and "head file records" in str(problem):
        # Restoring an older backup where the head file has seen later events:
        # expected (what the backup cannot hold), and worth saying.
        report.add(
            "audit chain",
            same,
            f"holds up to the backup (head {head}); the head file records later events, "
            f"lost with this restore: {problem}",
        )
        return
    report.add(
        "audit chain",
        problem is None and same,
        f"verified, head {head} as in the manifest"
        if problem is None and same
        else f"problem: {problem}; head {head}, manifest {manifest.get('audit_chain_head')}",
    )


def _verify_decryption(report: RestoreReport) -> None:
    """The newest values of each encrypted column read back through the model."""
    tried = failed = 0
    for model in apps.get_models():
        for fld in model._meta.concrete_fields:
            if not isinstance(fld, EncryptedTextField):
                continue
            rows = (
                model._default_manager.exclude(**{fld.name: ""})
                .only(model._meta.pk.name, fld.name, fld.bound_by)
                .order_by("-pk")[:DECRYPT_SAMPLE]
            )
            for row in rows:
                tried += 1
                if is_unreadable(getattr(row, fld.name)):
                    failed += 1
    report.add(
        "decryption",
        failed == 0,
        f"{tried - failed} of {tried} sampled encrypted values decrypt with the configured keys",
    )
