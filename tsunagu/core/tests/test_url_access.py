"""Every named URL must have an out-of-scope test (`tsunagu.testing.access_test`).

The test modules of every app are imported first, so that their `access_test`
decorators have registered the names they prove; then every named pattern of
the URL tree, API operations included, is checked against that registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

import tsunagu
from tsunagu.testing import ACCESS_TESTED

# Django's and django-ninja's own pages, and the login/logout pages open to all.
EXEMPT = {"set_language", "core:login", "core:logout", "api:api-root"}
EXEMPT_SUFFIXES = ("openapi-json", "openapi-view")


def import_all_test_modules() -> list[str]:
    root = Path(tsunagu.__file__).resolve().parent
    names = []
    for path in sorted(root.glob("*/tests/test_*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        importlib.import_module(module)
        names.append(module)
    return names


def url_names(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace
            yield from url_names(pattern, f"{prefix}{namespace}:" if namespace else prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}"


def test_every_url_name_has_an_access_test() -> None:
    modules = import_all_test_modules()
    assert "tsunagu.cases.tests.test_views" in modules
    names = set(url_names())
    assert "cases:detail" in names and any(n.startswith("api:") for n in names)
    missing = sorted(
        name
        for name in names
        if name not in ACCESS_TESTED and name not in EXEMPT and not name.endswith(EXEMPT_SUFFIXES)
    )
    assert not missing, "URL names without an out-of-scope test (use @access_test): " + ", ".join(
        missing
    )


def test_the_walk_sees_namespaced_api_operations() -> None:
    names = set(url_names())
    assert {"api:cases_list", "api:cases_detail", "core:users"} <= names
