"""SIGKILL a writing process at random moments, at least 20 times: no acknowledged
write lost, no half-written case, every write audited, every value decrypts."""

from __future__ import annotations

import json

import pytest

from tsunagu.core.tests.opsenv import database, python, run

pytestmark = pytest.mark.django_db  # only to know the suite's engine

KILLS = 20


def test_writes_survive_twenty_sigkills(tmp_path):
    with database(tmp_path, "kill") as env:
        run(env, "migrate", "--no-input")
        loop = python(env, "-m", "tsunagu.core.tests.opsprocs", "killloop", str(KILLS))
        out, _ = loop.communicate(timeout=600)
        assert loop.returncode == 0, out
        result = json.loads(out.strip().splitlines()[-1])
    print(
        result["kills"], "kills,", result["acked"], "acknowledged writes in", result["seconds"], "s"
    )
    assert result["kills"] >= KILLS
    assert result["acked"] > 0
    assert result["lost"] == []
    assert result["acked_without_warning"] == []
    assert result["half_written"] == []
    assert result["stale_summary"] == []
    assert result["case_open_audits"] == result["cases"]
    assert result["warning_audits"] == result["warnings"]
    assert result["undecryptable"] == 0
    assert result["audit_chain_problem"] == ""
