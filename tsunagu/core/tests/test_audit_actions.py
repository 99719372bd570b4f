"""The audit log speaks Japanese: every action code has a label (core/audit_actions.py),
targets are named (case reference, clinic, person's name), the filter is a select."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from tsunagu.cases import timeline
from tsunagu.core import audit_actions
from tsunagu.core.access_audit import AUDITED_ROUTES
from tsunagu.core.audit import audit
from tsunagu.testing import client_for
from tsunagu.testing.builders import referred
from tsunagu.treatment import directory, loop

PACKAGE = Path(__file__).resolve().parents[2]  # tsunagu/
AUDIT_FUNCTIONS = {"audit", "audit_auth"}


def _module_constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }


def _codes_in(value: ast.expr, constants: dict[str, str]) -> list[str]:
    """The action codes an `action=` argument can take; a family as "prefix."."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return [value.value]
    if isinstance(value, ast.IfExp):
        return _codes_in(value.body, constants) + _codes_in(value.orelse, constants)
    if isinstance(value, ast.JoinedStr):
        first = value.values[0]
        assert isinstance(first, ast.Constant), ast.unparse(value)
        prefix = str(first.value)
        assert prefix.endswith("."), ast.unparse(value)
        return [prefix]
    if isinstance(value, ast.Name) and value.id in constants:
        return [constants[value.id]]
    if isinstance(value, ast.Subscript) and ast.unparse(value.value) == "AUDITED_ROUTES":
        return sorted(set(AUDITED_ROUTES.values()))
    return []  # a pass-through parameter (audit_auth's `action`): its callers are read


def _recorded_codes() -> set[str]:
    codes: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _module_constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in AUDIT_FUNCTIONS:
                continue
            values = [k.value for k in node.keywords if k.arg == "action"]
            if name == "audit_auth" and node.args:
                values.append(node.args[0])
            for value in values:
                codes.update(_codes_in(value, constants))
    return codes


def test_the_scan_finds_the_actions_of_every_app():
    codes = _recorded_codes()
    # One of each kind of argument, so the scan itself is known to work.
    assert {"case.open", "clinic.create", "clinic.delete", "user.login_failed"} <= codes
    assert {"event.", "referral.", "read.", "stepup.limit_raised", "read.list"} <= codes


def test_every_recorded_action_code_has_a_label():
    missing = []
    for code in _recorded_codes():
        if code == "referral.":  # the clinic's steps, one code each
            missing += [
                f"referral.{a}"
                for a in loop.CLINIC_ACTIONS
                if f"referral.{a}" not in audit_actions.ACTION_LABELS
            ]
        elif code == "read.":  # reads of the models that audit them
            missing += [
                f"read.{m._meta.model_name}"
                for m in apps.get_models()
                if getattr(m, "AUDIT_READS", False)
                and f"read.{m._meta.model_name}" not in audit_actions.ACTION_LABELS
            ]
        elif code not in audit_actions.ACTION_LABELS:
            missing.append(code)
    assert missing == []


def test_every_label_is_japanese_and_the_event_family_reads_the_timeline_labels():
    with translation.override("ja"):
        for code, label in audit_actions.ACTION_LABELS.items():
            assert re.search(r"[぀-ヿ一-鿿]", str(label)), code
        for event_type in timeline.EVENT_ORDER:
            text = audit_actions.action_label(f"event.{event_type}")
            assert event_type not in text and "経過の記録: " in text
        assert audit_actions.action_label("event.warning") == "経過の記録: 警告"
    with translation.override("en"):
        assert audit_actions.action_label("clinic.delete") == "Clinic deleted"


@pytest.fixture
def logged(officer_tokyo, supervisor_tokyo, clinic_tokyo, make_case):
    officer_tokyo.last_name, officer_tokyo.first_name = "佐藤", "健一"
    officer_tokyo.save()
    return referred(officer_tokyo, make_case, clinic_tokyo, ref="T-AUDIT")


def test_the_page_shows_labels_case_references_and_names_not_codes_or_ids(supervisor_tokyo, logged):
    referral = logged
    client = client_for(supervisor_tokyo)
    response = client.get(reverse("core:audit_log"))
    body = response.content.decode()
    assert "紹介状送付" in body and "経過の記録: 受診の働き掛け" in body
    assert "事案 T-AUDIT" in body and "佐藤 健一" in body
    assert "新宿こころのクリニックへの紹介" in body
    table = body[body.index("<table") : body.index("</table>")]
    for raw in ("referral.send", "case.open", "event.", f"referral {referral.pk}", "(事案 "):
        assert raw not in table, raw
    # The action filter is a select of labels, grouped; an event family filters by prefix.
    select = re.search(r'<select name="action"[^>]*>(.*?)</select>', body, re.S)
    assert select and "紹介状送付" in select.group(1) and "<optgroup" in select.group(1)
    events = client.get(reverse("core:audit_log"), {"action": "event."}).context["rows"]
    assert events and all(r["event"].action.startswith("event.") for r in events)
    one = client.get(reverse("core:audit_log"), {"action": "referral.send"}).context["rows"]
    assert [r["event"].action for r in one] == ["referral.send"]
    bad = client.get(reverse("core:audit_log"), {"action": "no.such"})
    assert bad.context["form"].errors["action"] and not bad.context["rows"]


def test_a_deleted_clinic_is_named_by_the_name_kept_in_the_event(supervisor_tokyo, tokyo):
    from tsunagu.treatment.models import Clinic

    clinic = Clinic.objects.create(code="13-C077", prefecture=tokyo, name="閉院した診療所")
    directory.clinic_delete(actor=supervisor_tokyo, clinic=clinic)
    body = client_for(supervisor_tokyo).get(reverse("core:audit_log")).content.decode()
    table = body[body.index("<table") : body.index("</table>")]
    assert "医療機関の削除" in table and "閉院した診療所" in table
    assert "clinic.delete" not in table and "13-C077" not in table


def test_an_administrator_is_offered_the_account_actions_only(admin_user):
    form_choices = audit_actions.filter_choices(admin_user)
    codes = [code for _group, options in form_choices[1:] for code, _label in options]
    assert codes and all(code.startswith("user.") for code in codes)


def test_targets_are_named_with_one_query_per_kind(
    supervisor_tokyo, logged, django_assert_max_num_queries
):
    from tsunagu.core.models import AuditEvent

    audit(actor=supervisor_tokyo, action="user.unlock", obj=supervisor_tokyo)
    events = list(AuditEvent.objects.visible_to(supervisor_tokyo)) + list(
        AuditEvent.objects.filter(action="user.unlock")
    )
    kinds = {e.object_type for e in events if e.object_type} | {"case"}
    with django_assert_max_num_queries(len(kinds) + 1):
        named = audit_actions.targets(events)
    assert all(isinstance(v["what"], str) for v in named.values())
