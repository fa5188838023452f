import os
import stat
import wave
from dataclasses import replace

import pytest

from storyatlas.archive import Place, StoryMetadata, Viewer
from storyatlas.archive.media_folder import sha256_file
from storyatlas.ingest import find_media, ingest_file, ingest_paths
from storyatlas.ingest.probe import picture_size, probe
from storyatlas.ingest.store import MediaStore
from tests.conftest import FORMATS, VIDEO_FORMATS, ffmpeg

STORY_S = 17.4  # length of the English story (tests/data/speech.json)
KEEPER = Viewer.keeper()  # the archive's own tools (`storyatlas ingest`)


@pytest.mark.parametrize("suffix", [*FORMATS, *VIDEO_FORMATS])
def test_each_format_is_kept_and_made_into_speech_audio(archive, settings, media_dir, suffix):
    path = media_dir / f"story.{suffix}"
    result = ingest_file(archive, path, StoryMetadata(), settings, KEEPER)

    assert result.ok and not result.duplicate
    original = archive.media(result.story_id, "original", KEEPER)
    stored = MediaStore(settings.media_dir).absolute(original.path)
    assert sha256_file(stored) == sha256_file(path) == original.sha256  # byte for byte
    assert not os.stat(stored).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert original.has_video == (suffix in VIDEO_FORMATS)
    assert original.path.endswith("." + {"opus": "ogg"}.get(suffix, suffix))  # named as its content says

    speech = MediaStore(settings.media_dir).absolute(archive.media(result.story_id, "speech", KEEPER).path)
    with wave.open(str(speech)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        assert w.getnframes() / 16000 == pytest.approx(STORY_S, abs=0.5)
    listen = MediaStore(settings.media_dir).absolute(archive.media(result.story_id, "listen", KEEPER).path)
    assert listen.stat().st_size > 1000 and listen.suffix == ".webm"
    assert archive.job_for_story(result.story_id, KEEPER).state == "queued"


def test_a_recording_with_cover_art_is_no_video(archive, settings, media_dir, tmp_path):
    cover = tmp_path / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x64", "-frames:v", "1", str(cover))
    tagged = tmp_path / "tagged.mp3"
    ffmpeg("-i", str(media_dir / "story.mp3"), "-i", str(cover), "-map", "0:a", "-map", "1:v", "-c", "copy",
           "-disposition:v", "attached_pic", "-id3v2_version", "3", str(tagged))
    result = ingest_file(archive, tagged, StoryMetadata(), settings, KEEPER)
    assert not archive.media(result.story_id, "original", KEEPER).has_video  # an album cover, not a picture that moves
    assert picture_size(tagged) is None  # nor a picture for the IIIF description
    assert picture_size(media_dir / "story.mp4") == (160, 120)


def test_windows_media_audio_is_kept_as_wma(media_dir, tmp_path):
    wma = tmp_path / "story.wma"
    ffmpeg("-i", str(media_dir / "story.mp3"), "-ac", "2", "-c:a", "wmav2", "-b:a", "64k", str(wma))
    found = probe(wma)
    assert (found.container, found.extension, found.channels) == ("asf", "wma", 2)  # FFmpeg calls it asf


def test_metadata_is_kept_and_title_defaults_to_the_file_name(archive, settings, media_dir, tmp_path):
    named = tmp_path / "grandma_on-the flood.mp3"
    named.write_bytes((media_dir / "story.mp3").read_bytes())
    meta = StoryMetadata(collection="Flood memories", place=Place.parse("Zgorzelec, Lower Silesia, PL"),
                         recorded_on="2026-03", language_hint="en", storyteller=None,
                         description="At the kitchen table")
    story = archive.story(ingest_file(archive, named, meta, settings, KEEPER).story_id, KEEPER)

    assert story.title == "grandma on the flood"
    assert story.place == Place("Zgorzelec", "Lower Silesia", "PL")
    assert (story.collection, story.recorded_on, story.language_hint) == ("Flood memories", "2026-03", "en")
    assert story.storyteller is None and story.description == "At the kitchen table"
    assert archive.media(story.id, "original", KEEPER).original_filename == "grandma_on-the flood.mp3"


def test_the_store_uses_generated_names_whatever_the_file_is_called(archive, settings, media_dir, tmp_path):
    odd = tmp_path / "..\\..\\etc passwd; rm -rf ~.ogg"
    odd.write_bytes((media_dir / "story.ogg").read_bytes())
    result = ingest_file(archive, odd, StoryMetadata(), settings, KEEPER)
    original = archive.media(result.story_id, "original", KEEPER)

    assert original.path == f"originals/{original.sha256[:2]}/{original.sha256}.ogg"
    assert (settings.media_dir / original.path).resolve().is_relative_to(settings.media_dir.resolve())


def test_the_same_recording_twice_is_recognised(archive, settings, media_dir, tmp_path):
    copy = tmp_path / "copy of the story.flac"
    copy.write_bytes((media_dir / "story.flac").read_bytes())
    first = ingest_file(archive, media_dir / "story.flac", StoryMetadata(), settings, KEEPER)
    second = ingest_file(archive, copy, StoryMetadata(title="again"), settings, KEEPER)

    assert second.duplicate and second.story_id == first.story_id and second.job_id is None
    assert archive.count_stories(KEEPER) == 1
    originals = list((settings.media_dir / "originals").rglob("*.flac"))
    assert len(originals) == 1


def test_folders_are_walked_recursively_and_other_files_skipped(archive, settings, media_dir, tmp_path):
    workshop = tmp_path / "workshop"
    (workshop / "day2").mkdir(parents=True)
    (workshop / "a.m4a").write_bytes((media_dir / "story.m4a").read_bytes())
    (workshop / "day2" / "b.webm").write_bytes((media_dir / "story.webm").read_bytes())
    (workshop / "notes.txt").write_text("who spoke when")

    found = list(find_media([workshop]))
    results = ingest_paths(archive, [workshop], StoryMetadata(collection="W"), settings, KEEPER)

    assert [p.name for p in found] == ["a.m4a", "b.webm"]
    assert [r.ok for r in results] == [True, True]
    assert {s.collection for s in archive.stories(KEEPER)} == {"W"}


def test_the_walk_takes_media_in_name_order_and_leaves_hidden_files_and_folders(tmp_path):
    day = [f"a/{n}.ogg" for n in "qwertyuiop"]  # made out of order: a folder lists in an order of its own
    for name in ("b/2.ogg", *day, "a/1.OGG", "a/0.Mp3", ".thumbnails/x.ogg", "a/.partial.ogg", "c.txt",
                 "b/.git/3.ogg"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert [p.relative_to(tmp_path).as_posix() for p in find_media([tmp_path])] == [
        "a/0.Mp3", "a/1.OGG", *sorted(day), "b/2.ogg"]


@pytest.mark.parametrize("sent_as, title", [
    ("C:\\Users\\Ana\\Babcia__opowiada--powódź.ogg", "Babcia opowiada powódź"),
    ("___ - .ogg", "Untitled story"),
])
def test_a_story_is_titled_from_the_name_the_file_was_sent_as(archive, settings, media_dir, sent_as, title):
    result = ingest_file(archive, media_dir / "story.ogg", StoryMetadata(), settings, KEEPER, original_name=sent_as)
    assert archive.story(result.story_id, KEEPER).title == title
    assert archive.media(result.story_id, "original", KEEPER).original_filename == sent_as


def test_a_title_made_from_a_file_name_is_cleaned_and_cut_as_a_typed_one(archive, settings, media_dir):
    """Both are printed on the keepers' terminals (`storyatlas stories`), where an escape works."""
    escaped = ingest_file(archive, media_dir / "story.ogg", StoryMetadata(), settings, KEEPER,
                          original_name="\x1b[2J\x1b]0;pwned\x07Evil\tname.ogg")
    assert archive.story(escaped.story_id, KEEPER).title == "[2J]0;pwnedEvil name"
    assert archive.media(escaped.story_id, "original", KEEPER).original_filename == "[2J]0;pwnedEvil name.ogg"
    long = ingest_file(archive, media_dir / "story.m4a", StoryMetadata(), settings, KEEPER,
                       original_name="A" * 60_000 + ".ogg")
    assert archive.story(long.story_id, KEEPER).title == "A" * 500
    assert archive.media(long.story_id, "original", KEEPER).original_filename == "A" * 500


def test_a_file_longer_than_the_limit_is_refused_before_decoding(archive, settings, media_dir):
    from storyatlas.errors import MediaError

    with pytest.raises(MediaError, match="longer than the .* limit"):
        ingest_file(archive, media_dir / "story.wav", StoryMetadata(), replace(settings, max_duration_s=5), KEEPER)
    assert archive.count_stories(KEEPER) == 0
