"""The scanner's shell: strict headers, an installable manifest, a service worker that caches
every file the page needs (so a reload works offline), and its size budget."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask.testing import FlaskClient

from app.web.common import CSP

STATIC = Path(__file__).resolve().parents[2] / "app" / "web" / "static" / "scan"
BUDGET = 150 * 1024  # the scanner's own HTML + JS + CSS, uncompressed


def test_scan_page_is_a_strict_shell(client: FlaskClient) -> None:
    response = client.get("/scan/")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CSP
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and "<style" not in html
    assert "http://" not in html and "https://" not in html
    assert '<link rel="manifest" href="/scan/manifest.webmanifest">' in html
    for label in ("login-username", "login-password", "code-input"):
        assert f'<label for="{label}"' in html


def test_manifest_makes_an_installable_app_scoped_to_scan(client: FlaskClient) -> None:
    response = client.get("/scan/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data())
    assert manifest["scope"] == manifest["start_url"] == "/scan/"
    assert manifest["display"] == "standalone" and manifest["name"]
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_service_worker_caches_every_file_of_the_page(client: FlaskClient) -> None:
    response = client.get("/scan/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    source = response.get_data(as_text=True)
    shell = source[source.index("const SHELL = [") : source.index("];")]
    listed = set(re.findall(r'"(/[^"]+)"', shell))
    names = set(re.findall(r'"([\w-]+\.(?:js|css|svg))"', shell))
    listed |= {f"/scan/static/{name}" for name in names}
    files = {p.name for p in STATIC.iterdir() if p.suffix in (".js", ".css", ".svg")}
    assert {f"/scan/static/{n}" for n in files - {"sw.js"}} <= listed
    html = client.get("/scan/").get_data(as_text=True)
    assert set(re.findall(r'(?:src|href)="(/[^"]+)"', html)) <= listed
    for path in listed:
        assert client.get(path).status_code == 200, path


def test_scanner_size_budget(client: FlaskClient) -> None:
    html = len(client.get("/scan/").get_data())
    assert html + sum(p.stat().st_size for p in STATIC.iterdir()) < BUDGET
