"""Transcripts made elsewhere (WebVTT, SRT, OHMS XML) taken in with their recordings:
read by content, aligned to the recording, stored instead of a transcription, tagged;
round trips through the exports; hostile XML refused."""

import io

import pytest
import srt
import webvtt
from click.testing import CliRunner

from storyatlas import imports, meaning, transcript_files
from storyatlas.archive import Archive, Viewer, index_points, tags
from storyatlas.archive import vectors as meaning_rows
from storyatlas.cli import cli
from storyatlas.errors import TranscriptError
from storyatlas.exports import export
from storyatlas.exports.subtitles import timestamp
from storyatlas.imports import align, parse_offset, store_transcript, transcript_language
from storyatlas.transcript_files import Cue, ImportedTranscript, parse_transcript, read_transcript
from tests.conftest import add_story, cut_short, story_file

KEEPER = Viewer.keeper()

LINES = [
    (0.0, 3.2, "Im Frühling kam das Wasser.", "In spring the water came."),
    (3.9, 65.5, "Die Überschwemmung --> hat\n\nunseren <Keller> & alles zerstört.", "The flood destroyed our cellar."),
    (66.0, 70.25, "We were so afraid.", None, "en"),
    (3700.25, 3702.0, "Ende.", None),
]

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE ROOT [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<ROOT><record><title>&lol9;</title><vtt_transcript>WEBVTT

00:00:00.000 --> 00:00:01.000
Hello.</vtt_transcript></record></ROOT>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE ROOT [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<ROOT><record><title>&secret;</title></record></ROOT>"""

# no entity at all: a DTD that a reader would fetch from elsewhere
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE ROOT SYSTEM "http://example.org/ohms.dtd">
<ROOT><record><title>T</title></record></ROOT>"""


@pytest.fixture
def story(archive):
    return add_story(archive, "Hochwasser", "de", LINES, collection="Flood memories", storyteller="Anna")


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("STORYATLAS_ARCHIVE", str(settings.archive))
    monkeypatch.setenv("STORYATLAS_CACHE", str(settings.cache))

    def invoke(*args, code=0):
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return invoke


# round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["vtt", "srt", "ohms"])
def test_export_import_export_gives_the_same_file(archive, story, fmt):
    first = export(archive, story, fmt, KEEPER)
    imported = parse_transcript(first.encode())
    language = imported.language or "de"  # OHMS says its language; WebVTT and SRT are told (--language de)
    cues = align(imported.cues, archive.story(story, KEEPER).duration_s)
    store_transcript(archive, story, archive.story(story, KEEPER).duration_s, cues, language, imported.kind, "x")
    assert archive.transcripts(story, KEEPER)[0]["model"] == f"imported {fmt}"
    assert export(archive, story, fmt, KEEPER) == first


def test_ohms_round_trip_keeps_languages_and_english(archive, story):
    imported = parse_transcript(export(archive, story, "ohms", KEEPER).encode())
    assert imported.language == "de"
    assert [c.language for c in imported.cues] == [None, None, "en", None]
    assert [c.english for c in imported.cues][:2] == ["In spring the water came.", "The flood destroyed our cellar."]
    store_transcript(archive, story, 3702.0, align(imported.cues, 3702.0), "de", "ohms", "x")
    segments = archive.segments(story, KEEPER)
    # the line spoken in English needs none; the last one had no translation
    assert [s.text_en for s in segments] == ["In spring the water came.", "The flood destroyed our cellar.", None, None]
    assert [s.language for s in segments] == ["de", "de", "en", "de"]
    assert segments[1].text == "Die Überschwemmung → hat unseren <Keller> & alles zerstört."


# reading ---------------------------------------------------------------------------


def test_the_format_is_told_by_content_not_by_name(tmp_path):
    vtt = tmp_path / "named-like.srt"
    vtt.write_text("\ufeffWEBVTT\n\n1\n00:01.000 --> 00:02.500 align:start\n"
                   "<v.loud Mary Smith><i>Hello</i> &amp; bye\n", encoding="utf-8")
    read = read_transcript(vtt)
    assert read.kind == "vtt" and read.cues == (Cue(1.0, 2.5, "Hello & bye", speaker="Mary Smith"),)
    vtt.write_text("WEBVTT\n\nSTYLE\n::cue { color: lime }\n\nREGION\nid:left width:40%\n\n"
                   "00:01.000 --> 00:02.500\nHello\n", encoding="utf-8")
    assert read_transcript(vtt).cues == (Cue(1.0, 2.5, "Hello"),)
    subrip = tmp_path / "named-like.vtt"
    subrip.write_bytes(b"1\r\n00:00:01,000 --> 00:00:02,000\r\n<i>Hello</i>\r\nagain\r\n\r\n"
                       b"2\r\n00:00:03,000 --> 00:00:04,000\r\n<b>Bye</b> & <out>\r\n")
    read = read_transcript(subrip)
    assert read.kind == "srt" and [(c.start, c.text) for c in read.cues] == [(1.0, "Hello again"), (3.0, "Bye & <out>")]
    other = tmp_path / "notes.txt"
    other.write_text("Some notes about the interview.")
    with pytest.raises(TranscriptError, match="give a WebVTT .* SRT .* or OHMS XML file"):
        read_transcript(other)
    latin = tmp_path / "latin1.srt"
    latin.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nÜber\n".encode("latin-1"))
    with pytest.raises(TranscriptError, match="save it as UTF-8"):
        read_transcript(latin)


def test_ohms_6_with_speakers_and_a_missing_last_end():
    # as OHMS 6 writes it (scihist_digicoll's small-sample-vtt-ohms.xml): no WEBVTT line
    # required, <v> speakers, NOTE blocks, <br> inside cues, 00:00:00.000 as the last end
    ohms = b"""<?xml version="1.0" encoding="UTF-8"?>
<ROOT xmlns="https://www.weareavp.com/nunncenter/ohms"><record id="1" dt="2025-01-23">
<version>6.0</version><title>T</title><duration>00:02:00</duration><language>English</language>
<index><point><time>30</time><title>School</title><keywords>school;bus</keywords>
<gpspoints><gps>38.9, -77.0</gps><gps_zoom>12</gps_zoom><gps_text>Washington</gps_text></gpspoints>
<gpspoints><gps></gps><gps_zoom></gps_zoom><gps_text></gps_text></gpspoints></point></index>
<vtt_transcript><![CDATA[NOTE
TRANSCRIPTION BEGIN

00:00:03.000 --> 00:00:18.000
<v SCHNEIDER>  Today is December 16.<br><br>We begin.

00:01:22.000 --> 00:00:00.000
<v NAME OF INTERVIEWEE>  Yes, I lived there.

NOTE
TRANSCRIPTION END
]]></vtt_transcript></record></ROOT>"""
    read = parse_transcript(ohms)
    assert read.kind == "ohms" and read.language == "en"
    assert [(c.speaker, c.text) for c in read.cues] == [("SCHNEIDER", "Today is December 16. We begin."),
                                                        ("NAME OF INTERVIEWEE", "Yes, I lived there.")]
    assert [(c.start, c.end) for c in align(read.cues, 120.0)] == [(3.0, 18.0), (82.0, 120.0)]
    point = read.index[0]
    assert (point.time, point.title, point.keywords) == (30.0, "School", ("school", "bus"))
    assert [(g.latitude, g.longitude, g.zoom, g.label) for g in point.gps] == [(38.9, -77.0, 12, "Washington")]


def test_ohms_5_transcript_from_its_sync_points():
    # <sync> "1:|2(3)|4(1)": minute 1 at word 3 of line 2, minute 2 at word 1 of line 4
    ohms = b"""<ROOT><record><title>T</title><duration>00:02:30</duration><language>German</language>
<sync>1:|2(3)|4(1)</sync>
<transcript>Eins zwei drei
vier fuenf sechs sieben
acht
neun zehn[[footnotes]][[note]]A note.[[/note]][[/footnotes]]</transcript>
<transcript_alt_lang>English</transcript_alt_lang><sync_alt>1:|1(2)</sync_alt>
<transcript_alt>One two three four</transcript_alt></record></ROOT>"""
    read = parse_transcript(ohms)
    assert read.language == "de"
    assert [(c.start, c.text) for c in read.cues] == [
        (0.0, "Eins zwei drei vier fuenf"), (60.0, "sechs sieben acht"), (120.0, "neun zehn")]
    assert [c.end for c in read.cues] == [60.0, 120.0, 150.0]
    assert [c.english for c in read.cues] == ["One", "two three four", None]
    # a second transcript in another language than English is not taken as the English
    assert not parse_transcript(ohms.replace(b"<transcript_alt_lang>English", b"<transcript_alt_lang>French")
                                ).has_english


def test_an_english_cue_goes_with_the_cue_its_middle_falls_in():
    ohms = b"""<ROOT><record><title>T</title><duration>00:00:20</duration><language>German</language>
<vtt_transcript>WEBVTT

00:00:00.000 --> 00:00:10.000
Wir pumpten den Keller aus.

00:00:10.000 --> 00:00:20.000
Dann kam der Fluss zur\xc3\xbcck.</vtt_transcript>
<transcript_alt_lang>English</transcript_alt_lang><vtt_transcript_alt>WEBVTT

00:00:00.000 --> 00:00:08.000
We pumped the cellar.

00:00:08.000 --> 00:00:14.000
Then the river came back.</vtt_transcript_alt></record></ROOT>"""
    # the second English cue starts in the first German one, but is mostly said in the second
    assert [c.english for c in parse_transcript(ohms).cues] == ["We pumped the cellar.", "Then the river came back."]


def test_the_language_said_comes_before_the_files_and_a_mixed_file_must_be_told():
    said_de = ImportedTranscript("vtt", (Cue(0, 1, "Ja.", language="de"),), language="de")
    assert transcript_language(said_de, "PL") == "pl" and transcript_language(said_de, None) == "de"
    spans = ImportedTranscript("vtt", (Cue(0, 1, "Ja.", language="de"), Cue(1, 2, "Tak.", language="pl")))
    with pytest.raises(TranscriptError, match="give it with --language"):
        transcript_language(spans, None)


def test_a_transcript_with_bracketed_times():
    ohms = b"""<ROOT><record><title>T</title><transcript>Before anything. [00:00:05] Then the water came.
[00:01:10] We left.</transcript></record></ROOT>"""
    assert [(c.start, c.end, c.text) for c in align(parse_transcript(ohms).cues, 90.0)] == [
        (0.0, 5.0, "Before anything."), (5.0, 70.0, "Then the water came."), (70.0, 90.0, "We left.")]


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD],
                         ids=["billion-laughs", "external-entity", "external-dtd"])
def test_hostile_xml_is_refused(hostile):
    with pytest.raises(TranscriptError, match=r"declares a DTD or entities .* remove its DOCTYPE"):
        parse_transcript(hostile)


def test_a_file_far_larger_than_a_transcript_is_refused_unread(monkeypatch):
    monkeypatch.setattr(transcript_files, "MAX_BYTES", 1000)
    with pytest.raises(TranscriptError, match="a transcript is far smaller"):
        parse_transcript(b"WEBVTT\n\n" + b"00:00:01.000 --> 00:00:02.000\nHello.\n\n" * 40)


def test_broken_xml_says_so():
    with pytest.raises(TranscriptError, match="not well-formed XML"):
        parse_transcript(b"<ROOT><record><title>&undefined;</title></record></ROOT>")
    with pytest.raises(TranscriptError, match="not an OHMS file"):
        parse_transcript(b"<html><body>Hi</body></html>")
    with pytest.raises(TranscriptError, match="does not start with its interval in minutes"):
        parse_transcript(b"<ROOT><record><sync>one:|2(3)</sync><transcript>Eins zwei drei</transcript></record></ROOT>")


def test_times_must_fit_the_recording():
    cues = [Cue(3600.0 + 3, 3600.0 + 18, "Today."), Cue(3600.0 + 20, 3600.0 + 31, "Yes.")]
    with pytest.raises(TranscriptError, match=r"at 1:00:03, after the recording ends \(0:00:40\).*-1:00:00"):
        align(cues, 40.0)
    assert [(c.start, c.end) for c in align(cues, 40.0, parse_offset("-1:00:00"))] == [(3.0, 18.0), (20.0, 31.0)]
    with pytest.raises(TranscriptError, match="before the recording"):
        align(cues, 40.0, -3700.0)
    assert [c.end for c in align([Cue(0, 50, "Long.")], 40.0)] == [40.0]  # an end past the recording is cut
    # a start a little before the recording (rounding) is its start; a cue without an
    # end lasts until the next one
    assert [(c.start, c.end) for c in align([Cue(-0.4, 5, "A."), Cue(10, 0, "B."), Cue(20, 25, "C.")], 40.0)] == \
           [(0.0, 5.0), (10.0, 20.0), (20.0, 25.0)]
    with pytest.raises(TranscriptError, match="no timed text"):
        align([], 40.0)


def test_offsets():
    assert [parse_offset(v) for v in (None, "90", "-3600", "1:30", "-1:00:00", "+0:00:01.5")] == \
        [0.0, 90.0, -3600.0, 90.0, -3600.0, 1.5]
    with pytest.raises(TranscriptError, match="h:mm:ss"):
        parse_offset("one hour")
    # float() reads these: "nan" put every cue at 0-0, "inf" ended in an OverflowError
    for value in ("nan", "-NaN", "inf", "-infinity", "1e999", "1e308:00"):
        with pytest.raises(TranscriptError, match=r"--transcript-offset .*h:mm:ss"):
            parse_offset(value)


# taking a recording in with its transcript ----------------------------------------


def _vtt(timings, shift=0.0):
    return "WEBVTT\n\n" + "".join(f"{timestamp(t['start'] + shift)} --> {timestamp(t['end'] + shift)}\n"
                                  f"<v Anna>{t['text']}\n\n" for t in timings)


def test_ingest_a_recording_with_its_webvtt_transcript(run, settings, timings, tmp_path):
    transcript = tmp_path / "river.vtt"
    transcript.write_text(_vtt(timings["en"]), encoding="utf-8")
    out = run("ingest", str(story_file("en")), "--transcript", str(transcript), "--collection", "Flood memories",
              "--language", "en", "--storyteller", "Anna")
    assert "-> story 1, its transcript from river.vtt (vtt: 4 segments;" in out and "/mine/" in out
    with Archive(settings.database) as archive:
        job = archive.job_for_story(1, KEEPER)
        assert (job.state, job.message) == ("done", None)
        segments = archive.segments(1, KEEPER)
        assert [(s.start, s.end, s.text) for s in segments] == [
            (pytest.approx(t["start"]), pytest.approx(t["end"]), t["text"]) for t in timings["en"]]
        assert archive.transcripts(1, KEEPER)[0]["model"] == "imported vtt"
        story = archive.story(1, KEEPER)
        assert story.language == "en" and segments[-1].end <= story.duration_s
        # the job still tags themes: water in the street, a pumped cellar, sandbags
        assert "floods" in [t.theme_id for t in tags.story_themes(archive, 1, KEEPER)]
        # and it is found by meaning, with no worker at hand
        assert meaning_rows.counts(archive, meaning.model()) == (4, 4)
    captions = webvtt.from_buffer(io.StringIO(run("export", "1", "--format", "vtt")))
    assert [c.text for c in captions] == [t["text"] for t in timings["en"]]
    assert "imported" in run("show", "1", "--json")
    # the same recording again, with another transcript: refused, the first one kept
    other = tmp_path / "other.vtt"
    other.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nSomething else.\n", encoding="utf-8")
    out = run("ingest", str(story_file("en")), "--transcript", str(other), "--language", "en", code=1)
    assert "already in the archive as story 1: its transcript was left as it is" in out
    with Archive(settings.database) as archive:
        assert [s.text for s in archive.segments(1, KEEPER)] == [t["text"] for t in timings["en"]]

    # a transcript timed from a tape's 1:00:00 timecode, as OHMS sometimes has it
    ohms = tmp_path / "tape.xml"
    ohms.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<ROOT xmlns="https://www.weareavp.com/nunncenter/ohms"><record id="7" dt="2025-01-23"><version>6.0</version>
<title>Tape</title><language>English</language><vtt_transcript>{_vtt(timings['en'], 3600.0)
        .replace('&', '&amp;').replace('<', '&lt;')}</vtt_transcript></record></ROOT>""", encoding="utf-8")
    # the same recording is known in the first archive: this one goes into another
    refused = run("ingest", str(story_file("en")), "--transcript", str(ohms), "--archive", str(tmp_path / "other"),
                  code=1)
    assert "after the recording ends" in refused and "--transcript-offset -1:00:00" in refused
    with Archive(tmp_path / "other" / "archive.db") as other:
        assert other.is_empty()  # nothing is stored when the transcript is refused
    out = run("ingest", str(story_file("en")), "--transcript", str(ohms), "--transcript-offset", "-1:00:00",
              "--archive", str(tmp_path / "other"))
    assert "(ohms: 4 segments;" in out
    with Archive(tmp_path / "other" / "archive.db") as other:
        assert [s.start for s in other.segments(1, KEEPER)] == pytest.approx([t["start"] for t in timings["en"]])


def _ohms_with_points(points: str) -> str:
    return ("<ROOT><record><title>T</title><language>English</language><index>" + points + "</index>"
            "<transcript>[01:00:00] We pumped the cellar. [01:00:02] The river came back.</transcript></record></ROOT>")


def test_an_ohms_files_index_points_become_the_storys(run, settings, tmp_path):
    # timed from a tape's 1:00:00 timecode, as its transcript is: shifted with it
    ohms = tmp_path / "indexed.xml"
    ohms.write_text(_ohms_with_points(
        "<point><time>3601</time><title>The  cellar</title><synopsis>They pumped it dry.</synopsis>"
        "<keywords>cellar;pump</keywords><subjects>Floods;pump</subjects>"
        "<gpspoints><gps>51.15, 15.0</gps><gps_text>Zgorzelec</gps_text></gpspoints></point>"
        "<point><time>3602</time><title>The river</title></point>"), encoding="utf-8")
    out = run("ingest", str(story_file("en")), "--transcript", str(ohms), "--transcript-offset", "-1:00:00")
    assert "(ohms: 2 segments;" in out and "; 2 index points)" in out
    with Archive(settings.database) as archive:
        found = index_points.points(archive, 1, KEEPER)
    assert [(p.time, p.title, p.synopsis, p.keywords, p.place) for p in found] == [
        (1.0, "The cellar", "They pumped it dry.", ("cellar", "pump", "Floods"), "Zgorzelec"),
        (2.0, "The river", "", (), "")]
    assert "The cellar" in run("index", "1", "--list")


@pytest.mark.parametrize("point, refusal", [
    ("<point><time>nan</time><title>When</title></point>", "its index point 'When' at nan s: nan is not a time"),
    ("<point><time>3</time><title></title></point>", "an index point needs a title"),
    ("<point><time>99</time><title>Later</title></point>", "the recording ends at 17 s: an index point at 99 s"),
    ("<point><time>1</time><title>" + "x" * 201 + "</title></point>", "a title or place holds at most 200"),
])
def test_an_index_point_the_archive_cannot_keep_refuses_the_import_before_anything_is_stored(
        run, settings, tmp_path, point, refusal):
    ohms = tmp_path / "indexed.xml"
    ohms.write_text(_ohms_with_points(point).replace("[01:00:0", "[00:00:0"), encoding="utf-8")
    out = run("ingest", str(story_file("en")), "--transcript", str(ohms), code=1)
    assert f"{ohms}: its index point" in out and refusal in out
    with Archive(settings.database) as archive:
        assert archive.is_empty()


def test_a_transcript_refused_only_by_the_length_decoded_stores_nothing(run, settings, tmp_path):
    # the header says a minute and 8.8 s decode: text at 0:00:50 passed the first check
    transcript = tmp_path / "t.srt"
    transcript.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello.\n\n2\n00:00:50,000 --> 00:00:52,000\nLate.\n",
                          encoding="utf-8")
    out = run("ingest", str(cut_short(tmp_path)), "--transcript", str(transcript), "--language", "en", code=1)
    assert "the transcript has text at 0:00:50, after the recording ends (0:00:08)" in out
    with Archive(settings.database) as archive:
        assert archive.is_empty() and archive.conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0
    assert [f for f in settings.media_dir.rglob("*") if f.is_file() and "tmp" not in f.parts] == []


def test_refusals_store_nothing(run, settings, tmp_path):
    hostile = tmp_path / "interview.xml"
    hostile.write_bytes(BILLION_LAUGHS)
    out = run("ingest", str(story_file("en")), "--transcript", str(hostile), "--language", "en", code=1)
    assert "Error:" in out and "DTD" in out and str(hostile) in out
    plain = tmp_path / "plain.srt"
    plain.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello.\n", encoding="utf-8")
    out = run("ingest", str(story_file("en")), "--transcript", str(plain), code=1)
    assert "does not say its language: give it with --language" in out
    out = run("ingest", str(story_file("en")), str(story_file("de")), "--transcript", str(plain), "--language", "en",
              code=1)
    assert "--transcript goes with one recording" in out
    with Archive(settings.database) as archive:
        assert archive.is_empty()
    assert list(srt.parse(plain.read_text()))  # the file itself was fine for an SRT reader


def _fails_to_import_a_line(run, tmp_path) -> str:
    """What ``ingest`` says when it fails to take in a recording with a one-line SRT."""
    plain = tmp_path / "plain.srt"
    plain.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello.\n", encoding="utf-8")
    return run("ingest", str(story_file("en")), "--transcript", str(plain), "--language", "en", code=1)


def test_an_import_that_fails_after_the_story_is_stored_fails_its_job(run, settings, tmp_path, monkeypatch):
    def broken(*_):
        raise TranscriptError("the themes could not be read")
    monkeypatch.setattr(imports, "tag_story", broken)
    out = _fails_to_import_a_line(run, tmp_path)
    assert "the themes could not be read" in out
    with Archive(settings.database) as archive:
        job = archive.job_for_story(1, KEEPER)
        assert (job.state, job.message) == ("failed", "the themes could not be read")  # not left running


def test_an_import_that_a_worker_beat_to_the_job_leaves_the_story_to_it(run, settings, tmp_path, monkeypatch):
    taken = imports.ingest_file

    def raced(archive, *args):  # a worker elsewhere claims the new story's job first
        result = taken(archive, *args)
        assert archive.claim_job(result.job_id, worker="another-machine:1")
        return result
    monkeypatch.setattr(imports, "ingest_file", raced)
    out = _fails_to_import_a_line(run, tmp_path)
    assert "a worker took story 1 to transcribe it before its transcript could be imported" in out
    with Archive(settings.database) as archive:
        job = archive.job_for_story(1, KEEPER)
        assert (job.state, job.worker) == ("running", "another-machine:1") and archive.segments(1, KEEPER) == []


def test_a_transcript_imported_without_english_says_so_on_its_job(run, settings, tmp_path):
    transcript = tmp_path / "hochwasser.srt"
    transcript.write_text("1\n00:00:01,000 --> 00:00:03,000\nIm Frühling kam das Wasser.\n", encoding="utf-8")
    run("ingest", str(story_file("de")), "--transcript", str(transcript), "--language", "de")
    with Archive(settings.database) as archive:
        job = archive.job_for_story(1, KEEPER)
        assert job.state == "done"
        assert job.message == ("imported without an English translation: it is found by its own words and themes, "
                               "not in English")


def test_an_index_point_at_the_very_end_is_kept_at_the_decoded_end(run, settings, tmp_path, monkeypatch):
    # the container may say a recording is a little longer than what decodes: a point
    # within the first but past the second is kept at the last moment there is
    from dataclasses import replace

    probe = imports.probe
    said_length = probe(story_file("en")).duration_s + 0.5
    monkeypatch.setattr(imports, "probe", lambda path: replace(probe(path), duration_s=said_length))
    ohms = tmp_path / "indexed.xml"
    ohms.write_text(_ohms_with_points(f"<point><time>{said_length - 0.1:.1f}</time><title>The end</title></point>")
                    .replace("[01:00:0", "[00:00:0"), encoding="utf-8")
    run("ingest", str(story_file("en")), "--transcript", str(ohms))
    with Archive(settings.database) as archive:
        [point] = index_points.points(archive, 1, KEEPER)
        assert point.time == archive.story(1, KEEPER).duration_s < said_length - 0.1
