"""Numbers that name things in the archive are never given to something else: links
(/stories/N), editors loaded before (segment ids) and exports hold them. SQLite gives the
largest id in a table plus one, so the numbers of the newest rows, once deleted, came back:
after a transcript that found no speech, after an erasure, and after a restore from a
backup, which lacks what was made after its snapshot (migration 0026)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from storyatlas.archive import Archive, Viewer, accounts, corrections, index_points
from storyatlas.archive import backup as backups
from storyatlas.archive.erasure import erase
from storyatlas.archive.records import IndexPoint
from storyatlas.errors import Conflict, NotFound, StoryAtlasError
from storyatlas.web.app import create_app
from tests.archive.test_transcribed_again import AGAIN, LINES, transcribe_again
from tests.conftest import add_story, old_archive, rewind
from tests.web.test_corrections_api import PASSWORD, _sign_in

KEEPER = Viewer.keeper("cli:test")
VERA = Viewer("Vera", frozenset({"volunteer"}))


def _ids(archive: Archive, story: int) -> set[int]:
    return {s.id for s in archive.segments(story, KEEPER)}


# segments ----------------------------------------------------------------------------------

def test_a_story_transcribed_again_after_finding_no_speech_does_not_give_its_old_ids_again(archive):
    story = add_story(archive, "The flood", "en", LINES)  # the newest rows: their ids are the highest
    loaded = corrections.transcript(archive, story, VERA)
    transcribe_again(archive, story, [])  # the model heard nothing: no segment holds the ids
    transcribe_again(archive, story, AGAIN)
    assert not _ids(archive, story) & {s.id for s in loaded.segments}
    with pytest.raises(Conflict, match="reload the transcript"):
        corrections.set_text(archive, story, loaded.segments[0].id, "We pumped the cellar dry.", VERA, base=0)
    assert [s.text for s in archive.segments(story, KEEPER)] == [text for _, _, text in AGAIN]

    # nor does another story's transcript take them, nor one after the archive is opened again
    heard = _ids(archive, story)
    transcribe_again(archive, story, [])
    with Archive(archive.path) as again:
        other = add_story(again, "Another", "en", [(0.0, 2.0, "A dry summer.")])
        assert min(_ids(again, other)) > max(heard)
        assert again.conn.execute("SELECT count(*) FROM segments WHERE story_id = ?", (story,)).fetchone()[0] == 0
        assert again.conn.execute("SELECT count(*) FROM segment_terms").fetchone()[0] == 1  # no stand-in left


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings), base_url="http://testserver") as c:
        yield c


def test_an_edit_from_before_a_transcript_with_no_speech_is_refused_with_409(client, settings):
    with Archive(settings.database) as archive:
        accounts.add_user(archive, "Vera", PASSWORD, [("volunteer", None)], KEEPER)
        story = add_story(archive, "The flood", "en", LINES)
    _sign_in(client, "Vera")
    url = f"/api/stories/{story}"
    first = client.get(f"{url}/transcript").json()["segments"][0]["id"]  # loaded at revision 0
    with Archive(settings.database) as archive:
        transcribe_again(archive, story, [])
        transcribe_again(archive, story, AGAIN)  # still revision 0: only the segments tell
    stale = client.patch(f"{url}/segments/{first}", json={"text": "We pumped the cellars dry.", "base": 0})
    assert stale.status_code == 409 and "reload the transcript" in stale.json()["error"]
    assert [s["text"] for s in client.get(f"{url}/transcript").json()["segments"]] == [x[2] for x in AGAIN]


def test_the_segments_of_an_erased_story_do_not_give_their_ids_again(archive, settings):
    kept = add_story(archive, "Kept", "en", [(0.0, 2.0, "A dry summer.")])
    gone = add_story(archive, "Withdrawn", "en", LINES)
    erased = _ids(archive, gone)
    erase(archive, settings.media_dir, gone, "cli:test", "withdrawn by the storyteller")
    again = add_story(archive, "Next", "en", LINES)
    assert again > gone and min(_ids(archive, again)) > max(erased | _ids(archive, kept))


def test_an_archive_upgraded_knows_its_numbers(tmp_path):
    path = tmp_path / "archive.db"
    old_archive(path, 25, "en", "We pumped the cellar dry.")  # story 1, segment 1
    with Archive(path) as archive:
        assert dict(archive.conn.execute("SELECT name, last FROM ids_given").fetchall()) == \
               {"stories": 1, "segments": 1, "index_points": 0}
        transcribe_again(archive, 1, [])
        transcribe_again(archive, 1, AGAIN)
        assert min(_ids(archive, 1)) == 2
    # and one marked older that holds it already opens (the migration runs again)
    with Archive(path) as archive:
        rewind(archive.conn, 25)
        archive.conn.execute("INSERT INTO tombstones (story_id, files) VALUES (7, '[]')")
    with Archive(path) as archive:
        assert dict(archive.conn.execute("SELECT name, last FROM ids_given").fetchall()) == \
               {"stories": 7, "segments": 4, "index_points": 0}
        assert add_story(archive, "Next", "en", LINES) == 8


# index points ------------------------------------------------------------------------------

def test_a_removed_index_point_does_not_give_its_number_again(archive):
    story = add_story(archive, "The flood", "en", LINES)
    index_points.add(archive, story, IndexPoint(1.0, "The cellar"), VERA)
    newest = index_points.add(archive, story, IndexPoint(2.0, "The pump"), VERA).id
    index_points.remove(archive, newest, VERA)  # while a moderator's page still lists it
    added = index_points.add(archive, story, IndexPoint(3.0, "The dry summer"), VERA)
    assert added.id > newest
    with pytest.raises(NotFound):  # that page's change of the removed point reaches no other point
        index_points.edit(archive, newest, IndexPoint(2.5, "The pump, later"), VERA)
    assert [p.title for p in index_points.points(archive, story, VERA)] == ["The cellar", "The dry summer"]
    with Archive(archive.path) as again:  # nor after the archive is opened again
        assert index_points.add(again, story, IndexPoint(4.0, "Autumn"), VERA).id > added.id


def test_a_restored_archive_gives_no_index_point_number_again(tmp_path, settings):
    live = tmp_path / "live" / "archive.db"
    with Archive(live) as archive:
        story = add_story(archive, "The flood", "en", LINES)
        backups.backup(archive, live.parent / "media", tmp_path / "backup", KEEPER)
        late = index_points.add(archive, story, IndexPoint(1.0, "After the snapshot"), VERA).id
    backups.restore(tmp_path / "backup", settings.database, settings.media_dir, KEEPER)
    with Archive(settings.database) as restored:
        assert index_points.add(restored, story, IndexPoint(2.0, "Someone else's"), VERA).id > late


# restore -------------------------------------------------------------------------------------

def _live_with_a_story_after_the_backup(tmp_path: Path) -> tuple[Path, Path, int, set[int]]:
    """An archive backed up, then given a story (and its segments) the backup lacks."""
    live = tmp_path / "live" / "archive.db"
    with Archive(live) as archive:
        add_story(archive, "Before the snapshot", "en", LINES)
        backups.backup(archive, live.parent / "media", tmp_path / "backup", KEEPER)
        late = add_story(archive, "Anna's story, after the snapshot", "en", LINES)
        return live, tmp_path / "backup", late, _ids(archive, late)


def _new_story_in(database: Path) -> tuple[int, set[int]]:
    with Archive(database) as restored:
        story = add_story(restored, "Someone else's story", "en", AGAIN)
        return story, _ids(restored, story)


def test_a_restored_archive_gives_no_number_the_archive_it_replaces_gave(tmp_path, settings):
    live, backup, late, late_segments = _live_with_a_story_after_the_backup(tmp_path)
    done = backups.restore(backup, settings.database, settings.media_dir, KEEPER)  # a new folder; the live one stays
    assert (done.stories, done.numbers_from) == (1, live.resolve())
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        # a link to the story made after the snapshot, shared before the restore: not there
        assert client.get(f"/stories/{late}").status_code == 404
        story, segments = _new_story_in(settings.database)
        assert story > late and min(segments) > max(late_segments)
        assert client.get(f"/stories/{late}").status_code == 404  # still: not someone else's story
        page = client.get(f"/stories/{story}")
        assert page.status_code == 200 and "Someone else&#39;s story" in page.text


def test_a_restore_keeps_the_numbers_of_the_archive_moved_aside(tmp_path):
    live, backup, late, late_segments = _live_with_a_story_after_the_backup(tmp_path)
    aside = tmp_path / "aside"
    shutil.move(live.parent, aside)  # as the README says: move the old one aside, restore in its place
    missing = tmp_path / "nowhere" / "archive.db"
    with pytest.raises(StoryAtlasError, match="cannot be read"):
        backups.restore(backup, live, live.parent / "media", KEEPER, replacing=missing)
    assert not live.exists()  # nothing was restored

    done = backups.restore(backup, live, live.parent / "media", KEEPER, replacing=aside / "archive.db")
    assert done.numbers_from == aside / "archive.db"
    story, segments = _new_story_in(live)
    assert story > late and min(segments) > max(late_segments)


def test_a_restore_without_the_archive_replaced_says_so(tmp_path):
    live, backup, late, _ = _live_with_a_story_after_the_backup(tmp_path)
    shutil.move(live.parent, tmp_path / "aside")
    with Archive(live) as another:  # a new archive where it was: its numbers are none of the backup's
        for n in range(5):
            add_story(another, f"Not the same archive {n}", "en", LINES)
    restored = tmp_path / "restored" / "archive.db"
    done = backups.restore(backup, restored, restored.parent / "media", KEEPER)
    assert done.numbers_from is None  # nothing known of what came after the snapshot
    with sqlite3.connect(restored) as conn:  # the other archive's numbers (up to 5) were not taken
        assert conn.execute("SELECT max(id), (SELECT last FROM ids_given WHERE name = 'stories') FROM stories"
                            ).fetchone() == (late - 1, 0)


# revisions -----------------------------------------------------------------------------------

def _edit(archive: Archive, story: int, text: str, base: int) -> int:
    first = corrections.transcript(archive, story, VERA).segments[0].id
    return corrections.set_text(archive, story, first, text, VERA, base=base).revision


def test_a_restored_story_gives_no_revision_number_again_so_an_editor_from_before_is_refused(tmp_path, settings):
    live = tmp_path / "live" / "archive.db"
    with Archive(live) as archive:
        kept = add_story(archive, "Corrected before the snapshot", "en", LINES)
        late = add_story(archive, "Corrected after it", "en", LINES)
        assert _edit(archive, kept, "We pumped the cellar dry.", 0) == 1
        backups.backup(archive, live.parent / "media", tmp_path / "backup", KEEPER)
        assert [_edit(archive, kept, f"Edit {n}.", n) for n in (1, 2)] == [2, 3]
        assert [_edit(archive, late, f"Edit {n}.", n) for n in (0, 1)] == [1, 2]
        # an editor loaded now holds revision 3 (and 2): its next save names it as its base
        loaded = {story: corrections.transcript(archive, story, VERA) for story in (kept, late)}
    backups.restore(tmp_path / "backup", settings.database, settings.media_dir, KEEPER)

    with Archive(settings.database) as restored:
        # each story is one revision past the newest the replaced archive saved, and says why
        assert [r.number for r in corrections.revisions(restored, kept, VERA)] == [4, 1, 0]
        assert [r.number for r in corrections.revisions(restored, late, VERA)] == [3, 0]
        assert "up to revision 3, are not in it" in corrections.revisions(restored, kept, VERA)[0].summary
        assert corrections.transcript(restored, kept, VERA).segments[0].text == "We pumped the cellar dry."
        # saves made in the restored archive never give the editor's number again ...
        assert _edit(restored, kept, "Said again after the restore.", 4) == 5
        for story, stale in loaded.items():
            segment = stale.segments[0].id
            with pytest.raises(Conflict, match="reload the transcript"):  # ... so its save is refused
                corrections.set_text(restored, story, segment, "From before the restore.", VERA,
                                     base=stale.revision)
        assert corrections.transcript(restored, kept, VERA).segments[0].text == "Said again after the restore."


def test_a_story_transcribed_at_the_snapshot_holds_its_number_for_the_draft_made_again(tmp_path, settings):
    live = tmp_path / "live" / "archive.db"
    with Archive(live) as archive:
        story = add_story(archive, "Being transcribed at the snapshot", "en", LINES)
        with archive.transaction() as c:
            c.execute("UPDATE jobs SET state = 'queued' WHERE story_id = ?", (story,))
        backups.backup(archive, live.parent / "media", tmp_path / "backup", KEEPER)
        with archive.transaction() as c:
            c.execute("UPDATE jobs SET state = 'done' WHERE story_id = ?", (story,))
        assert [_edit(archive, story, f"Edit {n}.", n) for n in (0, 1)] == [1, 2]
        stale = corrections.transcript(archive, story, VERA)
    backups.restore(tmp_path / "backup", settings.database, settings.media_dir, KEEPER)

    with Archive(settings.database) as restored:
        assert corrections.revisions(restored, story, VERA) == []  # the machine's draft is made again, not kept
        transcribe_again(restored, story, AGAIN)  # as its worker then does
        assert corrections.transcript(restored, story, VERA).revision == 3  # past the editor's 2
        with pytest.raises(Conflict, match="reload the transcript"):
            corrections.name_speaker(restored, story, "A", "Anna", VERA, base=stale.revision)
        assert _edit(restored, story, "Said after the restore.", 3) == 4
        assert [r.number for r in corrections.revisions(restored, story, VERA)] == [4, 0]


def test_another_archive_named_as_replaced_gives_its_numbers_but_says_no_revision_lost(tmp_path, settings):
    live = tmp_path / "live" / "archive.db"
    with Archive(live) as archive:
        story = add_story(archive, "In the backup", "en", LINES)
        backups.backup(archive, live.parent / "media", tmp_path / "backup", KEEPER)
    other = tmp_path / "other" / "archive.db"
    with Archive(other) as another:  # its story of that number is another story
        assert add_story(another, "Someone else's", "en", LINES) == story
        assert [_edit(another, story, f"Edit {n}.", n) for n in (0, 1)] == [1, 2]
        newest = add_story(another, "Someone else's too", "en", LINES)
    done = backups.restore(tmp_path / "backup", settings.database, settings.media_dir, KEEPER, replacing=other)
    assert done.numbers_from == other
    with Archive(settings.database) as restored:
        assert corrections.revisions(restored, story, VERA) == []  # nothing of the other's said lost here
        assert add_story(restored, "Next", "en", LINES) == newest + 1  # the keeper's word: its numbers kept
