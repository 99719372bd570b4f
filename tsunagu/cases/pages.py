"""Panels that the apps built on the case registry add to its pages.

The case page and the officer's home page belong to the registry; the treatment
loop shows its panel on both. It registers a template and a context function
here when it starts (`AppConfig.ready`), so the registry never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tsunagu.cases.models import Case
from tsunagu.core.access import AuthedRequest


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[..., dict[str, Any]]


CASE_PANELS: list[Panel] = []
HOME_PANELS: list[Panel] = []


def register_case_panel(
    template: str, context: Callable[[AuthedRequest, Case], dict[str, Any]]
) -> None:
    if all(p.template != template for p in CASE_PANELS):
        CASE_PANELS.append(Panel(template, context))


def register_home_panel(template: str, context: Callable[[AuthedRequest], dict[str, Any]]) -> None:
    if all(p.template != template for p in HOME_PANELS):
        HOME_PANELS.append(Panel(template, context))


def case_panels(request: AuthedRequest, case: Case) -> dict[str, Any]:
    """The panels' context merged, and their templates (`panel_templates`)."""
    context: dict[str, Any] = {"panel_templates": [p.template for p in CASE_PANELS]}
    for panel in CASE_PANELS:
        context.update(panel.context(request, case))
    return context


def home_panels(request: AuthedRequest) -> dict[str, Any]:
    context: dict[str, Any] = {"panel_templates": [p.template for p in HOME_PANELS]}
    for panel in HOME_PANELS:
        context.update(panel.context(request))
    return context
