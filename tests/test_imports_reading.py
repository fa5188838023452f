"""How transcripts made elsewhere are read, as other tools write them: SRT and WebVTT
variants, OHMS sync points and index points, the English beside a transcript, and the
alignment of cues to a recording."""

import time

import pytest

from storyatlas import transcript_files
from storyatlas.archive import Viewer
from storyatlas.errors import TranscriptError
from storyatlas.imports import align, store_transcript
from storyatlas.transcript_files import Cue, parse_transcript, parse_vtt, read_transcript
from tests.conftest import add_story

KEEPER = Viewer.keeper()


def _read(text: str) -> list[tuple[float, float, str]]:
    return [(c.start, c.end, c.text) for c in parse_transcript(text.encode()).cues]


# SRT and WebVTT as tools write them -------------------------------------------------


@pytest.mark.parametrize("text, cues", [
    # no cue numbers (some editors leave them out)
    ("00:00:01,000 --> 00:00:02,000\nHello.\n\n00:00:03,000 --> 00:00:04,000\nBye.\n",
     [(1.0, 2.0, "Hello."), (3.0, 4.0, "Bye.")]),
    # milliseconds written short: ",5" is half a second, not five thousandths
    ("1\n00:00:01,5 --> 00:00:02,25\nHello.\n", [(1.5, 2.25, "Hello.")]),
    # the blank line between cues holds spaces
    ("1\n00:00:01,000 --> 00:00:02,000\nHello.\n  \t\n2\n00:00:03,000 --> 00:00:04,000\nBye.\n",
     [(1.0, 2.0, "Hello."), (3.0, 4.0, "Bye.")]),
    # old Mac line endings
    ("1\r00:00:01,000 --> 00:00:02,000\rHello.\r\r2\r00:00:03,000 --> 00:00:04,000\rBye.\r",
     [(1.0, 2.0, "Hello."), (3.0, 4.0, "Bye.")]),
    # a positioning tag in the ASS style ({\an8}) is no word
    ("1\n00:00:01,000 --> 00:00:02,000\n{\\an8}Hello.\n", [(1.0, 2.0, "Hello.")]),
    # a cue with nothing to say (only tags) is left out, not stored empty
    ("1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n\n2\n00:00:03,000 --> 00:00:04,000\nBye.\n", [(3.0, 4.0, "Bye.")]),
    # control characters (a terminal's escape, a bell) are no words
    ("1\n00:00:01,000 --> 00:00:02,000\nHel\x1b[2Jlo\x07.\n", [(1.0, 2.0, "Hel[2Jlo.")]),
    # a tag ends before the next opens: an unclosed one took the words up to the next tag's end
    # (and, many times over, made reading take as long as the file's length squared)
    ("1\n00:00:01,000 --> 00:00:02,000\na <font b <i>c</i> {\\an8 d {\\b1}e\n",
     [(1.0, 2.0, "a <font b c {\\an8 d e")]),
], ids=["unnumbered", "short-fraction", "spaces-between", "cr-only", "ass-tag", "empty-cue", "control-characters",
        "unclosed-tags"])
def test_srt_as_tools_write_it(text, cues):
    assert parse_transcript(text.encode()).kind == "srt"
    assert _read(text) == cues


@pytest.mark.parametrize("text", [
    # an extra blank line between cues: the third line ending was read as a block of its own
    "1\n00:00:01,000 --> 00:00:02,000\nHello\n\n\n2\n00:00:02,000 --> 00:00:03,000\nWorld\n",
    "1\r\n00:00:01,000 --> 00:00:02,000\r\nHello\r\n\r\n\r\n2\r\n00:00:02,000 --> 00:00:03,000\r\nWorld\r\n",
    "WEBVTT\n\nc1\n00:00:01.000 --> 00:00:02.000\nHello\n\n\n \n\t\nc2\n00:00:02.000 --> 00:00:03.000\nWorld\n",
    # no blank line between cues: the second one's number and time line were read as words
    "1\n00:00:01,000 --> 00:00:02,000\nHello\n2\n00:00:02,000 --> 00:00:03,000\nWorld\n",
    "00:00:01,000 --> 00:00:02,000\nHello\n00:00:02,000 --> 00:00:03,000\nWorld\n",
    "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n00:00:02.000 --> 00:00:03.000\nWorld\n",
    # none after the WEBVTT line: the first cue was left out with the header
    "WEBVTT\n00:00:01.000 --> 00:00:02.000\nHello\n\n00:00:02.000 --> 00:00:03.000\nWorld\n",
    "WEBVTT\n00:00:01.000 --> 00:00:02.000\nHello\n00:00:02.000 --> 00:00:03.000\nWorld\n",
], ids=["srt-extra", "srt-extra-crlf", "vtt-extra", "srt-missing", "srt-unnumbered-missing", "vtt-missing",
        "vtt-after-header", "vtt-after-header-and-missing"])
def test_blank_lines_between_cues_as_people_leave_them(text):
    assert _read(text) == [(1.0, 2.0, "Hello"), (2.0, 3.0, "World")]


def test_a_line_before_a_time_line_is_the_cue_s_words_in_webvtt_and_its_number_in_srt():
    # as WebVTT's parser (and webvtt-py) reads it: without a blank line there is no id
    assert _read("WEBVTT\n\n00:01.000 --> 00:02.000\nHello\nc2\n00:03.000 --> 00:04.000\nBye\n") == [
        (1.0, 2.0, "Hello c2"), (3.0, 4.0, "Bye")]
    assert _read("1\n00:00:01,000 --> 00:00:02,000\nIn\n1945\n\n2\n00:00:03,000 --> 00:00:04,000\nBye\n") == [
        (1.0, 2.0, "In 1945"), (3.0, 4.0, "Bye")]


@pytest.mark.parametrize("ident", ["NOTES-1", "STYLE_intro", "REGIONAL-2", "NOTE", "STYLE"])
def test_a_cue_whose_id_begins_like_a_comment_is_a_cue(ident):
    text = f"WEBVTT\n\nNOTE a comment\n\nNOTE\nanother\n\n{ident}\n00:01.000 --> 00:02.000\nHello\n"
    assert _read(text) == [(1.0, 2.0, "Hello")]


def test_a_webvtt_file_with_blank_lines_before_its_header_is_webvtt():
    read = parse_transcript(b"\n\n  WEBVTT\n\n00:01.000 --> 00:02.000\nHello.\n")
    assert read.kind == "vtt" and [c.text for c in read.cues] == ["Hello."]


def test_a_webvtt_text_with_a_byte_order_mark_is_read():
    assert [c.text for c in parse_vtt("\ufeffWEBVTT\n\n00:01.000 --> 00:02.000\nHello.\n")] == ["Hello."]


@pytest.mark.parametrize("cue, language, speaker, text", [
    ("<lang en-GB>Hello there.</lang>", "en", None, "Hello there."),
    ("<lang DE>Guten Tag.</lang>", "de", None, "Guten Tag."),
    ("<v Anna><lang de>Guten Tag.</lang></v>", "de", "Anna", "Guten Tag."),
    # two languages in one cue: the cue as a whole has none
    ("<lang de>Guten Tag</lang> und <lang en>hello</lang>", None, None, "Guten Tag und hello"),
    ("<v   Mary   &amp; Jo>Hello.", None, "Mary & Jo", "Hello."),
    ("<v >Hello.", None, None, "Hello."),
    ("<v Anna></v>", None, None, None),
    # a terminal's escape, written out or as an entity, is no word (`storyatlas show` prints them)
    ("<v An\x1bna&#27;>Hel&#27;[31mlo\x07 there.", None, "Anna", "Hel[31mlo there."),
    # a "<" left unescaped is a word, not a tag up to the next one's end (nor, many times over, slow)
    ("1 < 2 <i>yes</i>", None, None, "1 < 2 yes"),
], ids=["region-subtag", "upper-case", "inside-a-voice", "two-languages", "speaker-spaces", "no-speaker",
        "empty", "control-characters", "unescaped-less-than"])
def test_a_webvtt_cue_s_language_speaker_and_words(cue, language, speaker, text):
    read = parse_vtt(f"WEBVTT\n\n00:01.000 --> 00:02.000\n{cue}\n\n00:03.000 --> 00:04.000\nEnd.\n")
    if text is None:
        assert [c.text for c in read] == ["End."]
    else:
        assert (read[0].language, read[0].speaker, read[0].text) == (language, speaker, text)


# OHMS ---------------------------------------------------------------------------------


def _ohms(body: str) -> bytes:
    return f"<ROOT><record><title>T</title>{body}</record></ROOT>".encode()


def test_an_ohms_file_with_a_byte_order_mark_is_ohms():
    read = parse_transcript(b"\xef\xbb\xbf" + _ohms("<transcript>Hello [00:00:05] there.</transcript>"))
    assert read.kind == "ohms" and [c.text for c in read.cues] == ["Hello", "there."]


@pytest.mark.parametrize("encoding, declared", [
    ("utf-16", True), ("utf-16-le", True), ("utf-16-be", True), ("utf-16", False)])
def test_ohms_in_utf16_is_read_as_its_xml_says(encoding, declared):
    xml = _ohms("<language>Polish</language><vtt_transcript>WEBVTT\n\n00:01.000 --> 00:02.000\nZażółć."
                "</vtt_transcript>").decode()
    xml = ('<?xml version="1.0" encoding="UTF-16"?>' if declared else "") + xml
    read = parse_transcript(xml.encode(encoding))
    assert (read.kind, read.language, [c.text for c in read.cues]) == ("ohms", "pl", ["Zażółć."])


def test_xml_whose_root_is_not_ohms_is_refused_even_if_it_holds_a_record():
    with pytest.raises(TranscriptError, match="not an OHMS file"):
        parse_transcript(b"<html><record><transcript>Hello [00:00:05] there.</transcript></record></html>")


def test_sync_points_written_with_spaces_or_twice_at_one_word():
    words = "<transcript>one two three\nfour five six</transcript>"
    read = parse_transcript(_ohms(f"<sync>1: | 1(3) | 2(2) </sync>{words}"))
    assert [(c.start, c.text) for c in read.cues] == [(0.0, "one two"), (60.0, "three four"), (120.0, "five six")]
    # a second mark at the word of the first adds nothing: the stretch starts at the first
    read = parse_transcript(_ohms(f"<sync>1:|1(3)|1(3)</sync>{words}"))
    assert [(c.start, c.text) for c in read.cues] == [(0.0, "one two"), (60.0, "three four five six")]


def test_footnotes_are_left_out_and_the_words_between_them_kept():
    read = parse_transcript(_ohms("<transcript>a [[footnotes]]x[[/footnotes]] b [00:00:05] c "
                                  "[[footnotes]]y[[/footnotes]]</transcript>"))
    assert [c.text for c in read.cues] == ["a b", "c"]


def test_many_unclosed_footnotes_are_read_at_once():
    # each unclosed opening was read to the end of the transcript again: 300 KB took half a minute
    started = time.monotonic()
    read = parse_transcript(_ohms("<transcript>a [00:00:05] b " + "[[footnotes]]" * 25_000 + "</transcript>"))
    assert time.monotonic() - started < 5  # a guard only: it takes milliseconds
    assert [c.text[:15] for c in read.cues] == ["a", "b [[footnotes]]"]  # never closed: no footnote


def test_bracketed_marks_past_an_hour_and_two_marks_in_a_row():
    read = parse_transcript(_ohms("<transcript>Before. [01:00:05] After an hour. [01:00:07][01:00:09] "
                                  "Later.</transcript>"))
    assert [(c.start, c.end, c.text) for c in read.cues] == [
        (0.0, 3605.0, "Before."), (3605.0, 3607.0, "After an hour."), (3609.0, 3609.0, "Later.")]


def test_an_ohms_duration_that_is_not_whole_seconds_is_not_read_as_one():
    read = parse_transcript(_ohms("<duration>00:01:30.5</duration><transcript>Hi [00:00:05] there."
                                  "</transcript>"))
    assert [(c.start, c.end) for c in read.cues] == [(0.0, 5.0), (5.0, 5.0)]  # its end is mended by align


@pytest.mark.parametrize("german, english, expected", [
    # the German cue's end is missing (OHMS writes 00:00:00 for the last): it lasts to the end
    ("00:00:00.000 --> 00:00:10.000\nEins.\n\n00:00:10.000 --> 00:00:00.000\nZwei.",
     "00:00:11.000 --> 00:00:15.000\nTwo.", [None, "Two."]),
    # the English cue's end is missing: it is placed by its start, not half of it
    ("00:00:00.000 --> 00:00:10.000\nEins.\n\n00:00:10.000 --> 00:00:20.000\nZwei.",
     "00:00:12.000 --> 00:00:00.000\nTwo.", [None, "Two."]),
    # an English cue whose middle falls on a German cue's start goes with that cue
    ("00:00:00.000 --> 00:00:05.000\nEins.\n\n00:00:05.000 --> 00:00:10.000\nZwei.",
     "00:00:00.000 --> 00:00:10.000\nOne, two.", [None, "One, two."]),
], ids=["german-end-missing", "english-end-missing", "middle-on-a-start"])
def test_the_english_beside_cues_whose_ends_are_missing(german, english, expected):
    read = parse_transcript(_ohms(f"<language>German</language><vtt_transcript>WEBVTT\n\n{german}</vtt_transcript>"
                                  f"<transcript_alt_lang>English</transcript_alt_lang>"
                                  f"<vtt_transcript_alt>WEBVTT\n\n{english}</vtt_transcript_alt>"))
    assert [c.english for c in read.cues] == expected


def test_an_index_point_with_empty_fields():
    read = parse_transcript(_ohms("<transcript>Hi [00:00:05] there.</transcript><index><point><time></time>"
                                  "<title>Start</title><keywords>school;; bus ;</keywords>"
                                  "<gpspoints><gps>38.9, -77.0</gps><gps_text>Washington</gps_text></gpspoints>"
                                  "</point></index>"))
    point = read.index[0]
    assert (point.time, point.keywords) == (0.0, ("school", "bus"))
    assert [g.zoom for g in point.gps] == [17]  # no zoom said: a street's


def test_only_the_index_s_points_and_a_point_s_own_places_are_read():
    # a walk through all below each point read deeply nested ones as many times as they are deep
    nested = "<point><time>2</time><title>Inner</title><gpspoints><gps>1, 2</gps></gpspoints></point>"
    read = parse_transcript(_ohms("<transcript>Hi [00:00:05] there.</transcript><index><point><time>1</time>"
                                  f"<title>Outer</title><extra>{nested}</extra></point></index>{nested}"))
    assert [(p.title, p.gps) for p in read.index] == [("Outer", ())]


# reading a file and aligning it -----------------------------------------------------


def test_a_file_one_byte_over_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(transcript_files, "MAX_BYTES", 1000)
    path = tmp_path / "long.vtt"
    head = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n"
    path.write_bytes(head + b"a" * (1000 - len(head)) + b"\n")
    assert path.stat().st_size == 1001
    with pytest.raises(TranscriptError, match="a transcript is far smaller"):
        read_transcript(path)


def test_cues_are_put_in_time_order_and_an_end_missing_reaches_the_next_later_cue():
    cues = [Cue(20, 25, "C."), Cue(10, 0, "B."), Cue(10, 12, "B2."), Cue(0, 5, "A.")]
    assert [(c.start, c.end, c.text) for c in align(cues, 40.0)] == [
        (0.0, 5.0, "A."), (10.0, 20.0, "B."), (10.0, 12.0, "B2."), (20.0, 25.0, "C.")]


def test_text_a_little_after_the_recording_ends_is_refused_without_a_timecode_hint():
    with pytest.raises(TranscriptError, match=r"at 0:00:45, after the recording ends \(0:00:40\)") as refused:
        align([Cue(0, 5, "A."), Cue(45, 47, "B.")], 40.0)
    assert "offset" not in str(refused.value)
    # a two-hour recording whose transcript starts at 1:00:00 is not counted from a timecode
    with pytest.raises(TranscriptError, match=r"at 2:10:00, after the recording ends") as refused:
        align([Cue(3600, 3605, "A."), Cue(7800, 7805, "B.")], 7200.0)
    assert "offset" not in str(refused.value)
    # within a second of the end (rounding) it is kept, in the recording's last second
    assert [(c.start, c.end) for c in align([Cue(0, 5, "A."), Cue(40.5, 45, "B.")], 40.0)] == [(0, 5), (39, 40)]
    # and not before a cue the transcript has earlier; one that starts at the very end, missing its end, too
    assert [(c.start, c.end) for c in align([Cue(39.5, 39.8, "A."), Cue(40, 0, "B."), Cue(40.5, 45, "C.")], 40.0)] \
        == [(39.5, 39.8), (39.5, 40), (39.5, 40)]


# storing ---------------------------------------------------------------------------


def test_a_transcript_stored_for_a_recording_of_unknown_length_lasts_to_its_last_cue(archive):
    story = add_story(archive, "Hochwasser", "de", [(0.0, 2.0, "Wasser.")])
    store_transcript(archive, story, None, [Cue(0, 2, "Wasser."), Cue(2, 7.5, "Keller.")], "de", "vtt", "x")
    assert archive.story(story, KEEPER).duration_s == 7.5


def test_an_english_transcript_s_lines_are_their_own_english(archive):
    story = add_story(archive, "Flood", "en", [(0.0, 2.0, "Water.")])
    cues = [Cue(0, 2, "Water came.", english="Water came, it says."), Cue(2, 4, "Wasser.", language="de",
                                                                           english="Water.")]
    assert store_transcript(archive, story, 4.0, cues, "en", "ohms", "x")
    assert [s.text_en for s in archive.segments(story, KEEPER)] == [None, "Water."]


def test_a_superscript_digit_is_not_read_as_a_number():
    # "²" is a digit to str.isdigit() but not to int(): it was a ValueError, not the file's fault said
    read = parse_transcript(_ohms("<duration>00:0²:30</duration><transcript>Hi [00:00:05] there.</transcript>"))
    assert [(c.start, c.end) for c in read.cues] == [(0.0, 5.0), (5.0, 5.0)]  # no duration read
    with pytest.raises(TranscriptError, match="does not start with its interval in minutes"):
        parse_transcript(_ohms("<sync>²:|1(2)</sync><transcript>Eins zwei drei</transcript>"))
