"""Test helpers shared by every app's tests.

`client_for(user)` gives a signed-in test client; builders of people, cases
and timelines are in `tsunagu.testing.builders`, small interchange files in
`tsunagu.testing.files`.

`access_test("cases:detail", ...)` marks a test as the out-of-scope test of URL
names; `tsunagu/core/tests/test_url_access.py` walks every URL pattern and fails
when one has no such test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def client_for(user: Any) -> Any:
    """A Django test client signed in as `user` (no password hashing)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


ACCESS_TESTED: set[str] = set()


def access_test(*url_names: str) -> Callable[[F], F]:
    """Declare that the decorated test proves scoping for these URL names."""

    def mark(func: F) -> F:
        ACCESS_TESTED.update(url_names)
        return func

    return mark


def assert_no_markers(content: bytes | str, markers: tuple[str, ...]) -> None:
    """Fail if any marker string (e.g. a victim's address) appears in a response."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    found = [m for m in markers if m in text]
    assert not found, f"leaked: {found}"


def publish_doc(source: Any, name: str) -> None:
    """Copy a screenshot or file a browser test made into docs/ for the README.

    Only with TSUNAGU_UPDATE_DOCS=1, so that a test run leaves the work tree as
    it was; the copies in docs/ are refreshed on purpose, then committed.
    """
    import os
    import shutil
    from pathlib import Path

    if os.environ.get("TSUNAGU_UPDATE_DOCS") != "1":
        return
    docs = Path(__file__).resolve().parent.parent.parent / "docs"
    docs.mkdir(exist_ok=True)
    shutil.copy(source, docs / name)


def browser_login(page: Any, username: str, password: str | None = None) -> None:
    """Sign in through the login form in a Playwright page."""
    from tsunagu.testing.builders import PASSWORD

    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password or PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
