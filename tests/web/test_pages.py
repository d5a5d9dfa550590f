"""Web pages are public shells without data, with strict security headers."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from app.web.common import CSP, is_web_endpoint

SHELLS = ("/app/", "/console/", "/docs")


def test_every_web_page_is_declared_public(app: Flask) -> None:
    pages = 0
    for rule in app.url_map.iter_rules():
        if not is_web_endpoint(rule.endpoint) or rule.endpoint.endswith(".static"):
            continue
        access = getattr(app.view_functions[rule.endpoint], "_access", None)
        assert access is not None and access.public, rule.rule
        pages += 1
    assert pages >= 3


def test_pages_are_shells_with_strict_headers(client: FlaskClient) -> None:
    for path in SHELLS:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Security-Policy"] == CSP
        assert "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script in {path}"
        assert " style=" not in html and "<style" not in html, f"inline style in {path}"
        assert "http://" not in html and "https://" not in html, f"external URL in {path}"


def test_language_from_accept_language_and_switch(client: FlaskClient) -> None:
    zh = client.get("/app/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh">' in zh.get_data(as_text=True)
    assert '<html lang="en">' in client.get("/app/").get_data(as_text=True)
    client.set_cookie("hc_lang", "zh")
    assert '<html lang="zh">' in client.get("/console/").get_data(as_text=True)


def test_api_responses_keep_their_own_headers(client: FlaskClient) -> None:
    assert "Content-Security-Policy" not in client.get("/healthz").headers


def test_docs_are_served_offline(client: FlaskClient) -> None:
    html = client.get("/docs").get_data(as_text=True)
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert src.startswith("/"), src
        assert client.get(src).status_code == 200, src
    assert "cdn" not in html.lower()
    assert client.get("/docs/assets/index.html").status_code == 404


def test_sms_page_lists_the_last_messages(
    client: FlaskClient, settings_override: Callable[..., None]
) -> None:
    assert "No messages yet" in client.get("/dev/sms").get_data(as_text=True)
    assert client.post("/v1/auth/otp", json={"phone": "+8613800000077"}).status_code == 202
    html = client.get("/dev/sms").get_data(as_text=True)
    assert "+8613800000077" in html
    assert re.search(r"login code is \d{6}", html)
    settings_override(env="production")
    assert client.get("/dev/sms").status_code == 404
