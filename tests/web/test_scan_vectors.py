"""Every golden vector gives the same answer in the browser verifier as in codes.verify.

Both vector formats: hcx-vector/1 (health codes; the check() dict) and hcx-vector/2 (kinds,
deltas, the verified claims by CBOR key). The Python answers are computed here too, so the
browser is compared with codes itself as well as with the files.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from tests.codes.vector_answers import python_answer
from tests.web.scan_browser import RUN_VECTORS_JS, VECTORS, live_server

playwright = pytest.importorskip("playwright.sync_api")


def browser_answer(vector: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The browser's answer in the same terms."""
    result, code = answer["result"], answer["code"]
    if vector["format"] == "hcx-vector/1":
        return {k: v for k, v in result.items() if k != "kind"}
    return {
        "valid": result["valid"],
        "reason": result["reason"],
        "kind": None if code is None else code["kind"],
        "claims": None if code is None else code["claims"],
        "expires_at": None if code is None else code["expires_at"],
        "kid": None if code is None else code["kid"],
    }


@pytest.mark.slow
def test_browser_verifier_agrees_on_every_vector(app: Flask, chromium: Any) -> None:
    # the session's browser: a second sync_playwright() in one process fails once another
    # browser test has started the session one
    vectors = [json.loads(p.read_text()) for p in VECTORS]
    assert len(vectors) == len(VECTORS) >= 20
    with live_server(app) as base:
        page = chromium.new_page()
        page.goto(base + "/scan/")
        answers = page.evaluate(RUN_VECTORS_JS, vectors)
        page.close()
    assert set(answers) == {v["name"] for v in vectors}
    wrong = {}
    for vector in vectors:
        python = python_answer(vector)
        got = browser_answer(vector, answers[vector["name"]])
        if not got == python == vector["expected"]:
            wrong[vector["name"]] = {"browser": got, "python": python, "file": vector["expected"]}
    assert not wrong, json.dumps(wrong, indent=1)
