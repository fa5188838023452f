"""The correction editor's keyboard in a real browser (Chromium driven by Playwright), on a
story with a hand-written transcript and a server without its worker (no model is loaded):
Alt with a letter that types a letter on the volunteer's keyboard types it, and splits
nothing.

Uses the Chromium fixtures of test_browser.py (skipped without Chromium except under CI=true).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from storyatlas.archive import Archive, Viewer, accounts
from storyatlas.settings import Settings
from storyatlas.web.app import create_app
from tests.conftest import add_story
from tests.web.test_browser import (  # noqa: F401
    PASSWORD,
    Problems,
    _context,
    browser,
    chromium_path,
    playwright_,
    served,
)

LINES = [(0.0, 4.0, "We pumped the cellar dry."), (4.0, 8.0, "Then the river came back.")]


@pytest.fixture(scope="module")
def quiet_server(tmp_path_factory, chromium_path: str, model_cache, known_words):  # noqa: F811 (the fixture of test_browser.py)
    """The app served by uvicorn without its worker, a volunteer, and a story to correct."""
    folder = tmp_path_factory.mktemp("workbench")
    settings = Settings(archive=folder / "archive", cache=model_cache, model="tiny.en")
    with Archive(settings.database) as archive:
        accounts.add_user(archive, "Vera", PASSWORD, [("volunteer", None)], Viewer.keeper())
        story = add_story(archive, "The flood", "en", LINES)
    with served(create_app(settings, worker=False)) as base:
        yield base, story


@pytest.mark.slow
def test_alt_with_a_letter_that_types_one_does_not_split(browser, quiet_server):  # noqa: F811
    base, story = quiet_server
    problems = Problems()
    context = _context(browser, base, problems)
    page = context.new_page()
    page.goto(f"/login?next=/stories/{story}/edit")
    page.fill("input[name=name]", "Vera")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/stories/{story}/edit")
    areas = page.locator("#segments .seg-text")
    first = areas.nth(0)
    first.click()
    first.evaluate("(a) => a.setSelectionRange(10, 10)")  # "We pumped |the cellar dry."

    # Option+S on a Mac's Polish keyboard types "ś", on its US one "ß": typing, not a split
    for letter in ("ś", "ß"):
        taken = first.evaluate("""(a, key) => !a.dispatchEvent(new KeyboardEvent("keydown", {
            key, code: "KeyS", altKey: true, bubbles: true, cancelable: true}))""", letter)
        assert not taken, f"Alt giving {letter!r} was taken as a shortcut"
    page.wait_for_timeout(500)  # a split would have been sent by now
    expect(areas).to_have_count(2)

    first.press("Alt+s")  # where Alt+S gives "s", it is the shortcut
    expect(page.locator("#editor-status")).to_contain_text("Split")
    expect(areas).to_have_count(3)
    context.close()
