"""The project's wording of form errors (core/wording.py): the field is named, the rule
is said before the user fails it, and a failed sign-in has one plain message."""

from __future__ import annotations

from django import forms
from django.test import Client
from django.urls import reverse

from tsunagu.core.forms import UserForm
from tsunagu.core.mfa_views import RaiseLimitForm
from tsunagu.testing import client_for

STOCK = (
    "このフィールドは必須です",
    "この項目は必須です",
    "であることを確認してください",
    "フィールド",
    "大文字と小文字は区別されます",
)


class _Form(forms.Form):
    reason = forms.CharField(label="理由", min_length=5, max_length=20)
    kind = forms.ChoiceField(label="種別", choices=[("", "すべて"), ("a", "A")])


def _errors(form: forms.Form, name: str) -> list[str]:
    return [str(e) for e in form[name].errors]


def test_a_required_field_left_empty_is_named(db):
    form = _Form({"reason": "", "kind": ""})
    assert not form.is_valid()
    assert _errors(form, "reason") == ["理由を入力してください。"]
    assert _errors(form, "kind") == ["種別を選んでください。"]


def test_a_length_rule_is_stated_up_front_and_named_when_failed(db):
    form = _Form()
    assert "5文字以上で入力してください。" in form["reason"].help_text
    form = _Form({"reason": "abc", "kind": "a"})
    assert _errors(form, "reason") == ["理由は5文字以上で入力してください（現在3文字）。"]
    form = _Form({"reason": "x" * 25, "kind": "a"})
    assert _errors(form, "reason") == ["理由は20文字以内で入力してください（現在25文字）。"]


def test_the_reason_to_raise_a_limit_states_its_minimum_before_the_user_fails(db):
    form = RaiseLimitForm()
    assert "10文字以上で入力してください。" in form["reason"].help_text
    html = str(form["reason"].help_text)
    assert not any(stock in html for stock in STOCK)


def test_other_errors_keep_their_own_words(db):
    form = _Form({"reason": "abcdef", "kind": "zz"})
    assert _errors(form, "kind") and "種別" not in _errors(form, "kind")[0]


def test_the_user_name_help_text_is_not_djangos_required_notice(db):
    text = str(UserForm()["username"].help_text)
    assert "150" in text and not any(stock in text for stock in STOCK)


def test_a_failed_sign_in_has_one_plain_message(db, officer_tokyo):
    response = Client().post(
        reverse("core:login"), {"username": "officer-tokyo", "password": "nope"}
    )
    body = response.content.decode()
    assert "ユーザー名またはパスワードが正しくありません。" in body
    assert not any(stock in body for stock in STOCK)
    unknown = Client().post(reverse("core:login"), {"username": "no-such-user", "password": "nope"})
    assert "ユーザー名またはパスワードが正しくありません。" in unknown.content.decode()


def test_pages_render_the_named_required_error(db, supervisor_tokyo):
    """A real page: the own-password form posted empty names each field."""
    client = client_for(supervisor_tokyo)
    body = client.post(reverse("core:own_password"), {"current": ""}).content.decode()
    assert "現在のパスワードを入力してください。" in body
    assert not any(stock in body for stock in STOCK)


def test_the_reveal_reason_states_the_minimum_the_check_enforces(db):
    from tsunagu.cases.forms import RevealForm
    from tsunagu.core import stepup

    help_text = str(RevealForm()["reason"].help_text)
    assert f"{stepup.MIN_REASON_LENGTH}文字以上で入力してください。" in help_text
    short = "x" * (stepup.MIN_REASON_LENGTH - 1)
    assert stepup.validate_reason(short) is not None
