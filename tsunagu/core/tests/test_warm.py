"""Templates and catalogues are prepared in the server's master process (core/warm.py)."""

from __future__ import annotations

from pathlib import Path

from django.template import engines
from django.utils.translation import trans_real

from tsunagu.core import warm


def test_every_template_of_the_project_compiles_before_the_workers_fork() -> None:
    names = warm.templates()
    project = {
        p.relative_to(next(a for a in p.parents if a.name == "templates")).as_posix()
        for p in Path(__file__).resolve().parents[2].rglob("templates/**/*.html")
    }
    assert project and project <= set(names)
    # Kept by the cached loader: asking again compiles nothing.
    loader = engines["django"].engine.template_loaders[0]  # type: ignore[attr-defined]
    assert "cases/detail.html" in {key.split("-")[0] for key in loader.get_template_cache}


def test_every_languages_catalogue_is_loaded_in_the_master() -> None:
    loaded: dict[str, object] = getattr(trans_real, "_translations")  # noqa: B009 - private
    loaded.clear()
    warm.catalogues()
    assert {"ja", "en"} <= set(loaded)
