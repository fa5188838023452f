"""The correction editor in a real browser (Chromium driven by Playwright, the app served
by uvicorn with its worker, the sample story transcribed by tiny.en): a volunteer plays
the story, corrects "We pumped the settler" into "the cellar" while it plays, splits the
segment and merges it back, names a speaker, and the public story page and search show
it; two volunteers editing the same segment: the second is told who saved first, and
keeps their text.

Uses the fixtures of test_browser.py (Chromium, skipped without it except under CI=true;
the live server; CSP and page-error watching).
"""

from __future__ import annotations

import re

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from storyatlas.archive import Archive, Viewer, accounts
from tests.conftest import story_file
from tests.web.test_browser import (  # noqa: F401 (fixtures)
    PASSWORD,
    SPOKEN,
    Problems,
    _context,
    _wait_processed,
    browser,
    chromium_path,
    page,
    playwright_,
    problems,
    server,
    shots,
    web_settings,
)

VOLUNTEERS = ("Vera", "Viktor")
SETTLER = re.compile(r"\bsettler\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def river(server: str, web_settings) -> int:
    """The sample story ("The night the river came"), published and transcribed, and two
    volunteers to correct it."""
    with Archive(web_settings.database) as archive:
        for name in VOLUNTEERS:
            accounts.add_user(archive, name, PASSWORD, [("volunteer", None)], Viewer.keeper())
    with open(story_file("en"), "rb") as f:
        sent = httpx.post(f"{server}/api/stories", files={"files": ("river.ogg", f, "audio/ogg")},
                          data={"title": "The night the river came", "storyteller": "Anna",
                                "place": "Zgorzelec, Lower Silesia, PL"}, timeout=60).json()
    story_id = sent["stories"][0]["story_id"]
    with Archive(web_settings.database) as archive:  # the moderator's part, done by hand
        archive.review(story_id, True, Viewer.keeper())
    assert _wait_processed(server, story_id)["state"] == "done"
    return story_id


def _sign_in(page: Page, name: str, then: str) -> None:
    page.goto(f"/login?next={then}")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**{then}")


def _segment_with(page: Page, pattern: str) -> str:
    """The id of the first segment whose text field matches ``pattern`` (a JS regex)."""
    found = page.evaluate("""(pattern) => {
        const area = Array.from(document.querySelectorAll("#segments .seg-text"))
            .find((a) => new RegExp(pattern, "i").test(a.value));
        return area ? area.closest(".seg").dataset.id : null; }""", pattern)
    assert found, f"no segment says /{pattern}/"
    return found


def _player(page: Page, what: str):
    return page.evaluate(f"() => document.getElementById('player').{what}")


@pytest.mark.slow
def test_a_volunteer_corrects_splits_merges_and_names_a_speaker(page: Page, server, river, problems, shots):
    # the story page offers the editor to a volunteer
    _sign_in(page, "Vera", f"/stories/{river}")
    page.get_by_role("link", name="Correct this transcript").click()
    page.wait_for_url(f"**/stories/{river}/edit")
    expect(page.locator("h1")).to_contain_text("The night the river came")
    expect(page.locator("section.shortcuts")).to_be_visible()
    expect(page.locator("section.shortcuts")).to_contain_text("Split the segment at the cursor")
    segments = page.locator("#segments > li.seg")
    count = segments.count()
    assert count >= 2

    seg = _segment_with(page, SPOKEN.pattern)
    item = page.locator(f"#seg-{seg}")
    area = item.locator("textarea.seg-text")
    heard = area.input_value()
    corrected = SETTLER.sub("cellar", heard) if SETTLER.search(heard) else \
        re.sub(r"(?i)\bpump\w*\s+\w+\s+\w+", "pumped the cellar", heard, count=1)
    assert corrected != heard and "cellar" in corrected, heard
    print(f"\nthe machine heard: {heard!r}")

    # its time plays the recording from there, and the segment playing is highlighted
    start = float(item.get_attribute("data-start"))
    item.locator("a.time").click()
    page.wait_for_function(
        "([start]) => { const p = document.getElementById('player');"
        " return !p.paused && p.currentTime >= start && p.currentTime < start + 3; }", arg=[start], timeout=15_000)
    expect(item).to_have_class(re.compile(r"\bcurrent\b"))
    # corrected while it plays; Ctrl+Enter saves, with the revision it started from
    area.fill(corrected)
    area.press("Control+Enter")
    expect(item.locator(".seg-status")).to_have_text("Saved: revision 1.")
    expect(page.locator("#editor-status")).to_have_text("Saved: revision 1.")
    assert not _player(page, "paused")

    # the keyboard drives the player from inside the text
    area.press("Control+Space")
    page.wait_for_function("() => document.getElementById('player').paused")
    at = _player(page, "currentTime")
    area.press("Control+ArrowLeft")
    assert abs(_player(page, "currentTime") - max(0.0, at - 3)) < 0.3
    area.press("Control+ArrowRight")
    assert abs(_player(page, "currentTime") - at) < 0.3
    area.press("Control+ArrowDown")
    assert _player(page, "playbackRate") == 0.75
    area.press("Control+ArrowDown")
    assert _player(page, "playbackRate") == 0.5
    expect(page.locator("#rate")).to_have_text("0.5×")
    area.press("Control+ArrowUp")
    assert _player(page, "playbackRate") == 0.75
    area.press("Escape")
    page.wait_for_function("() => !document.getElementById('player').paused")
    area.press("Escape")
    page.wait_for_function("() => document.getElementById('player').paused")

    # Alt+S splits at the cursor (after "cellar"), Alt+M merges it back
    cut = corrected.index("cellar") + len("cellar")
    area.evaluate("(a, cut) => { a.focus(); a.setSelectionRange(cut, cut); }", cut)
    area.press("Alt+s")
    expect(segments).to_have_count(count + 1)
    expect(page.locator("#editor-status")).to_have_text("Split: revision 2.")
    first = page.locator(f"#seg-{seg} textarea")
    expect(first).to_have_value(corrected[:cut])
    second = page.locator(f"#seg-{seg} + li textarea")
    expect(second).to_have_value(corrected[cut:].strip())
    expect(second).to_be_focused()
    first.focus()
    first.press("Alt+m")
    expect(segments).to_have_count(count)
    expect(page.locator("#editor-status")).to_have_text("Merged: revision 3.")
    expect(page.locator(f"#seg-{seg} textarea")).to_have_value(corrected)
    expect(page.locator(f"#seg-{seg} textarea")).to_be_focused()

    # who speaks: a label for the segment, then a name and a role for the label
    page.locator(f"#speaker-{seg}").select_option("S1")
    expect(page.locator("#editor-status")).to_have_text("Saved: revision 4.")
    page.select_option("#sp-label", "S1")
    page.fill("#sp-name", "Anna")
    page.select_option("#sp-role", "storyteller")
    page.click("#speaker-form button[type=submit]")
    expect(page.locator("#editor-status")).to_have_text("Speaker S1 named: revision 5.")
    expect(page.locator(f"#speaker-{seg} option:checked")).to_have_text("S1 · Anna (Storyteller)")

    # find and replace, with a count first: there and back
    page.fill("#rp-find", "CELLAR")
    page.uncheck("#rp-case")
    expect(page.locator("#rp-count")).to_have_text("Found: 1, in segments: 1")
    page.fill("#rp-with", "basement")
    page.click("#replace-form button[type=submit]")
    expect(page.locator("#editor-status")).to_have_text("Replaced in segments: 1. Revision 6.")
    expect(page.locator(f"#seg-{seg} textarea")).to_have_value(re.compile(r"\bbasement\b"))
    expect(page.locator("#rp-count")).to_have_text("Found: 0, in segments: 0")

    # the revisions: what revision 1 changed, and back to revision 5 (before the replacement)
    revisions = page.locator("#revisions > li")
    expect(revisions).to_have_count(7)
    expect(revisions.first).to_contain_text("Revision 6 · Vera")
    expect(revisions.last).to_contain_text("Revision 0 · machine transcript")
    page.get_by_role("button", name="Compare with revision 0").click()
    changes = page.locator("#compare table.changes")
    expect(changes.locator("caption")).to_have_text("Changes from revision 0 to revision 1")
    expect(changes.locator("tbody tr")).to_have_count(1)
    expect(changes.locator("td.before del")).to_have_text(heard)
    expect(changes.locator("td.after ins")).to_have_text(corrected)
    page.get_by_role("button", name="Restore revision 5").click()
    expect(page.locator("#editor-status")).to_have_text("Revision 5 restored: revision 7.")
    expect(page.locator(f"#seg-{seg} textarea")).to_have_value(corrected)
    expect(page.locator(f"#speaker-{seg} option:checked")).to_have_text("S1 · Anna (Storyteller)")

    page.screenshot(path=shots / "editor.png", full_page=True)
    report = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in Axe().run(page).response["violations"]]
    assert not report, report

    # the public page and search follow, for anyone
    visitor = problems.watch(_context(page.context.browser, server, problems).new_page())
    visitor.goto(f"/stories/{river}")
    line = visitor.locator("ol#transcript li.line").filter(has_text="cellar")
    expect(line).to_have_count(1)
    expect(line.locator(".orig")).to_have_text(corrected)
    expect(line.locator(".speaker")).to_have_text("Anna:")
    expect(visitor.get_by_role("link", name="Correct this transcript")).to_have_count(0)
    visitor.goto("/search?q=cellar")
    found = visitor.locator(f"main a.moment[href^='/stories/{river}?t=']")
    expect(found).to_have_count(1)
    expect(found.locator("mark")).to_have_text(re.compile("cellar", re.IGNORECASE))
    if SETTLER.search(heard):  # the machine's word is gone from the index
        visitor.goto("/search?q=settler")
        expect(visitor.locator(f"main a[href^='/stories/{river}']")).to_have_count(0)
    visitor.context.close()
    problems.check()


@pytest.mark.slow
def test_two_volunteers_edit_the_same_segment_and_the_second_is_told(browser, server, river, problems, shots):
    pages = {}
    for name in VOLUNTEERS:
        pages[name] = problems.watch(_context(browser, server, problems).new_page())
        _sign_in(pages[name], name, f"/stories/{river}/edit")
    vera, viktor = pages["Vera"], pages["Viktor"]
    seg = _segment_with(vera, "cellar|settler|pump")
    theirs, mine = "We pumped the cellar for three whole days.", "We pumped out the cellar for three days."

    vera.fill(f"#text-{seg}", theirs)
    vera.press(f"#text-{seg}", "Enter")
    expect(vera.locator("#editor-status")).to_have_text(re.compile(r"^Saved: revision \d+\.$"))
    saved = int(re.search(r"\d+", vera.locator("#editor-status").inner_text()).group(0))

    # Viktor started before Vera saved: his save (on leaving the field) is refused, and says so
    viktor.fill(f"#text-{seg}", mine)
    viktor.locator(f"#text-{seg}").blur()
    conflict = viktor.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text(re.compile(
        rf"Vera saved revision {saved} at \d{{1,2}}:\d\d(\s?[AP]M)? while you were editing"))
    expect(viktor.locator("#conflict-text")).to_have_value(mine)
    expect(viktor.locator(f"#text-{seg}")).to_have_value(mine)  # his text stays where he typed it
    expect(viktor.locator(f"#seg-{seg} .seg-status")).to_contain_text("Not saved")
    viktor.screenshot(path=shots / "editor-conflict.png", full_page=True)
    assert httpx.get(f"{server}/api/stories/{river}/transcript", timeout=10).json()["revision"] == saved

    # reloading shows Vera's text, and still keeps his
    viktor.click("#conflict-reload")
    expect(viktor.locator(f"#text-{seg}")).to_have_value(theirs)
    expect(viktor.locator("#conflict-text")).to_have_value(mine)
    expect(viktor.locator("#editor-status")).to_have_text(f"Reloaded: revision {saved}. Your text is still kept above.")
    # from there his save goes through
    viktor.fill(f"#text-{seg}", mine)
    viktor.press(f"#text-{seg}", "Control+Enter")
    expect(viktor.locator("#editor-status")).to_have_text(f"Saved: revision {saved + 1}.")
    texts = [s["text"] for s in httpx.get(f"{server}/api/stories/{river}/transcript", timeout=10).json()["segments"]]
    assert mine in texts and theirs not in texts
    for p in pages.values():
        p.context.close()
    problems.check()


@pytest.mark.slow
def test_a_moderator_indexes_a_passage_and_visitors_find_it(page: Page, server, river, problems, shots):
    from tests.web.test_browser import MODERATOR

    _sign_in(page, MODERATOR, f"/moderate/stories/{river}")
    page.fill("#i-at", "0:09")
    page.fill("#i-title", "Neighbourly help in the flood")
    page.fill("#i-synopsis", "How the street pumped out its cellars together.")
    page.fill("#i-keywords", "sandbags, pumps")
    page.click("form.index-point button[value=index]")
    expect(page.locator("ol.index-points")).to_contain_text("Neighbourly help in the flood")
    page.screenshot(path=shots / "moderate-index-point.png", full_page=True)

    visitor = problems.watch(_context(page.context.browser, server, problems).new_page())
    visitor.goto(f"/stories/{river}")
    contents = visitor.locator("nav.index-points")
    expect(contents).to_contain_text("Neighbourly help in the flood")
    contents.locator("a.time").first.click()  # the contents jump to the passage
    visitor.wait_for_function("() => document.getElementById('player').currentTime >= 8.5")
    visitor.goto("/search?q=neighbourly")
    expect(visitor.locator("main")).to_contain_text("The night the river came")
    expect(visitor.locator("main mark").first).to_have_text(re.compile("neighbourly", re.IGNORECASE))
