"""Work done once in the server's master process, before it forks its workers.

Each gunicorn worker would otherwise compile every template, load each
language's catalogue and build the form renderer's widget templates on its own
first requests: those first views of a page cost two to four times a later one.
Done in the master (`tsunagu serve` preloads the application), the workers are
forked with all of it in memory they share.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.forms.renderers import get_default_renderer
from django.template import engines
from django.utils import translation

TEMPLATE_SUFFIXES = (".html", ".txt")


def templates() -> list[str]:
    """Compile every template of the project's engine (kept by its cached loader)
    and the form widgets' templates; the names compiled."""
    names: list[str] = []
    for engine in engines.all():
        for folder in engine.template_dirs:  # type: ignore[attr-defined]
            root = Path(folder)
            for path in sorted(root.rglob("*")):
                if path.suffix in TEMPLATE_SUFFIXES and path.is_file():
                    name = path.relative_to(root).as_posix()
                    engine.get_template(name)
                    names.append(name)
    renderer = get_default_renderer()
    widgets = Path(renderer.engine.template_dirs[0]) / "django" / "forms"  # type: ignore[attr-defined]
    for path in sorted(widgets.rglob("*.html")):
        renderer.get_template(path.relative_to(widgets.parent.parent).as_posix())
    return names


def catalogues() -> None:
    """Load the message catalogue of every language."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Tsunagu")


def everything() -> None:
    catalogues()
    templates()
