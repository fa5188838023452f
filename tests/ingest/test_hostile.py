"""Files built to make FFmpeg read something else, or to cost far more than they weigh:
each is refused with a reason, nothing it names is read, and the archive stays as it was."""

from __future__ import annotations

import http.server
import os
import struct
import sys
import threading
from pathlib import Path

import pytest

from storyatlas.archive import StoryMetadata, Viewer
from storyatlas.errors import MediaError
from storyatlas.ingest import ingest_file
from storyatlas.ingest.audio import ffmpeg_input, make_speech_wav
from storyatlas.ingest.probe import probe
from tests.conftest import story_file

KEEPER = Viewer.keeper()
NAMES_OTHERS = "the archive reads only audio and video files themselves"


def _stories(archive) -> int:
    return archive.conn.execute("SELECT count(*) FROM stories").fetchone()[0]


def _media_files(settings) -> list[Path]:
    return [p for p in settings.media_dir.rglob("*") if p.is_file()] if settings.media_dir.exists() else []


class _Server:
    """A web server on loopback that counts what is asked of it."""

    def __init__(self) -> None:
        asked = self.asked = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                asked.append(self.path)
                body = story_file("en").read_bytes()
                self.send_response(200)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


@pytest.fixture
def someone_elses_upload(tmp_path) -> Path:
    """Another person's recording, half uploaded, beside the hostile file."""
    part = tmp_path / "Zq4xR2v9Tn8wLp3sYb6kHd1m.part"
    part.write_bytes(story_file("en").read_bytes())
    return part


def _hostile_files(folder: Path, other: Path, url: str) -> dict[str, tuple[Path, str]]:
    files = {
        # a concat list as an upload is stored: under a generated name without an extension it knows
        "ffconcat": ("upload.part", f"ffconcat version 1.0\nfile '{other.name}'\n", "list of other files"),
        "ffconcat named so": ("list.ffconcat", f"ffconcat version 1.0\nfile '{other}'\n", "list of other files"),
        "m3u8 to a local file": ("list.m3u8", "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:20\n"
                                 f"#EXTINF:18.0,\n{other.name}\n#EXT-X-ENDLIST\n", "playlist"),
        "m3u8 to a web address": ("live.m3u8", "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:20\n"
                                  f"#EXTINF:18.0,\n{url}/story.ogg\n#EXT-X-ENDLIST\n", "playlist"),
        "m3u to a local file": ("list.m3u", f"#EXTM3U\n#EXTINF:18,Anna\n{other}\n", "playlist"),
        "m3u to a web address": ("web.m3u", f"#EXTM3U\n#EXTINF:18,Anna\n{url}/story.ogg\n", "playlist"),
        "m3u8 uploaded": ("other.part", "#EXTM3U\n#EXT-X-TARGETDURATION:20\n"
                          f"#EXTINF:18.0,\n{url}/story.ogg\n#EXT-X-ENDLIST\n", "playlist"),
        "dash manifest": ("stream.mpd", '<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" '
                          'type="static" mediaPresentationDuration="PT18S" minBufferTime="PT2S" '
                          'profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">'
                          f'<BaseURL>{url}/</BaseURL><Period><AdaptationSet mimeType="audio/ogg">'
                          '<Representation id="a" bandwidth="32000" codecs="opus">'
                          '<BaseURL>story.ogg</BaseURL></Representation></AdaptationSet></Period></MPD>\n',
                          "manifest"),
        "hls without its header": ("list.part", f"#EXT-X-VERSION:3\n#EXTINF:18.0,\n{other.name}\n", "playlist"),
        "plain m3u": ("plain.m3u", f"{other}\n", "playlist"),
        "m3u with a byte order mark": ("bom.part", f"\ufeff\n #EXTM3U\n#EXTINF:18,Anna\n{other}\n", "playlist"),
        "subtitles": ("story.srt", "1\n00:00:00,000 --> 00:00:04,000\nMy name is Anna\n", "subtitles"),
        "web subtitles": ("story.vtt", "WEBVTT\n\n00:00.000 --> 00:04.000\nMy name is Anna\n", "subtitles"),
        "styled subtitles": ("story.ass", "[Script Info]\nTitle: Anna\nScriptType: v4.00+\n", "subtitles"),
    }
    made = {}
    for name, (filename, text, reason) in files.items():
        path = folder / filename
        path.write_text(text)
        made[name] = (path, reason)
    return made


def test_lists_playlists_and_manifests_are_refused_without_reading_what_they_name(
        archive, settings, tmp_path, someone_elses_upload, server):
    for name, (path, reason) in _hostile_files(tmp_path, someone_elses_upload, server.url).items():
        with pytest.raises(MediaError, match=reason) as refused:
            ingest_file(archive, path, StoryMetadata(), settings, KEEPER)
        assert NAMES_OTHERS in str(refused.value), name
        assert _stories(archive) == 0 and _media_files(settings) == [], name
    assert server.asked == []  # no web address was followed


def test_decoding_reads_only_the_file_with_the_demuxer_the_probe_allowed(tmp_path, someone_elses_upload):
    # even if a caller skipped the probe, ffmpeg is not let near a concat list's demuxer
    concat = tmp_path / "upload.part"
    concat.write_text(f"ffconcat version 1.0\nfile '{someone_elses_upload.name}'\n")
    for demuxer in ("concat", "hls", "dash", "image2", "tee", "srt"):
        with pytest.raises(MediaError, match="not an audio or video container"):
            ffmpeg_input(concat, demuxer)
    with pytest.raises(MediaError, match="list of other files"):
        make_speech_wav(concat, tmp_path / "speech.wav", 3600)
    # told it is Ogg, ffmpeg finds no Ogg in the list and reads nothing else
    with pytest.raises(MediaError, match="no audio could be decoded"):
        make_speech_wav(concat, tmp_path / "speech.wav", 3600, demuxer="ogg")
    assert not (tmp_path / "speech.wav").exists()
    args = ffmpeg_input(concat, "ogg")
    assert args[args.index("-i") + 1] == f"file:{concat.resolve()}"
    assert args[args.index("-protocol_whitelist") + 1] == "file"


def _wav_header(rate: int, data_bytes: int) -> bytes:
    """A PCM WAV header (16-bit mono) declaring ``rate`` samples a second."""
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    return (b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
            + b"data" + struct.pack("<I", data_bytes))


@pytest.mark.parametrize("rate", [8, 1000, 3_000_000])
def test_an_absurd_sample_rate_is_refused_before_anything_is_made(archive, settings, tmp_path, rate):
    # 224 KB declaring 8 Hz once became 547 MB of speech WAV and listening copy
    data = bytes((i * 37) % 256 for i in range(224 * 1024))
    wav = tmp_path / "tiny.wav"
    wav.write_bytes(_wav_header(rate, len(data)) + data)
    with pytest.raises(MediaError, match=f"declares {rate:,} samples a second") as refused:
        ingest_file(archive, wav, StoryMetadata(), settings, KEEPER)
    assert "export it again" in str(refused.value)
    assert _stories(archive) == 0 and _media_files(settings) == []
    with pytest.raises(MediaError, match="samples a second"):
        make_speech_wav(wav, tmp_path / "speech.wav", settings.max_duration_s, tmp_path / "listen.webm")
    assert not (tmp_path / "speech.wav").exists() and not (tmp_path / "listen.webm").exists()


def test_real_sample_rates_still_pass(tmp_path):
    for rate in (8_000, 16_000, 44_100, 48_000, 96_000):
        samples = b"".join(struct.pack("<h", (i * 997) % 20000 - 10000) for i in range(rate // 2))
        wav = tmp_path / f"r{rate}.wav"
        wav.write_bytes(_wav_header(rate, len(samples)) + samples)
        assert probe(wav).sample_rate == rate


def test_decoding_that_takes_too_long_is_stopped_and_leaves_nothing(tmp_path):
    speech, listen = tmp_path / "speech.wav", tmp_path / "listen.webm"
    with pytest.raises(MediaError, match="decoding took longer than") as refused:
        make_speech_wav(story_file("en"), speech, 3600, listen, timeout_s=0.01)
    assert "export it again" in str(refused.value)
    assert not speech.exists() and not listen.exists()
    # with its usual limit the same file decodes
    assert make_speech_wav(story_file("en"), speech, 3600, listen).duration_s > 15


@pytest.mark.skipif(sys.getfilesystemencoding() != "utf-8", reason="names in bytes are a UTF-8 file system's")
def test_a_file_named_in_bytes_that_are_not_utf8_is_taken_in_with_them_shown_as_unknown(archive, settings, tmp_path):
    # as a file system from another machine names it: Python reads the bytes as surrogate
    # escapes, which SQLite cannot store (a UnicodeEncodeError after the files before it)
    path = Path(os.fsdecode(bytes(tmp_path) + b"/Anna \xff\xfe story.ogg"))
    path.write_bytes(story_file("en").read_bytes())
    result = ingest_file(archive, path, StoryMetadata(), settings, KEEPER)
    assert archive.story(result.story_id, KEEPER).title == "Anna \ufffd\ufffd story"
    assert archive.media(result.story_id, "original", KEEPER).original_filename == "Anna \ufffd\ufffd story.ogg"
