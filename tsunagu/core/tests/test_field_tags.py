"""The field markup written in Python (`core/templatetags/fields.py`): every form
field is labelled, marked when required, described by its help, and its errors
carry the id the error summary links to; text from a form is escaped."""

from __future__ import annotations

from django import forms
from django.template import Context, Template

from tsunagu.core.wording import ProjectRenderer


class Sample(forms.Form):
    default_renderer = ProjectRenderer

    name = forms.CharField(label="Name <b>", help_text="As written <i>", min_length=3)
    kind = forms.ChoiceField(
        label="Kind", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect, required=False
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    confirm = forms.BooleanField(label="I am sure")


def render(text: str, **context: object) -> str:
    return Template("{% load fields %}" + text).render(Context(context))


def test_a_field_is_labelled_required_and_described() -> None:
    html = render("{% field_block form.name %}", form=Sample())
    assert '<label for="id_name">Name &lt;b&gt; <span aria-hidden="true">*</span></label>' in html
    assert '<input type="text" name="name"' in html and "required" in html
    # The help text, escaped, with the minimum length said up front (core.wording).
    assert '<div class="help">As written &lt;i&gt;' in html and "3" in html
    assert "errorlist" not in html


def test_errors_carry_the_id_the_summary_links_to_unless_hidden() -> None:
    form = Sample(data={"name": "<x"})
    html = render("{% field_block form.name %}", form=form)
    assert '<ul class="errorlist" id="id_name-errors"><li>' in html
    assert "&lt;x" in html and "<x" not in html.replace("&lt;x", "")
    assert "errorlist" not in render("{% field_block form.name True %}", form=form)


def test_a_group_of_choices_is_a_fieldset_with_a_legend() -> None:
    html = render("{% field_block form.kind %}", form=Sample())
    assert html.startswith('<fieldset class="choices"><legend>Kind</legend>')
    assert 'type="radio"' in html


def test_a_whole_form_hidden_fields_first_and_the_confirm_box_beside_its_label() -> None:
    form = Sample(data={"name": "ab"})
    html = render("{% form_fields form %}", form=form)
    assert html.index('type="hidden" name="token"') < html.index('name="name"')
    assert '<label class="confirm-box" for="id_confirm"><input type="checkbox"' in html
    assert "<span>I am sure</span></label>" in html
    assert '<div class="help" id="id_name_help">' in html
    assert '<ul class="errorlist" id="id_name_errors">' in html
    assert '<ul class="errorlist" id="id_confirm_errors">' in html
    assert '<fieldset class="choices"><legend>Kind</legend>' in html
