from __future__ import annotations

from django.conf import settings


def test_pages_are_japanese_whatever_the_browser_asks(client, db):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "ja"
    assert "ログイン" in response.content.decode()


def test_the_switch_chooses_english(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.headers["Content-Language"] == "en"
    assert "Log in" in response.content.decode()
