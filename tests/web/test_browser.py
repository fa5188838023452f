"""The web archive in a real browser: Debian's Chromium driven by Playwright, against the
app served by uvicorn with its worker thread, a temp archive and the tiny.en model.

Recording uses Chromium's fake microphone fed from the committed English story, so the
whole path (MediaRecorder, resumable upload, processing, a moderator's review, story
page) runs for real.
Screenshots of the main pages go to $STORYATLAS_TEST_OUTPUT (else a temp folder).
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect, sync_playwright

from storyatlas.archive import Archive, Viewer, accounts
from storyatlas.settings import Settings
from storyatlas.web.app import create_app
from tests.conftest import DATA, add_story, cut_short, ffmpeg, story_file

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required",
]
# "We pumped the cellar ...": tiny.en may hear "the settler" (or "pump"), never without "pump"
PHRASE = "pumped"
SPOKEN = re.compile(r"pump|cellar", re.IGNORECASE)  # the third sentence's transcript
# people made by the test: a moderator of the community the recording comes from, and an admin
MODERATOR, ADMIN = "Mo", "Ada"
PASSWORD = "browser-test-password"
COMMUNITY_PLACE = "Zgorzelec, Lower Silesia, PL"
GERMAN = json.loads((Path(__file__).parents[2] / "storyatlas/web/locales/de.json").read_text(encoding="utf-8"))

# Content-Security-Policy violations, seen from inside the page (the event) and in the console
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} on ${e.documentURI}`);
}, true);
document.addEventListener("playing", (e) => {
  if (window.__firstPlay === undefined) window.__firstPlay = e.target.currentTime;
}, true);
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        reason = "Debian's chromium is not installed: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI must run the browser tests)", pytrace=False)
        pytest.skip(reason)
    return str(CHROMIUM)


@pytest.fixture(scope="module")
def web_settings(tmp_path_factory, model_cache: Path, known_words) -> Settings:
    settings = Settings(archive=tmp_path_factory.mktemp("web") / "archive", cache=model_cache, model="tiny.en")
    with Archive(settings.database) as archive:
        accounts.add_user(archive, MODERATOR, PASSWORD, [("moderator", "Zgorzelec")], Viewer.keeper())
        accounts.add_user(archive, ADMIN, PASSWORD, [("admin", None)], Viewer.keeper())
    return settings


@pytest.fixture(scope="module")
def server(web_settings: Settings, chromium_path: str):
    """The app served for real by uvicorn, with its worker thread, on a free port."""
    with served(create_app(web_settings, worker=True)) as base:
        yield base


@contextmanager
def served(app) -> Iterator[str]:
    """``app`` served for real by uvicorn on a free port, in a thread: its address, once
    its home page answers."""
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning",
                                        lifespan="on"))
    thread = threading.Thread(target=srv.run, name="uvicorn", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{srv.config.port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if srv.started and httpx.get(base + "/", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            srv.should_exit = True
            pytest.fail("the web server did not start within 30 s")
        time.sleep(0.1)
    try:
        yield base
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def shots(tmp_path_factory, request) -> Path:
    """Where the screenshots go; the path is printed even when output is captured."""
    given = os.environ.get("STORYATLAS_TEST_OUTPUT")
    folder = Path(given) / "browser-screenshots" if given else tmp_path_factory.mktemp("browser-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else _nothing():
        print(f"\nbrowser screenshots: {folder}")
    return folder


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture(scope="module")
def playwright_():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_, chromium_path: str):
    b = playwright_.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


class Problems(list):
    """CSP violations and uncaught errors of the pages a test visited."""

    def watch(self, page: Page) -> Page:
        page.on("pageerror", lambda err: self.append(f"page error on {page.url}: {err}"))
        page.on("console", self._console(page))
        return page

    def _console(self, page: Page):
        def seen(msg) -> None:
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
                self.append(f"console on {page.url}: {msg.text}")
        return seen

    def check(self) -> None:
        assert not self, "problems in the browser:\n" + "\n".join(self)


def _context(browser, base: str, problems: Problems, **options):
    context = browser.new_context(base_url=base, locale="en-GB", **options)
    context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP violation: {text}"))
    context.add_init_script(WATCH_CSP)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def page(browser, server: str, problems: Problems):
    context = _context(browser, server, problems)
    yield problems.watch(context.new_page())
    context.close()


# the story the recording test made, for the search test (which makes its own when run alone)
made: dict[str, int] = {}


def _story_id(url: str) -> int:
    return int(re.search(r"/stories/(\d+)", url).group(1))


def _wait_processed(base: str, story_id: int, timeout_s: float = 120) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = httpx.get(f"{base}/api/stories/{story_id}", timeout=10).json()["job"]
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(1)
    pytest.fail(f"story {story_id} was not processed within {timeout_s} s")


@pytest.mark.slow
def test_record_with_the_microphone_then_jump_in_the_transcript(
        browser_type_launch, server, problems, shots, tmp_path, timings):
    wav = tmp_path / "microphone.wav"
    ffmpeg("-i", str(story_file("en")), "-ar", "48000", "-ac", "1", "-c:a", "pcm_s16le", str(wav))
    browser = browser_type_launch(args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
    ])
    context = _context(browser, server, problems, permissions=["microphone"])
    page = problems.watch(context.new_page())

    page.goto("/record")
    expect(page.locator("#recorder")).to_be_visible()
    expect(page.locator("#nojs")).to_be_hidden()
    page.screenshot(path=shots / "record.png", full_page=True)
    page.click("#rec-start")
    expect(page.locator("#rec-stop")).to_be_enabled()
    # the level meter moves: the fake microphone carries the story
    page.wait_for_function("() => document.getElementById('rec-level').value > 0.05", timeout=10_000)
    # the story is 17.4 s; the fake device loops it
    page.wait_for_function("() => document.getElementById('rec-time').textContent >= '00:18'", timeout=40_000)
    page.click("#rec-stop")
    playback = page.locator("audio#rec-playback")
    expect(playback).to_be_visible()
    expect(playback).to_have_attribute("src", re.compile(r"^blob:"))

    expect(page.locator("#record-form")).to_be_visible()
    page.fill("#f-title", "Recorded in Chromium")
    page.fill("#f-place", COMMUNITY_PLACE)
    page.click("#rec-send")
    # sent by the public: processed, then it waits for a moderator
    waiting = page.locator("#rec-waiting")
    expect(waiting).to_be_visible(timeout=120_000)
    story_id = int(waiting.get_attribute("data-story"))
    assert httpx.get(f"{server}/api/stories/{story_id}", timeout=10).status_code == 404

    moderator = problems.watch(_context(browser, server, problems).new_page())
    moderator.goto("/moderate")  # leads to the sign-in page
    moderator.fill("input[name=name]", MODERATOR)
    moderator.fill("input[name=password]", PASSWORD)
    moderator.click("main form button[type=submit]")
    moderator.wait_for_url("**/moderate/review")
    section = moderator.locator(f"#review-{story_id}")
    expect(section.locator("h2")).to_have_text("Recorded in Chromium")
    expect(section.locator("audio")).to_have_attribute("src", f"/media/{story_id}/listen.webm")
    moderator.screenshot(path=shots / "moderate-review.png", full_page=True)
    section.locator("button[value=publish]").click()
    expect(moderator.locator("p.saved")).to_have_text("Published: Recorded in Chromium.")
    job = httpx.get(f"{server}/api/stories/{story_id}", timeout=10).json()["job"]
    assert job["state"] == "done", job
    made["en"] = story_id

    page.goto(f"/stories/{story_id}")
    expect(page.locator("h1")).to_have_text("Recorded in Chromium")
    # "We pumped the cellar ...": the microphone's copy may come back as "the settler"
    line = page.locator("ol#transcript li.line").filter(has_text=SPOKEN).first
    expect(line).to_be_visible()
    page.screenshot(path=shots / "story.png", full_page=True)
    start = float(line.get_attribute("data-start"))
    # the recording started with the story, so the line is near where it is spoken
    assert abs(start - timings["en"][2]["start"]) < 2.0, start
    line.locator(".orig").click()
    page.wait_for_function(
        "([start]) => { const p = document.getElementById('player');"
        " return !p.seeking && p.currentTime > 0 && Math.abs(p.currentTime - start) <= 0.5; }",
        arg=[start], timeout=10_000)
    expect(line).to_have_class(re.compile(r"\bcurrent\b"))
    assert page.url.endswith(f"?t={int(start)}")
    problems.check()
    context.close()


@pytest.fixture
def browser_type_launch(playwright_, chromium_path: str):
    """Launches a browser of its own (for the fake microphone) and closes it afterwards."""
    launched = []

    def launch(args: list[str]):
        b = playwright_.chromium.launch(executable_path=chromium_path, headless=True, args=args)
        launched.append(b)
        return b

    yield launch
    for b in launched:
        b.close()


@pytest.mark.slow
def test_search_then_play_the_moment(page: Page, server, web_settings, problems, shots, timings):
    if "en" not in made:  # run on its own: put the English story in through the API
        with open(story_file("en"), "rb") as f:
            sent = httpx.post(f"{server}/api/stories", files={"files": ("story_en.ogg", f, "audio/ogg")},
                              data={"title": "River story"}, timeout=60).json()
        made["en"] = sent["stories"][0]["story_id"]
        with Archive(web_settings.database) as archive:  # the moderator's part, done by hand
            archive.review(made["en"], True, Viewer.keeper())
        assert _wait_processed(server, made["en"])["state"] == "done"
    expected = timings["en"][2]["start"]  # "We pumped the cellar ..."

    page.goto("/")
    page.screenshot(path=shots / "home.png", full_page=True)
    page.fill("#q", PHRASE)
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    moment = page.locator("a.moment").first
    expect(moment).to_be_visible()
    expect(moment.locator("mark").first).to_be_visible()
    page.screenshot(path=shots / "search.png", full_page=True)
    t = float(parse_qs(urlsplit(moment.get_attribute("href")).query)["t"][0])
    assert abs(t - expected) <= 1.5, t

    moment.click()
    page.wait_for_url(re.compile(r"/stories/\d+\?t="))
    page.wait_for_function(
        "() => { const p = document.getElementById('player');"
        " return window.__firstPlay !== undefined && !p.paused && p.currentTime > 0; }", timeout=15_000)
    first_play = page.evaluate("() => window.__firstPlay")
    assert abs(first_play - expected) <= 1.5, f"playback started at {first_play:.2f} s, not near {expected} s"
    # and it goes on playing from there
    page.wait_for_function(f"() => document.getElementById('player').currentTime > {first_play + 0.5}", timeout=10_000)
    expect(page.locator("ol#transcript li.line.current")).to_contain_text(SPOKEN)
    problems.check()


def test_an_upload_is_refused_in_the_readers_language(page: Page, server, problems, tmp_path):
    """What the server says about a file, a file cut short and a connection lost on the
    way, each in German."""
    from storyatlas.errors import said
    from storyatlas.web.i18n import Translator

    notes = tmp_path / "notizen.mp3"
    notes.write_text("Keine Aufnahme, nur Notizen mit einem irreführenden Namen.\n" * 20)
    german = Translator("de")
    page.goto("/upload?lang=de")
    page.set_input_files("#f-files", [str(notes)])
    page.click("#upload-form button[type=submit]")
    refused = page.locator("ul#upload-progress li[data-state=refused] .state")
    expect(refused).to_contain_text(german.said(said(
        "not a recording that can be read (not audio or video, or damaged beyond repair); "
        "check that it is the file you meant")))

    page.set_input_files("#f-files", [str(cut_short(tmp_path))])  # taken in, with a note
    page.click("#upload-form button[type=submit]")
    note = page.locator("ul#upload-progress li .note")
    expect(note).to_contain_text("Laut der Datei dauert sie 01:00, aber")  # a sentence of its own
    expect(page.locator("ul#upload-progress li a.teller-link")).to_have_count(1)

    page.route("**/api/stories", lambda route: route.abort())  # the connection drops
    page.set_input_files("#f-files", [str(notes)])
    page.click("#upload-form button[type=submit]")
    expect(page.locator("ul#upload-progress li .state").last).to_contain_text(german("upload.network"))
    problems.check()


@pytest.mark.slow
def test_upload_three_files_at_once(page: Page, server, problems, shots, media_dir):
    files = [media_dir / "story.m4a", media_dir / "story.mp3", DATA / "story_fr.ogg"]
    page.goto("/upload")
    page.screenshot(path=shots / "upload.png", full_page=True)
    page.set_input_files("#f-files", [str(f) for f in files])
    page.fill("#f-collection", "Flood memories")
    page.click("#upload-form button[type=submit]")
    items = page.locator("ul#upload-progress li")
    expect(items).to_have_count(3)
    for f in files:
        expect(items.filter(has_text=f.name)).to_have_count(1)
    # every file reaches an end: done (or refused / failed, which fails the test below)
    page.wait_for_function(
        "() => { const li = document.querySelectorAll('#upload-progress li');"
        " return li.length === 3 && Array.from(li).every((x) => x.dataset.state); }", timeout=180_000)
    states = {items.nth(i).locator(".name").inner_text(): (items.nth(i).get_attribute("data-state"),
                                                          items.nth(i).locator(".state").inner_text())
              for i in range(3)}
    assert all(state == "done" for state, _ in states.values()), states
    expect(page.locator("ul#upload-progress li[data-state=done]")).to_have_count(3)
    # from the public: each waits for a moderator, so there is no page to open yet
    expect(page.locator("ul#upload-progress li[data-review=waiting]")).to_have_count(3)
    expect(page.locator("ul#upload-progress li a.open:not([hidden])")).to_have_count(0)
    page.screenshot(path=shots / "upload-done.png", full_page=True)
    problems.check()


def test_switch_the_interface_to_german(page: Page, problems, shots):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.select_option("select#lang-select", "de")  # submits on change
    page.wait_for_url(re.compile(r"[?&]lang=de"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    nav = page.locator("header nav a[href='/search']")
    expect(nav).to_have_text(GERMAN["nav.search"])
    page.screenshot(path=shots / "home-de.png", full_page=True)
    # a story's line says place · language · date, with no dangling separator when one is missing
    for details in page.locator("ul.stories .muted").all_inner_texts():
        assert details.strip() and not details.strip().startswith("·"), details
    # the choice is remembered on the next page
    page.click("header nav a[href='/upload']")
    page.wait_for_url("**/upload")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.locator("h1")).to_have_text(GERMAN["nav.upload"])
    problems.check()


@pytest.mark.slow
def test_the_pages_pass_an_accessibility_audit(page: Page, server, web_settings, problems):
    """axe-core (WCAG 2 A/AA and best practices) finds nothing on the main pages, the
    moderator's included."""
    if "en" not in made:
        with open(story_file("en"), "rb") as f:
            sent = httpx.post(f"{server}/api/stories", files={"files": ("story_en.ogg", f, "audio/ogg")},
                              data={"title": "River story"}, timeout=60).json()
        made["en"] = sent["stories"][0]["story_id"]
        with Archive(web_settings.database) as archive:
            archive.review(made["en"], True, Viewer.keeper())
        _wait_processed(server, made["en"])
    with open(story_file("fr"), "rb") as f:  # something for the moderator to review
        httpx.post(f"{server}/api/stories", files={"files": ("story_fr.ogg", f, "audio/ogg")},
                   data={"title": "La crue", "place": COMMUNITY_PLACE}, timeout=60)
    with Archive(web_settings.database) as archive:  # a story that switches languages, a line to listen to
        mixed = add_story(archive, "Zwei Sprachen", "de", [
            (0.0, 4.0, "Im Frühling kam das Wasser.", "In spring the water came.", "de"),
            (4.5, 9.0, "We pumped the cellar for three days.", None, "en"),
            (9.5, 14.0, "Der Keller war voll.", "The cellar was full.", "de", True)],
            community="Görlitz", region="Saxony", country="DE")  # a place on the atlas's maps
    axe = Axe()
    found = {}
    paths = ["/", f"/search?q={PHRASE}", "/search?q=zzzz", f"/stories/{made['en']}", f"/stories/{mixed}",
             "/upload", "/record", "/themes", "/themes/floods", "/compare?a=PL&b=DE", "/atlas",
             "/atlas?community=Zgorzelec&country=PL", "/moderate"]
    for path in paths:
        page.goto(path)
        found[path] = axe.run(page).response["violations"]
    page.fill("input[name=name]", MODERATOR)  # "/moderate" led to the sign-in page
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/moderate/review")
    expect(page.locator("section.review h2").filter(has_text="La crue")).to_have_count(1)
    for path in ["/moderate/review", "/moderate/themes", "/moderate/themes/floods", "/moderate/suggestions"]:
        assert page.goto(path).status == 200, path
        found[path] = axe.run(page).response["violations"]
    page.goto("/login")  # the admins' pages, signed in as an admin
    page.fill("input[name=name]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{server}/")
    for path in ["/admin/users", "/admin/audit"]:
        assert page.goto(path).status == 200, path
        found[path] = axe.run(page).response["violations"]
    report = {path: [(v["impact"], v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
              for path, violations in found.items() if violations}
    assert not report, report
    problems.check()


def test_a_place_on_the_map_opens_its_stories_from_the_keyboard(page: Page, web_settings, problems):
    """The atlas's circle for a community is a link: focused and followed with the
    keyboard, it lists the stories told there."""
    with Archive(web_settings.database) as archive:
        story_id = add_story(archive, "Die Flut in Linz", "de", [(0.0, 3.0, "Das Wasser kam.", "The water came.")],
                             community="Linz", region="Upper Austria", country="AT")
    page.goto("/atlas")
    place = page.locator("svg.atlas-map a.place[aria-label^='Linz, Austria: stories:']")
    expect(place).to_have_count(1)
    place.focus()
    expect(place).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/atlas\?.*community=Linz"))
    expect(page.locator("#stories-h")).to_have_text("Stories from Linz, Austria")
    expect(page.locator(f"#stories a[href='/stories/{story_id}']")).to_have_text("Die Flut in Linz")
    problems.check()


def _loudness(pcm, start_s: float, end_s: float, rate: int = 16_000) -> float:
    """RMS of 16-bit samples from ``start_s`` to ``end_s``, in dBFS."""
    import numpy as np

    part = pcm[int(start_s * rate):int(end_s * rate)].astype(np.float64) / 32768.0
    assert part.size > rate // 10, f"only {part.size} samples between {start_s:.2f} and {end_s:.2f} s"
    return 20 * np.log10(max(float(np.sqrt(np.mean(part ** 2))), 1e-10))


def _listening_copy(context, story_id: int, folder: Path, name: str):
    """The story's listening copy as the context's browser gets it, as 16 kHz mono samples."""
    import subprocess

    import numpy as np

    from storyatlas.ingest.audio import ffmpeg_exe

    answer = context.request.get(f"/media/{story_id}/listen.webm")
    assert answer.status == 200, answer.status
    webm, raw = folder / f"{name}.webm", folder / f"{name}.raw"
    webm.write_bytes(answer.body())
    subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(webm),
                    "-ac", "1", "-ar", "16000", "-f", "s16le", "-c:a", "pcm_s16le", str(raw)], check=True)
    return np.frombuffer(raw.read_bytes(), dtype="<i2")


def _sentence(words: list[dict]) -> tuple[int, int]:
    """The indexes of the first and last word of "We pumped the cellar for three days and
    nights." as tiny.en heard it in the recording."""
    def bare(w: dict) -> str:
        return re.sub(r"[^\w]", "", w["word"]).lower()

    anchor = next(i for i, w in enumerate(words) if SPOKEN.search(w["word"]))
    first = anchor - 1 if anchor and bare(words[anchor - 1]) == "we" else anchor
    last = anchor
    while last + 1 < len(words) and last - anchor < 10 and not words[last]["word"].rstrip().endswith("."):
        last += 1
        if bare(words[last]).startswith("night"):
            break
    return first, last


@pytest.mark.slow
def test_a_resident_records_a_moderator_redacts_and_publishes_then_the_resident_withdraws(
        browser_type_launch, server, web_settings, problems, shots, tmp_path):
    """The whole life of a story from the public: a resident records it and keeps the
    private link; a moderator of its community redacts a spoken passage and publishes it;
    a visitor hears silence there; the resident withdraws it by the link, and it is gone
    from every page."""
    # no word of the story in the title: a redacted word must be the passage's own
    title = f"Told at the workshop, recorded {int(time.time() * 1000) % 10**8}"
    zofia = "Zofia"  # a moderator of Zgorzelec, where the recording comes from
    with Archive(web_settings.database) as archive:
        accounts.add_user(archive, zofia, PASSWORD, [("moderator", "Zgorzelec")], by=Viewer.keeper())
    wav = tmp_path / "microphone.wav"
    # the fake microphone loops its file: a minute of silence after the story keeps a stop
    # clicked late on a busy machine from recording it again (once, the story and most of
    # it a second time), which left no word that only the passage to redact says
    ffmpeg("-i", str(story_file("en")), "-af", "apad=pad_dur=60", "-ar", "48000", "-ac", "1",
           "-c:a", "pcm_s16le", str(wav))
    browser = browser_type_launch(args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
    ])

    # 1. a resident, without an account, records the story and keeps the private link
    resident_context = _context(browser, server, problems, permissions=["microphone"])
    resident = problems.watch(resident_context.new_page())
    resident.goto("/record")
    resident.click("#rec-start")
    expect(resident.locator("#rec-stop")).to_be_enabled()
    resident.wait_for_function("() => document.getElementById('rec-time').textContent >= '00:18'", timeout=40_000)
    resident.click("#rec-stop")
    expect(resident.locator("#record-form")).to_be_visible()
    resident.fill("#f-title", title)
    resident.fill("#f-place", COMMUNITY_PLACE)
    resident.click("#rec-send")
    link = resident.locator("#rec-link")
    expect(link).to_be_visible(timeout=60_000)
    expect(link).to_have_text(re.compile(rf"^{re.escape(server)}/mine/[A-Za-z0-9_-]{{32}}$"))
    mine = link.inner_text()
    waiting = resident.locator("#rec-waiting")
    expect(waiting).to_be_visible(timeout=120_000)  # processed, then it waits for a moderator
    story_id = int(waiting.get_attribute("data-story"))
    resident.screenshot(path=shots / "record-sent-link.png", full_page=True)
    link.click()  # the link opens the teller's page, though nobody else may see the story yet
    resident.wait_for_url(mine)
    expect(resident.locator("h1")).to_contain_text(title)
    expect(resident.locator("#story-state")).to_have_attribute("data-state", "waiting")
    expect(resident.locator("#story-state")).to_contain_text("Waiting for a moderator")
    expect(resident.locator("ol.review-transcript")).to_contain_text(SPOKEN)
    resident.screenshot(path=shots / "mine-waiting.png", full_page=True)

    # 2. a moderator of Zgorzelec redacts the third sentence, then publishes the story
    moderator_context = _context(browser, server, problems)
    moderator = problems.watch(moderator_context.new_page())
    moderator.goto("/login?next=/moderate/review")
    moderator.fill("input[name=name]", zofia)
    moderator.fill("input[name=password]", PASSWORD)
    moderator.click("main form button[type=submit]")
    moderator.wait_for_url("**/moderate/review")
    section = moderator.locator(f"#review-{story_id}")
    expect(section.locator("h2")).to_have_text(title)
    section.get_by_role("link", name="Look after it").click()
    moderator.wait_for_url(f"**/moderate/stories/{story_id}")
    transcript = moderator.locator("ol.review-transcript")
    expect(transcript).to_contain_text(SPOKEN)
    answer = moderator_context.request.get(f"/api/stories/{story_id}?words=1")
    assert answer.status == 200, answer.status
    words = [w for s in answer.json()["segments"] for w in s["words"]]
    first, last = _sentence(words)
    # the range holds the sentence's words and nothing of its neighbours'
    start = max(words[first]["start"] - 0.3, words[first - 1]["end"] if first else 0.0)
    end = min(words[last]["end"] + 0.3, words[last + 1]["start"] if last + 1 < len(words) else 1e9)
    redacted = {re.sub(r"[^\w]", "", w["word"]).lower() for w in words[first:last + 1]}
    kept = {re.sub(r"[^\w]", "", w["word"]).lower() for w in words[:first] + words[last + 1:]}
    # words only the passage had (the title, the resident's own words, stays)
    gone = sorted(w for w in redacted - kept - set(re.findall(r"\w+", title.lower())) if len(w) >= 4)
    # "pumped" (or "cellar", as tiny.en hears it)
    anchor = next((w for w in gone if SPOKEN.search(w)), None)
    assert anchor, f"no word only the redacted passage says: {[w['word'] for w in words]}"
    before = _listening_copy(moderator_context, story_id, tmp_path, "before")
    assert _loudness(before, start + 0.05, end - 0.05) > -40, "the passage to redact holds no speech"
    moderator.fill("#r-start", f"{start:.2f}")
    moderator.fill("#r-end", f"{end:.2f}")
    moderator.click("form.redact button[value=redact]")
    expect(moderator.locator("p.saved")).to_contain_text(f"Redacted {start:.2f} to {end:.2f}")
    listed = moderator.locator("h2:has-text('Redacted passages') + ul li")
    expect(listed).to_have_count(1)
    expect(transcript).not_to_contain_text(SPOKEN)
    expect(transcript).to_contain_text("[…]")
    moderator.screenshot(path=shots / "moderate-story-redacted.png", full_page=True)
    moderator.goto("/moderate/review")
    moderator.locator(f"#review-{story_id} button[value=publish]").click()
    expect(moderator.locator("p.saved")).to_have_text(f"Published: {title}.")

    # 3. a visitor hears silence where the passage was, and cannot find its words
    visitor_context = _context(browser, server, problems)
    visitor = problems.watch(visitor_context.new_page())
    assert visitor.goto(f"/stories/{story_id}").status == 200
    expect(visitor.locator("h1")).to_have_text(title)
    lines = visitor.locator("ol#transcript")
    expect(lines).to_contain_text("[…]")
    expect(lines).not_to_contain_text(SPOKEN)
    page_text = visitor.locator("body").inner_text().lower()
    for word in gone:
        assert not re.search(rf"\b{re.escape(word)}\b", page_text), f"{word!r} is still in the story's page"
    visitor.evaluate("() => document.getElementById('player').play()")
    visitor.wait_for_function(
        "() => { const p = document.getElementById('player');"
        " return p.duration > 15 && !p.paused && p.currentTime > 0.5; }", timeout=15_000)
    visitor.evaluate("() => document.getElementById('player').pause()")
    visitor.screenshot(path=shots / "story-redacted.png", full_page=True)
    visitor.goto(f"/search?q={anchor}")
    expect(visitor.locator("main h1, main h2").first).to_be_visible()
    # its words are gone; what is left may still be found by meaning ("In the spring the
    # water came into our street" for "pumped"), never by the words or with them
    found = visitor_context.request.get(f"/api/search?q={anchor}").json()["stories"]
    moments = [m for hit in found if hit["story_id"] == story_id for m in hit["moments"]]
    assert not any("words" in m["why"] or SPOKEN.search(m["text"]) or "[…]" in m["text"] for m in moments), moments
    heard = _listening_copy(visitor_context, story_id, tmp_path, "after")
    silent = _loudness(heard, start + 0.05, end - 0.05)
    around = [_loudness(heard, 0.0, start - 0.3), _loudness(heard, end + 0.3, min(end + 4.0, len(heard) / 16_000))]
    assert silent < -55, f"the redacted passage is at {silent:.1f} dBFS"
    assert all(level > -40 for level in around), f"the speech around it is at {around} dBFS"

    # 4. the resident withdraws the story by the link: it is gone from every page
    resident.goto(mine)
    resident.screenshot(path=shots / "mine-published.png", full_page=True)
    expect(resident.locator("#story-state")).to_have_attribute("data-state", "published")
    resident.locator("form.withdraw input[name=confirm]").check()
    resident.locator("form.withdraw button[value=withdraw]").click()
    expect(resident.locator("h1")).to_have_text("The story was removed")
    expect(resident.locator("#erased")).to_be_visible()
    resident.screenshot(path=shots / "mine-withdrawn.png", full_page=True)
    assert visitor.goto(f"/stories/{story_id}").status == 404
    visitor.goto(f"/search?q={anchor}")
    expect(visitor.locator(f"main a[href^='/stories/{story_id}']")).to_have_count(0)
    visitor.goto(f"/search?q={title.split()[-1]}")
    expect(visitor.locator(f"main a[href^='/stories/{story_id}']")).to_have_count(0)
    assert visitor.goto("/").status == 200
    expect(visitor.locator(f"a[href^='/stories/{story_id}']")).to_have_count(0)
    expect(visitor.get_by_text(title)).to_have_count(0)
    listing = visitor_context.request.get("/api/stories?limit=100").json()
    assert story_id not in [s["id"] for s in listing["stories"]], listing
    assert visitor_context.request.get(f"/api/stories/{story_id}").status == 404
    assert visitor_context.request.get(f"/media/{story_id}/listen.webm").status == 404
    gone_link = resident.goto(mine)
    assert gone_link.status in (403, 404), gone_link.status
    expect(resident.locator("main")).not_to_contain_text(title)
    expect(resident.locator("form.withdraw")).to_have_count(0)
    resident.screenshot(path=shots / "mine-gone.png", full_page=True)
    problems.check()
    for context in (resident_context, moderator_context, visitor_context):
        context.close()


@pytest.mark.slow
def test_a_recording_already_in_the_archive_is_said_to_be_there(page: Page, server, problems, tmp_path):
    clip = tmp_path / "klip.ogg"  # a recording of its own: no other test's story
    ffmpeg("-i", str(story_file("pl")), "-t", "2", "-c:a", "libopus", str(clip))
    page.goto("/login")
    page.fill("input[name=name]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{server}/")
    page.goto("/upload")
    page.set_input_files("#f-files", [str(clip)])
    page.click("#upload-form button[type=submit]")
    first = page.locator("ul#upload-progress li a.open:not([hidden])")
    expect(first).to_have_count(1)  # an admin's story is published at once
    story = first.get_attribute("href")

    page.set_input_files("#f-files", [str(clip)])
    page.click("#upload-form button[type=submit]")
    again = page.locator("ul#upload-progress li[data-state=duplicate]")
    expect(again.locator(".state")).to_have_text("Already in the archive")
    expect(again.locator("a.open:not([hidden])")).to_have_attribute("href", story)
    expect(page.locator("ul#upload-progress li a.teller-link")).to_have_count(0)
    problems.check()
