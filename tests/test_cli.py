"""The `storyatlas` command, the way a volunteer uses it."""

import io
import json
import re

import pytest
import srt
import webvtt
from click.testing import CliRunner

from storyatlas import meaning
from storyatlas.archive import Archive
from storyatlas.archive import vectors as meaning_rows
from storyatlas.cli import cli
from tests.conftest import DATA, cut_short, story_file


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("STORYATLAS_ARCHIVE", str(settings.archive))
    monkeypatch.setenv("STORYATLAS_CACHE", str(settings.cache))
    monkeypatch.setenv("STORYATLAS_MODEL", settings.model)

    def invoke(*args, code=0):
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return invoke


@pytest.fixture
def workshop(tmp_path, media_dir):
    folder = tmp_path / "workshop-2026-03"
    (folder / "evening").mkdir(parents=True)
    (folder / "river.m4a").write_bytes((media_dir / "story.m4a").read_bytes())
    (folder / "evening" / "video.mp4").write_bytes((media_dir / "story.mp4").read_bytes())
    (folder / "evening" / "broken.mp3").write_bytes(b"ID3" + b"\0" * 50)
    return folder


@pytest.mark.slow
def test_ingest_a_workshop_then_search_show_and_export(run, workshop, timings, tmp_path, settings):
    out = run("ingest", str(workshop), "--place", "Zgorzelec, Lower Silesia, PL",
              "--collection", "Flood memories", code=1).output  # one file is refused
    assert "broken.mp3" in out and "refused" in out
    assert "2 added, 0 already known, 1 refused, 2 processed, 0 failed" in out
    assert "all stories" not in out and "%" not in out  # not a terminal: no progress bars in the log
    with Archive(settings.database) as archive:  # found by meaning too
        made, segments = meaning_rows.counts(archive, meaning.model())
    assert made == segments > 0

    # "We pumped the cellar ...": tiny.en may hear "the settler" (or "pump"), so search the
    # word it always gets (the index stems it: "pumped" finds "pump")
    out = run("search", "pumped").output
    assert "#1 river" in out and "(en, PL, Flood memories)" in out and re.search(r"\[pump(ed)?\]", out)

    found = json.loads(run("search", "pumped", "--json").output)
    assert found["total_stories"] == 2
    moment = found["stories"][0]["moments"][0]
    assert abs(moment["at"] - timings["en"][2]["start"]) < 1.5
    assert {"start", "end", "text", "text_en", "snippet"} <= moment.keys()

    assert "no moments match" in run("search", "pumped", "--country", "DE").output.lower()
    out = run("search", "the -river").output
    assert "too common to search alone" in out and "'\"the\" -river'" in out and "no moments match" not in out

    shown = run("show", "1").output
    assert "Zgorzelec, Lower Silesia, PL" in shown and "Flood memories" in shown
    pumped_line = next(line for line in shown.splitlines() if "pump" in line.lower())
    minutes, seconds = pumped_line[:5].split(":")
    assert abs(int(minutes) * 60 + int(seconds) - timings["en"][2]["start"]) <= 1.5
    doc = json.loads(run("show", "2", "--json").output)
    assert doc["title"] == "video" and doc["job"]["state"] == "done" and doc["segments"]

    captions = webvtt.from_buffer(io.StringIO(run("export", "1", "--format", "vtt").output))
    assert any("pump" in c.text.lower() for c in captions)
    target = tmp_path / "story.srt"
    run("export", "1", "--format", "srt", "-o", str(target))
    assert list(srt.parse(target.read_text()))

    assert "indexed" in run("reindex").output
    assert "already in the archive as story 1" in run("ingest", str(workshop / "river.m4a")).output


def test_queue_only_then_list(run):
    out = run("ingest", str(story_file("en")), "--no-wait").output
    assert "queued: run `storyatlas worker`" in out
    assert "queued" in run("stories").output


def test_a_copy_cut_short_is_added_with_a_note(run, tmp_path):
    out = run("ingest", str(cut_short(tmp_path)), "--no-wait").output
    assert "added" in out and "note" in out
    assert "the file says it lasts 01:00, but it could be decoded only up to" in out


@pytest.mark.parametrize("args, code, message", [
    (("show", "99"), 3, "Error: there is no story 99"),
    (("export", "99"), 3, "Error: there is no story 99"),
    (("ingest", "/nowhere/at/all.wav"), 1, "no such file"),
    (("ingest", str(DATA / "make_speech.py")), 1, "make_speech.py: not a recording that can be read"),
])
def test_expected_failures_are_one_line_without_traceback(run, settings, args, code, message):
    Archive(settings.database).close()  # an archive, empty
    result = run(*args, code=code)
    assert message in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("args", [("stories",), ("show", "1"), ("search", "flood"), ("users", "list"), ("audit",),
                                  ("themes", "list"), ("export", "1"), ("erase", "1", "--reason", "x", "--yes")])
def test_an_archive_that_is_not_there_is_said_so_not_made(run, settings, args):
    """A mistyped --archive made a new, empty archive, and `stories` said it held none."""
    result = run(*args, code=1)
    assert f"there is no archive at {settings.archive}" in result.output and not settings.database.exists()


def test_a_bad_setting_is_reported(run, monkeypatch):
    monkeypatch.setenv("STORYATLAS_BEAM_SIZE", "lots")
    assert "STORYATLAS_BEAM_SIZE='lots' is not a valid int" in run("stories", code=2).output


@pytest.mark.slow
def test_a_german_story_is_found_in_german_and_in_english(run):
    run("ingest", str(story_file("de")), "--model", "base", "--place", "Görlitz, Sachsen, DE")
    assert "#1 story de" in run("search", "Keller", "--language", "de").output
    assert "#1" in run("search", "zerstort").output  # without the umlaut
    # a word found only in the English translation (its wording varies with the model's threads; five letters
    # or more, past the stop words)
    doc = json.loads(run("show", "1", "--json").output)
    german = {w.lower() for s in doc["segments"] for w in re.findall(r"\w+", s["text"])}
    word = next(w for s in doc["segments"] for w in re.findall(r"[a-z]{5,}", (s["text_en"] or "").lower())
                if w not in german)
    english = json.loads(run("search", word, "--json").output)
    assert english["stories"][0]["moments"][0]["text_en"]
    assert "machine translation" in run("show", "1").output
    assert run("export", "1", "--track", "en").output.startswith("WEBVTT")


def test_bare_storyatlas_serves_the_web_archive_with_a_sample(run, monkeypatch, settings):
    import uvicorn

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    run()
    assert served["port"] == 8000 and served["host"] == "127.0.0.1"
    assert served["app"].state.settings.archive == settings.archive
    run("serve", "--with-sample", "--port", "8123")
    from storyatlas.archive import Archive, Viewer

    with Archive(settings.database) as a:
        assert [s.title for s in a.stories(Viewer.keeper())] == ["The night the river came"]
        assert a.job_for_story(1, Viewer.keeper()).state == "queued"
    run("serve", "--with-sample")  # not added twice
    with Archive(settings.database) as a:
        assert a.count_stories(Viewer.keeper()) == 1


@pytest.mark.parametrize("args", [
    ["show", "{n}"], ["export", "{n}"], ["erase", "{n}", "--reason", "x"], ["review", "--publish", "{n}"],
    ["correct", "{n}"], ["revisions", "1", "--compare", "0", "{n}"], ["retranslate", "{n}"],
    ["index", "1", "--remove", "{n}"],
])
def test_an_id_past_the_databases_integers_is_refused_with_the_range(run, args):
    # 2^63 and past: SQLite cannot take it (an OverflowError's traceback before)
    result = run(*[a.format(n=2**63) for a in args], code=2)
    assert f"{2**63} is not in the range 0<=x<={2**63 - 1}" in result.output


def test_a_recording_date_that_is_no_date_is_refused_before_anything_is_taken_in(run, settings):
    out = run("ingest", str(story_file("en")), "--recorded", "2026-02-30", "--no-wait", code=1).output
    assert "2026-02-30 is not a date in the calendar" in out
    assert "the language must be a code" in run("ingest", str(story_file("en")), "--language", "English",
                                                "--no-wait", code=1).output
    with Archive(settings.database) as archive:
        assert archive.conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 0


@pytest.mark.parametrize("args, message", [
    (["search", "flood", "--limit", "0"], "'--limit': 0 is not in the range 1<=x<=1000000"),
    (["stories", "--limit", "0"], "'--limit': 0 is not in the range 1<=x<=1000000"),
    (["stories", "--offset", str(2**63)], f"'--offset': {2**63} is not in the range 0<=x<=1000000000000"),
    (["audit", "--limit", "0"], "'--limit': 0 is not in the range 1<=x<=1000000"),
    (["audit", "--offset", "-1"], "'--offset': -1 is not in the range 0<=x<=1000000000000"),
])
def test_a_list_of_none_or_one_past_the_databases_integers_is_refused(run, args, message):
    # --limit 0 answered "no moments match" and "the audit log is empty"; 2^63 was a traceback
    assert message in run(*args, code=2).output


@pytest.mark.parametrize("args, message", [
    # 99999 started the worker and no server, silently, until stopped
    (["serve", "--port", "99999"], "'--port': 99999 is not in the range 1<=x<=65535"),
    (["serve", "--port", "0"], "'--port': 0 is not in the range 1<=x<=65535"),
    (["serve", "--workers", "0"], "'--workers': 0 is not in the range x>=1"),
])
def test_the_server_refuses_a_port_or_processes_it_cannot_have(run, args, message):
    assert message in run(*args, code=2).output


def test_a_search_too_long_to_be_a_query_is_refused(run, settings):
    Archive(settings.database).close()
    out = run("search", " ".join(["flood"] * 201), code=1).output
    assert "a search holds at most 200 words and 2000 characters: keep the words that matter most" in out


def test_text_on_the_command_line_that_is_not_utf8_is_refused_and_nothing_kept(run, settings):
    # a terminal in another encoding: Python hands its bytes over as surrogate escapes
    out = run("ingest", str(story_file("en")), "--title", "Anna \udcff\udcfe", "--no-wait", code=2).output
    assert "text given on the command line holds bytes that are not UTF-8 (b'\\xff\\xfe')" in out
    with Archive(settings.database) as archive:
        assert archive.conn.execute("SELECT count(*) FROM stories").fetchone()[0] == 0
    assert not [p for p in settings.media_dir.rglob("*") if p.is_file()]


def test_an_export_to_a_place_that_cannot_be_written_says_so(run, tmp_path):
    from tests.conftest import add_story

    with Archive(tmp_path / "a" / "archive.db") as archive:
        add_story(archive, "Powódź", "pl", [(0.0, 2.0, "Woda.")], collection="Floods")
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    for args in (["export", "1"], ["export", "--collection", "Floods"]):
        out = run(*args, "-o", str(blocked / "x.zip"), "--archive", str(tmp_path / "a"), code=1).output
        # a file where a folder should be: "Not a directory", or "File exists" when it is made
        assert f"Error: cannot write {blocked / 'x.zip'}: " in out and "; name another place with -o" in out
