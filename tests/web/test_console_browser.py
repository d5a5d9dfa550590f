"""The officials' console in a real Chromium, on the demo population: every tab renders; a
draft without the positive-test rule dry-runs to red->green; publishing it changes the
dashboard's counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

DROP_POSITIVE_TEST = """() => {
  const area = document.getElementById("draft");
  const doc = JSON.parse(area.value);
  doc.rules = doc.rules.filter((r) => r.id !== "positive-test");
  doc.description = "Without the positive-test rule";
  area.value = JSON.stringify(doc, null, 2);
}"""
BREAK_A_RULE = """() => {
  const area = document.getElementById("draft");
  const doc = JSON.parse(area.value);
  doc.rules[0].color = "purple";
  area.value = JSON.stringify(doc, null, 2);
}"""


def _count(page: Any, colour: str) -> int:
    return int(page.locator(f"#count-{colour}").inner_text())


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_console_dry_run_and_publish(
    app: Flask,
    chromium: Any,
    live_url: str,
    background: None,
    snap: Callable[[Any, str], None],
    screens: Path,
) -> None:
    from playwright.sync_api import expect

    from app.services.demo import seed

    c = app.extensions["healthcode"]
    with c.db.session() as session:
        seed(session, settings=c.settings)
    password = c.settings.demo_password

    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_url}/console/")
    snap(page, "console-login")
    page.locator("#username").fill("admin")
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Log in").click()

    expect(page.locator("#count-red")).to_be_visible()
    red_before = _count(page, "red")
    assert red_before > 20
    expect(page.locator("#chart-time svg path.line.red")).to_have_count(1)
    expect(page.locator("#chart-regions svg")).to_contain_text("CN-GD-GZ")
    snap(page, "console-dashboard")

    for tab, ready in (
        ("Regions", "#region-list tr.clickable"),
        ("Feeds", "#batches"),
        ("Admin", "#accounts tr"),
    ):
        page.get_by_role("link", name=tab).click()
        expect(page.locator(ready).first).to_be_visible()
        if tab == "Regions":
            page.locator("#region-list tr.clickable", has_text="CN-GD-GZ").click()
            expect(page.locator("#region-timeline svg rect.level-high")).to_have_count(1)
        snap(page, f"console-{tab.lower()}")

    page.get_by_role("link", name="People").click()
    page.locator("#lookup-id").fill("310115196101040002")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#person-color")).not_to_be_empty()
    snap(page, "console-people")

    page.get_by_role("link", name="Rules").click()
    expect(page.locator("#active-rules")).to_contain_text("positive-test")
    page.evaluate(BREAK_A_RULE)
    page.get_by_role("button", name="Save draft and dry-run").click()
    expect(page.locator("#draft-errors")).to_contain_text("/rules/0/color")
    page.get_by_role("button", name="Start from the active set").click()
    page.evaluate(DROP_POSITIVE_TEST)
    page.get_by_role("button", name="Save draft and dry-run").click()
    row = page.locator('#impact-table tr[data-transition="red->green"]')
    expect(row).to_be_visible(timeout=60_000)
    moved = int(row.locator("td.num").inner_text())
    assert moved > 0
    expect(page.locator("#impact-chart svg")).to_be_visible()
    snap(page, "console-dryrun")

    page.get_by_role("button", name="Publish this rule set").click()
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm-impact")).to_contain_text(str(moved))
    page.screenshot(path=str(screens / "console-confirm-1280.png"))
    page.get_by_role("button", name="Publish now").click()
    expect(page.locator("#notice")).to_contain_text("is published", timeout=60_000)

    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("#count-red")).not_to_have_text(str(red_before))
    assert _count(page, "red") < red_before
    assert not errors, errors
    context.close()
