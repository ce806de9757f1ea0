"""The emulator and the dashboard in a real browser (Debian's chromium), against the real app.

The tour a new user takes: type /deals and see the list, press Done and see it update in place,
log a call through the form, fire a hot lead and watch the channel alert, move the clock past the
response time and see the breach in the channel, then find that breach (and the Done in the ROI
panel) on the dashboard. A screenshot of every step is kept (see tests/browser.py for where).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.services import Services
from tests.browser import artifacts_dir, browser  # noqa: F401  (the module's browser fixture)
from tests.emulator_world import demo_world
from tests.live_server import serving

TIMEOUT = 15_000
LEAD_COMPANY = "Quorvane Analytics"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Services]]:
    folder = tmp_path_factory.mktemp("emulator")
    settings, services = demo_world(folder, delivery_enabled=True, scheduler_enabled=False)
    try:
        with serving(create_app(settings, services)) as base:
            yield base, services
    finally:
        services.close()


@pytest.fixture(scope="module")
def page(browser: Any, world: tuple[str, Services]) -> Iterator[Any]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(TIMEOUT)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    return artifacts_dir("emulator-tour")


def rep_id(services: Services, name: str) -> int:
    with services.uow_factory() as uow:
        return next(r.id for r in uow.reps.list() if r.name == name and r.id is not None)


def latest(pane: Any) -> Any:
    return pane.locator("li.entry").last


def test_the_tour(page: Any, world: tuple[str, Services], shots: Path) -> None:
    from playwright.sync_api import expect

    base, services = world
    marcus = rep_id(services, "Marcus Reyes")
    page.goto(f"{base}/emulator?rep={marcus}")
    dm, channel = page.locator("#dm"), page.locator("#channel")
    expect(page.locator("#clock-now")).to_contain_text("Tue 24 Nov 2026")
    expect(dm).to_contain_text("Good morning, Marcus")  # the digest the clock's first pass sent
    page.screenshot(path=shots / "01-emulator-digest.png")

    page.fill("#say", "/deals")
    page.press("#say", "Enter")
    answer = latest(dm)
    expect(answer).to_contain_text("Only visible to you")
    expect(answer.locator("button", has_text="Done").first).to_be_visible()
    first_item = answer.locator("section.dm-section[data-key]").first
    title = first_item.locator(".dm-heading").inner_text()
    page.screenshot(path=shots / "02-deals-list.png")

    first_item.locator("button", has_text="Done").click()
    expect(answer).to_contain_text("Done:")
    expect(answer.locator(".dm-heading", has_text=re.escape(title))).to_have_count(0)
    page.screenshot(path=shots / "03-done-updates-in-place.png")

    page.fill("#say", "/log")
    page.press("#say", "Enter")
    form = latest(dm).locator("form.dm-form")
    expect(form).to_be_visible()
    form.locator("select[name=deal]").select_option(index=1)
    form.locator("textarea[name=notes]").fill("Walked Sarah through pricing <b>& terms</b>")
    form.locator("select[name=outcome]").select_option("Connected")
    page.screenshot(path=shots / "04-log-form.png")
    form.locator("button[type=submit]").click()
    expect(latest(dm)).to_contain_text("Logged a call on")
    expect(latest(dm)).to_contain_text("<b>& terms</b>")  # shown as typed, not as markup
    page.screenshot(path=shots / "05-call-logged.png")

    page.click("summary")
    page.fill("#lead-name", "Ada Quist")
    page.fill("#lead-email", "ada.quist@quorvane.example")
    page.fill("#lead-company", LEAD_COMPANY)
    page.select_option("#lead-territory", "US-East")
    page.check("#lead-demo")
    page.click("#lead-form button[type=submit]")
    expect(channel).to_contain_text(LEAD_COMPANY)
    expect(latest(channel)).to_contain_text("Accept")
    page.screenshot(path=shots / "06-hot-lead-alert.png")

    page.click("[data-advance='15']")
    expect(channel).to_contain_text("has waited 15 min without a first touch")
    alert = channel.locator("li.entry", has_text="Hot lead").first
    expect(alert).to_contain_text("Response time breached")  # the alert was edited in place
    expect(page.locator("#clock-now")).to_contain_text("15:1")
    page.screenshot(path=shots / "07-breach-in-channel.png")

    page.goto(f"{base}/dashboard")
    breaches = page.locator("#panel-breaches")
    expect(breaches).to_contain_text(LEAD_COMPANY)
    expect(page.locator("#panel-pipeline svg")).to_have_count(1)
    expect(page.locator("#panel-calibration svg")).to_have_count(1)
    roi = page.locator("#panel-roi")
    expect(roi).not_to_contain_text("Not computed yet")
    done_today = roi.locator("tr[data-measure=actions] td.num")
    expect(done_today).to_have_text(["1", "0"])  # the Done pressed above, none the week before
    expect(roi.locator("svg")).to_contain_text("none touched · 1 lead")  # the breached lead
    page.screenshot(path=shots / "08-dashboard.png", full_page=True)
