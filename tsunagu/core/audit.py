"""Writing and verifying the audit log: a hash chain under a key held outside the database.

Every event gets the next `seq` and `mac = HMAC(key, seq | content | previous mac)`.
The key ring comes from TSUNAGU_AUDIT_KEYS ("id:base64key,...", the first signs)
or the file TSUNAGU_AUDIT_KEYS_FILE (default `audit-keys` in the data folder),
created on first use while no event is chained yet. Appends are serialised on
the one-row `AuditChainHead` (`select_for_update`), so writers never fork the chain.

The chain head is also written outside the database as events commit: appended
to `audit-head.log` in TSUNAGU_AUDIT_HEAD_DIR (default: the data folder) and
logged on the `tsunagu.audit` logger. `verify()` recomputes the chain and
compares its end with that file, so an emptied or cut table is found too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from tsunagu.core import crypto
from tsunagu.core.models import AuditChainHead, AuditEvent, Region, User

log = logging.getLogger("tsunagu.audit")
HEAD_FILE = "audit-head.log"


def audit(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    prefecture: Region | int | None = None,
    reason: str = "",
    **detail: Any,
) -> AuditEvent:
    """Record an audited action. `detail` must never hold victim plaintext.

    `prefecture` (a Region or its id) decides which supervisor sees the event.
    """
    event = AuditEvent(
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        action=action,
        prefecture_id=prefecture.pk if isinstance(prefecture, Region) else prefecture,
        object_type=(obj._meta.model_name or "") if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        reason=reason,
        detail=json.loads(json.dumps(detail, default=str)),
    )
    return append(event)


def append(event: AuditEvent) -> AuditEvent:
    """Chain `event` after the current head and save it, in one transaction."""
    # No savepoint inside an outer transaction: the event belongs to the caller's write.
    with transaction.atomic(savepoint=False):
        head = _locked_head()
        event.seq = head.seq + 1
        event.mac = sign(event, head.mac)
        event.save(force_insert=True)
        head.seq, head.mac = event.seq, event.mac
        head.save(update_fields=["seq", "mac"])
        seq, mac = event.seq, event.mac
        transaction.on_commit(lambda: write_head(seq, mac))
    return event


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # No head row yet (a fresh or flushed table): writers racing here all try to
        # insert it, the first wins and the others wait on its lock just below.
        last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").first()
        AuditChainHead.objects.bulk_create(
            [
                AuditChainHead(
                    pk=1, seq=(last.seq or 0) if last else 0, mac=last.mac if last else ""
                )
            ],
            ignore_conflicts=True,
        )
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def day_start(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the project's time zone (for index-friendly date filters)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- keys and MACs ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def keyring() -> crypto.Keyring:
    path = Path(settings.AUDIT_KEY_FILE)
    may_create = bool(settings.AUDIT_KEYS) or path.exists() or not _chain_started()
    return crypto.load_ring(settings.AUDIT_KEYS, path, "audit", may_create)


def _chain_started() -> bool:
    try:
        return AuditEvent.objects.exclude(mac="").exists()
    except Exception:  # noqa: BLE001 - no table yet (before migrate): nothing to protect
        return False


def canonical(event: AuditEvent, prev_mac: str) -> bytes:
    """The signed bytes: every stored field of the event, and the previous MAC."""
    at = event.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    fields = [
        event.seq,
        at,
        event.actor_id,
        event.action,
        event.prefecture_id,
        event.object_type,
        event.object_id,
        event.reason,
        event.detail,
        prev_mac,
    ]
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sign(event: AuditEvent, prev_mac: str, key_id: str | None = None) -> str:
    ring = keyring()
    kid = key_id or ring.primary_id
    digest = hmac.new(ring.key(kid), canonical(event, prev_mac), hashlib.sha256).hexdigest()
    return f"{kid}:{digest}"


def _mac_ok(event: AuditEvent, prev_mac: str) -> bool:
    kid = event.mac.partition(":")[0]
    try:
        expected = sign(event, prev_mac, kid)
    except crypto.CannotDecrypt:  # signed with a key that is not configured
        return False
    return hmac.compare_digest(expected, event.mac)


# --- the head outside the database -----------------------------------------------------


def head_path() -> Path:
    return Path(settings.AUDIT_HEAD_DIR) / HEAD_FILE


def write_head(seq: int, mac: str) -> None:
    """Append the new head to the head file and the log (after commit)."""
    line = f"{dt.datetime.now(dt.UTC).isoformat(timespec='seconds')} {seq} {mac}\n"
    path = head_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with open(fd, "a", encoding="utf-8") as out:
            out.write(line)
    except OSError:
        log.exception("audit head could not be written to %s", path)
    log.info("audit head seq=%s mac=%s", seq, mac)


def recorded_heads(tail: int = 1000) -> list[tuple[int, str]]:
    """The (seq, mac) pairs of the last lines of the head file."""
    path = head_path()
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines()[-tail:]:
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            found.append((int(parts[1]), parts[2]))
    return found


def recorded_head(tail: int = 1000) -> tuple[int, str] | None:
    """The highest (seq, mac) among the last lines of the head file, if any."""
    return max(recorded_heads(tail), default=None)


def chain_head() -> dict[str, Any]:
    """The chain's head as stored in the database: {"seq": n, "mac": "kid:hex"} (JSON-safe)."""
    head = AuditChainHead.objects.filter(pk=1).first()
    return {"seq": head.seq if head else 0, "mac": head.mac if head else ""}


# --- verification ----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """The first place where the chain does not hold."""

    seq: int | None
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event seq {self.seq}" if self.seq is not None else "the log"
        if self.event_id is not None:
            where += f" (id {self.event_id})"
        return f"{where}: {self.reason}"


def _events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=5000)


def verify() -> Problem | None:
    """Recompute the whole chain; the first bad event, or None when everything holds.

    Finds a changed row (MAC), a deleted or inserted row (a gap, or a MAC that
    does not follow its predecessor), reordered rows (seq is signed), unchained
    rows, and a table emptied or cut at the end (the head file and head row).
    """
    unchained = AuditEvent.objects.filter(seq__isnull=True).order_by("id").first()
    if unchained is not None:
        return Problem(None, unchained.pk, "event without a place in the chain (inserted)")
    checkpoint = _checkpoint()
    prev_seq, prev_mac = checkpoint
    for event in _events():
        if event.seq != prev_seq + 1:
            return Problem(
                event.seq, event.pk, f"expected seq {prev_seq + 1}: events missing or reordered"
            )
        if not _mac_ok(event, prev_mac):
            return Problem(event.seq, event.pk, "MAC does not match: changed, forged or moved")
        prev_seq, prev_mac = event.seq, event.mac
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq, head.mac) != (prev_seq, prev_mac) and head.seq > 0:
        return Problem(
            head.seq, None, f"chain head row says seq {head.seq}; log ends at {prev_seq}"
        )
    problem = _compare_head_file(prev_seq)
    if problem is not None:
        return problem
    if connection.vendor == "sqlite":
        missing = _missing_sqlite_triggers()
        if missing:
            return Problem(None, None, f"append-only triggers missing: {', '.join(missing)}")
    return None


def _compare_head_file(last_seq: int) -> Problem | None:
    """The head file's recent entries must be events of the table, with the same MAC."""
    recorded = recorded_heads()
    if not recorded:
        return None
    top = max(recorded)
    if top[0] > last_seq:
        return Problem(
            top[0], None, f"head file records seq {top[0]}; the table ends at {last_seq}"
        )
    stored = dict(
        AuditEvent.objects.filter(seq__in=[seq for seq, _ in recorded]).values_list("seq", "mac")
    )
    for seq, mac in recorded:
        if stored.get(seq) != mac:
            return Problem(seq, None, "differs from the head file: events were rewritten")
    return None


def _checkpoint() -> tuple[int, str]:
    """Where the chain starts: (0, "") unless old events were pruned after a checkpoint."""
    return (0, "")


def _missing_sqlite_triggers() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {name for (name,) in cursor.fetchall()}
    return sorted({"audit_no_update", "audit_no_delete"} - present)
