"""The audit log is a hash chain: any change, deletion, insertion, reordering or cut is found."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from tsunagu.core import audit
from tsunagu.core.models import AuditEvent

SQLITE_TRIGGERS = {
    "audit_no_update": "BEFORE UPDATE",
    "audit_no_delete": "BEFORE DELETE",
}


@pytest.fixture
def chain(db: Any, settings: Any, tmp_path: Any, officer_tokyo: Any) -> list[AuditEvent]:
    settings.AUDIT_HEAD_DIR = tmp_path
    events = [audit.audit(actor=officer_tokyo, action="test.event", n=i) for i in range(5)]
    for event in events:
        audit.write_head(event.seq or 0, event.mac)  # what on_commit does in production
    return events


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """What an insider with database access does: lift the guards, change, put them back."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER {name}")
            cursor.execute(sql, params or [])
            for name, when in SQLITE_TRIGGERS.items():
                cursor.execute(
                    f"CREATE TRIGGER {name} {when} ON core_auditevent "
                    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
                )
        else:
            # A superuser's way round the triggers (the finding of the review).
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(sql, params or [])
            cursor.execute("SET session_replication_role = DEFAULT")


def test_an_untouched_chain_verifies(chain: list[AuditEvent]) -> None:
    assert audit.verify() is None
    assert [e.seq for e in chain] == [1, 2, 3, 4, 5]
    head = audit.chain_head()
    assert json.loads(json.dumps(head)) == {"seq": 5, "mac": chain[-1].mac}
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "audit log intact: 5 events chained" in out.getvalue()


def test_a_changed_row_is_named(chain: list[AuditEvent]) -> None:
    tamper("UPDATE core_auditevent SET reason = 'nothing happened' WHERE seq = 3")
    problem = audit.verify()
    assert problem is not None and problem.seq == 3 and "MAC" in problem.reason
    with pytest.raises(CommandError, match="seq 3"):
        call_command("audit", "verify")


def test_a_deleted_row_is_named(chain: list[AuditEvent]) -> None:
    tamper("DELETE FROM core_auditevent WHERE seq = 2")
    problem = audit.verify()
    assert problem is not None and problem.seq == 3 and "missing" in problem.reason


def test_a_forged_backdated_row_is_named(chain: list[AuditEvent], officer_tokyo: Any) -> None:
    forged = AuditEvent(actor=officer_tokyo, action="test.event", seq=6, mac="x:" + "0" * 64)
    forged.at = chain[0].at
    tamper(
        "INSERT INTO core_auditevent (at, actor_id, action, object_type, object_id, reason, "
        "detail, seq, mac) VALUES (%s, %s, 'case.open', '', '', '', '{}', 6, %s)",
        [chain[0].at, officer_tokyo.pk, forged.mac],
    )
    problem = audit.verify()
    assert problem is not None and problem.seq == 6


def test_a_row_inserted_without_a_place_is_named(chain: list[AuditEvent]) -> None:
    tamper(
        "INSERT INTO core_auditevent (at, action, object_type, object_id, reason, detail, mac) "
        "VALUES (%s, 'case.open', '', '', '', '{}', '')",
        [chain[0].at],
    )
    problem = audit.verify()
    assert problem is not None and "inserted" in problem.reason


def test_reordered_rows_are_named(chain: list[AuditEvent]) -> None:
    tamper("UPDATE core_auditevent SET seq = -1 WHERE seq = 2")
    tamper("UPDATE core_auditevent SET seq = 2 WHERE seq = 4")
    tamper("UPDATE core_auditevent SET seq = 4 WHERE seq = -1")
    problem = audit.verify()
    assert problem is not None and problem.seq == 2


def test_a_table_cut_at_the_end_is_found_from_the_head_file(chain: list[AuditEvent]) -> None:
    tamper("DELETE FROM core_auditevent WHERE seq >= 4")
    tamper("UPDATE core_auditchainhead SET seq = 3, mac = %s", [chain[2].mac])
    problem = audit.verify()
    assert problem is not None and problem.seq == 5 and "head file" in problem.reason


def test_an_emptied_table_is_found(chain: list[AuditEvent]) -> None:
    tamper("DELETE FROM core_auditevent")
    tamper("DELETE FROM core_auditchainhead")
    problem = audit.verify()
    assert problem is not None and "the table ends at 0" in problem.reason


def test_the_next_event_after_a_cut_does_not_hide_it(
    chain: list[AuditEvent], officer_tokyo: Any
) -> None:
    """The head row is moved back too: new events chain on, but the head file remembers."""
    tamper("DELETE FROM core_auditevent WHERE seq = 5")
    tamper("UPDATE core_auditchainhead SET seq = 4, mac = %s", [chain[3].mac])
    rewritten = audit.audit(actor=officer_tokyo, action="test.event")
    audit.write_head(rewritten.seq or 0, rewritten.mac)
    assert rewritten.seq == 5
    problem = audit.verify()
    assert problem is not None and problem.seq == 5 and "rewritten" in problem.reason


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_missing_sqlite_triggers_are_reported(chain: list[AuditEvent]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER audit_no_delete")
    problem = audit.verify()
    assert problem is not None and "audit_no_delete" in problem.reason


def test_the_database_refuses_changes(chain: list[AuditEvent]) -> None:
    for sql in ("UPDATE core_auditevent SET reason = 'x'", "DELETE FROM core_auditevent"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgres_refuses_truncate_even_for_the_owner(chain: list[AuditEvent]) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_auditevent")


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgres_app_role_cannot_change_the_audit_log(chain: list[AuditEvent]) -> None:
    """The grants of `tsunagu db-roles --print-sql`: the app role may only read and append."""
    from importlib import import_module

    grants = import_module("tsunagu.core.management.commands.db-roles")
    app = "tsunagu_test_app_role"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP ROLE IF EXISTS {app}")
        cursor.execute(f"CREATE ROLE {app} NOLOGIN")
        for line in grants.SQL.split("\n"):
            if line.startswith(("GRANT SELECT", "GRANT USAGE, SELECT", "REVOKE UPDATE")):
                cursor.execute(line.format(app=app, owner="x", db="x").rstrip(";"))
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {app}")
            cursor.execute("SELECT count(*) FROM core_auditevent")
            cursor.execute("UPDATE core_auditchainhead SET seq = seq")  # appending works
            for sql in (
                "UPDATE core_auditevent SET reason = 'x'",
                "DELETE FROM core_auditevent",
                "TRUNCATE core_auditevent",
                "ALTER TABLE core_auditevent DISABLE TRIGGER USER",
                "SET session_replication_role = replica",
            ):
                cursor.execute("SAVEPOINT attempt")
                with pytest.raises(DatabaseError, match="permission denied|must be owner"):
                    cursor.execute(sql)
                cursor.execute("ROLLBACK TO SAVEPOINT attempt")
            transaction.set_rollback(True)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {app}")
            cursor.execute(f"DROP ROLE {app}")


def test_db_roles_prints_the_grants() -> None:
    out = io.StringIO()
    call_command("db-roles", "--print-sql", "--app", "web", stdout=out)
    sql = out.getvalue()
    assert "REVOKE UPDATE, DELETE, TRUNCATE ON core_auditevent FROM web;" in sql
    assert "NOSUPERUSER" in sql


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_concurrent_writers_do_not_fork_the_chain(
    transactional_db: Any, settings: Any, tmp_path: Any
) -> None:
    """Four threads append at once; the head row lock keeps one chain, no gap, no fork."""
    import threading

    from django.db import connections

    settings.AUDIT_HEAD_DIR = tmp_path
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(15):
                audit.audit(actor=None, action="test.concurrent", writer=n, i=i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = sorted(seq or 0 for seq in AuditEvent.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, 61))
    assert audit.verify() is None
