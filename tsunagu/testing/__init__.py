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


def client_for(user: Any, *, second_factor: bool = True) -> Any:
    """A Django test client signed in as `user` (no password hashing).

    The session counts as having passed the second factor just now (so the
    step-up for reveals is fresh too), unless `second_factor=False`.
    """
    from django.test import Client

    client = Client()
    if second_factor:
        client.force_login(user)
    else:
        password_only_login(client, user)
    return client


_ORIGINAL_FORCE_LOGIN: Any = None


def mark_session_verified(client: Any) -> None:
    """Mark a test client's session as second-factor verified now."""
    import time

    from django_otp import DEVICE_ID_SESSION_KEY

    from tsunagu.core.security import VERIFIED_AT

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = "tests.forced/0"
    session[VERIFIED_AT] = int(time.time())
    session.save()


def password_only_login(client: Any, user: Any) -> None:
    """Sign a test client in with the password step only (no second factor yet)."""
    install_test_login()
    _ORIGINAL_FORCE_LOGIN(client, user)


def install_test_login() -> None:
    """In tests, `Client.force_login` signs in with both factors.

    `force_login` already skips the password; it skips the second factor the
    same way, so every app's tests keep working with TSUNAGU_REQUIRE_MFA on.
    Tests of the second factor itself use `password_only_login` or the forms.
    """
    global _ORIGINAL_FORCE_LOGIN
    from django.test import Client

    if _ORIGINAL_FORCE_LOGIN is not None:
        return
    _ORIGINAL_FORCE_LOGIN = Client.force_login

    def force_login(self: Any, user: Any, backend: str | None = None) -> None:
        _ORIGINAL_FORCE_LOGIN(self, user, backend)
        mark_session_verified(self)

    Client.force_login = force_login  # type: ignore[method-assign]


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


# The two widths the interface is checked and photographed at: a desktop and a phone.
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def screenshots(page: Any, directory: Any, name: str, *, publish: bool = False) -> None:
    """Photograph the whole page at both widths, as `<name>-desktop.png` and
    `<name>-phone.png` in `directory`, then give the page back its viewport.

    With `publish`, both also go to docs/ for the README (see `publish_doc`).
    """
    before = page.viewport_size
    for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        path = directory / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        if publish:
            publish_doc(path, path.name)
    if before:
        page.set_viewport_size(before)


def totp_code(device: Any) -> str:
    """The current code of a TOTP device, as the user's app would show it."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def enrol_totp(user: Any) -> Any:
    """Give `user` a confirmed authenticator (TOTP device) and return it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def browser_login(page: Any, username: str, password: str | None = None) -> None:
    """Sign in through the login form in a Playwright page, then the second factor.

    The user gets a new authenticator (TOTP device) and the code is computed
    here, as the app on a phone would.
    """
    from tsunagu.core.models import User
    from tsunagu.testing.builders import PASSWORD

    device = enrol_totp(User.objects.get(username=username))
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password or PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.wait_for_load_state()
    if "/mfa/" not in page.url:
        return
    page.fill("#id_code", totp_code(device))
    with page.expect_navigation():
        page.click("#mfa-code-form button[type=submit]")
    page.wait_for_load_state()


def connection_kept() -> Any:
    """A context in which the WSGI handler keeps the test's database connection open
    across requests (as Django's test client does). For tests that call the app
    through WSGI (schemathesis, httpx's WSGI transport): the handler would close the
    connection after each request, and on PostgreSQL the test's transaction with it."""
    from contextlib import contextmanager

    from django.core import signals
    from django.db import close_old_connections

    @contextmanager
    def kept() -> Any:
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            yield
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)

    return kept()


def html_section(html: str, element_id: str) -> str:
    """The markup of the element with this id, up to the first end tag of its kind
    (enough for the flat sections, forms and divs the page tests look into)."""
    import re

    start = html.index(f'id="{element_id}"')
    tag = html.rfind("<", 0, start)
    found = re.match(r"<(\w+)", html[tag:])
    assert found is not None
    return html[tag : html.index(f"</{found.group(1)}>", start)]
