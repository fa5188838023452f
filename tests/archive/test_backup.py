"""Backups: a copy that holds together while the archive is written to, that follows
withdrawals at its next run, and that makes the archive again."""

import errno
import json
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyatlas.archive import Archive, StoryMetadata, Viewer, audit
from storyatlas.archive import backup as backups
from storyatlas.archive.erasure import erase
from storyatlas.cli_keepers import backup as backup_command
from storyatlas.cli_keepers import restore as restore_command
from storyatlas.errors import AccessDenied, StoryAtlasError
from storyatlas.ingest import ingest_file
from storyatlas.ingest.store import READ_ONLY
from tests.archive.test_erasure import _containing
from tests.conftest import add_story, story_file

KEEPER = Viewer.keeper("test keeper")


def _ingest(archive, settings, lang: str, title: str) -> int:
    return ingest_file(archive, story_file(lang), StoryMetadata(title=title), settings, KEEPER).story_id


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` but the scratch space, by its path there."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and not p.relative_to(folder).as_posix().startswith("tmp/")}


def _original(archive, story_id: int) -> str:
    return archive.media(story_id, "original", KEEPER).path


def test_a_restored_backup_is_the_archive_as_it_was(archive, settings, tmp_path):
    first = _ingest(archive, settings, "en", "The bakery on Mill Street")
    second = _ingest(archive, settings, "de", "Der Damm")
    third = _ingest(archive, settings, "es", "La presa")
    archive.finish_job(archive.job_for_story(first, KEEPER).id, "done")
    assert archive.claim_job(archive.job_for_story(third, KEEPER).id)  # this process's worker has it

    done = backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    assert (done.stories, done.files, done.files_copied, done.files_removed, done.missing) == (3, 9, 9, 0, ())
    assert done.bytes == sum(map(len, _files(settings.media_dir).values()))
    assert stat.S_IMODE((tmp_path / "backup").stat().st_mode) == 0o700  # its owner's only
    manifest = json.loads((tmp_path / "backup" / backups.MANIFEST).read_text())
    assert (manifest["archive"], manifest["made_at"], manifest["stories"]) == (archive.identity(), done.made_at, 3)

    new = tmp_path / "restored"
    restored = backups.restore(tmp_path / "backup", new / "archive.db", new / "media", KEEPER)
    assert (restored.stories, restored.files, restored.damaged, restored.made_at) == (3, 9, (), done.made_at)
    assert restored.requeued == 1
    assert _files(new / "media") == _files(settings.media_dir)
    assert stat.S_IMODE((new / "media" / _original(archive, first)).stat().st_mode) == READ_ONLY
    with Archive(new / "archive.db") as again:
        assert [s.title for s in again.stories(KEEPER)] == ["The bakery on Mill Street", "Der Damm", "La presa"]
        assert again.media(first, "listen", KEEPER) == archive.media(first, "listen", KEEPER)
        # the jobs table is the truth: a worker takes up the stories not yet processed, the
        # one being processed at the snapshot too (its worker, alive, works on the other archive)
        assert [again.job_for_story(s, KEEPER).state for s in (first, second, third)] == ["done", "queued", "queued"]
        assert [j.story_id for j in again.unfinished_jobs()] == [second, third]
        assert again.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # who restored it, from when, and what that means for withdrawals, in its audit log
        entry = audit.entries(again, KEEPER)[0]
        assert (entry.who, entry.action) == ("test keeper", "archive restored")
        assert entry.detail == (f"from the backup of {done.made_at} in {tmp_path / 'backup'}: stories erased since "
                                "then are in it again")
    # and who made the backup, where, in the archive's own
    entry = audit.entries(archive, KEEPER)[0]
    assert (entry.who, entry.action, entry.detail) == (
        "test keeper", "backup made",
        f"to {tmp_path / 'backup'}: the archive as it was at {done.made_at} (number of stories: 3)")


def test_only_admins_back_up_or_restore(archive, settings, tmp_path):
    _ingest(archive, settings, "en", "A story")
    backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    moderator = Viewer(name="Marta", roles=frozenset({"moderator"}), moderates=frozenset({"Zgorzelec"}))
    for who in (moderator, Viewer.anonymous()):
        with pytest.raises(AccessDenied, match="only the archive's admins"):
            backups.backup(archive, settings.media_dir, tmp_path / "elsewhere", who)
        with pytest.raises(AccessDenied, match="only the archive's admins"):
            backups.restore(tmp_path / "backup", tmp_path / "new" / "archive.db", tmp_path / "new" / "media", who)
    assert not (tmp_path / "elsewhere").exists() and not (tmp_path / "new").exists()
    with pytest.raises(AccessDenied):  # nor when the last one was made (/admin/audit)
        audit.last(archive, moderator, "backup made")


def test_a_second_run_copies_only_what_changed(archive, settings, tmp_path):
    _ingest(archive, settings, "en", "First")
    backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    _ingest(archive, settings, "es", "Second")
    again = backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    assert (again.stories, again.files, again.files_copied, again.files_removed) == (2, 6, 3, 0)
    assert not list((tmp_path / "backup").rglob("*.partial"))
    # one file, not in WAL mode (the header's version bytes), so that it can be read
    # where it is, from a disk mounted read-only
    assert (tmp_path / "backup" / "archive.db").read_bytes()[18:20] == b"\x01\x01"
    copy = sqlite3.connect(f"file:{tmp_path / 'backup' / 'archive.db'}?mode=ro", uri=True)
    assert copy.execute("SELECT count(*) FROM stories").fetchone()[0] == 2
    copy.close()


def test_a_backup_waits_for_no_writer_and_holds_what_was_committed(archive, settings, tmp_path, monkeypatch):
    story = _ingest(archive, settings, "en", "As committed")
    writer = sqlite3.connect(settings.database, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")  # the server in the middle of saving a change
    writer.execute("UPDATE stories SET title = 'Half-written' WHERE id = ?", (story,))
    copy = backups._copy_files

    def committed_after_the_snapshot(*args):
        writer.execute("COMMIT")  # the snapshot was taken while the writer held its lock
        return copy(*args)

    monkeypatch.setattr(backups, "_copy_files", committed_after_the_snapshot)
    backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    writer.close()
    snapshot = sqlite3.connect(f"file:{tmp_path / 'backup' / 'archive.db'}?mode=ro", uri=True)
    assert snapshot.execute("SELECT title FROM stories").fetchall() == [("As committed",)]
    snapshot.close()
    assert archive.story(story, KEEPER).title == "Half-written"


def test_a_backup_the_audit_log_cannot_record_is_made_and_says_so(archive, settings, tmp_path, monkeypatch):
    _ingest(archive, settings, "en", "A story")
    writer = sqlite3.connect(settings.database, isolation_level=None, timeout=0)
    copy = backups._copy_files

    def busy_after_the_snapshot(*args):
        writer.execute("BEGIN IMMEDIATE")  # a long write (a reindex) holds the archive
        return copy(*args)

    monkeypatch.setattr(backups, "_copy_files", busy_after_the_snapshot)
    archive.conn.execute("PRAGMA busy_timeout = 50")  # not the 30 s it waits for
    with pytest.raises(StoryAtlasError, match="is made, but the audit log could not record it .*less busy"):
        backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    writer.execute("ROLLBACK")
    writer.close()
    assert json.loads((tmp_path / "backup" / backups.MANIFEST).read_text())["stories"] == 1


def test_a_damaged_archive_is_not_copied_over_the_last_good_backup(archive, settings, tmp_path):
    _ingest(archive, settings, "en", "A story")
    backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    good = _files(tmp_path / "backup")
    _damage_an_index(settings.database)
    with pytest.raises(StoryAtlasError, match="the archive's database is damaged .*missing from index media_sha.*"
                                              "left as it was"):
        backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    assert _files(tmp_path / "backup") == good


def _damage_an_index(database: Path) -> None:
    """An index that no longer matches its table, as a failing disk can leave one."""
    conn = sqlite3.connect(database)
    conn.execute("PRAGMA writable_schema=ON")
    conn.execute("UPDATE sqlite_schema SET sql = 'CREATE INDEX media_sha ON media(role, sha256)' "
                 "WHERE name = 'media_sha'")
    conn.commit()
    conn.close()


def test_a_story_erased_since_leaves_the_backup_at_its_next_run(archive, settings, tmp_path):
    _ingest(archive, settings, "en", "Kept story")
    gone = _ingest(archive, settings, "de", "Qwyrtzelburg remembers")
    gone_files = [m[0] for m in archive.conn.execute("SELECT path FROM media WHERE story_id = ?", (gone,))]
    backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    assert _containing(tmp_path / "backup", "Qwyrtzelburg") == ["archive.db"]

    erase(archive, settings.media_dir, gone, "test", "withdrawn")
    done = backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    assert (done.stories, done.files, done.files_removed) == (1, 3, 3)
    assert _containing(tmp_path / "backup", "Qwyrtzelburg") == []
    assert not any((tmp_path / "backup" / "media" / path).exists() for path in gone_files)


def test_a_story_erased_while_its_files_are_copied_is_not_in_the_backup(archive, settings, tmp_path, monkeypatch):
    _ingest(archive, settings, "en", "Kept story")
    gone = _ingest(archive, settings, "de", "Qwyrtzelburg remembers")
    copy, calls = backups._copy_files, []

    def erased_meanwhile(named, source, target, progress):
        if not calls:  # after the snapshot, before its files are copied
            with Archive(archive.path) as other:
                erase(other, settings.media_dir, gone, "test", "withdrawn")
        calls.append(1)
        return copy(named, source, target, progress)

    monkeypatch.setattr(backups, "_copy_files", erased_meanwhile)
    done = backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    assert len(calls) == 2 and (done.stories, done.files, done.missing) == (1, 3, ())
    assert _containing(tmp_path / "backup", "Qwyrtzelburg") == []


def test_files_missing_from_the_media_store_are_reported_and_the_rest_backed_up(archive, settings, tmp_path):
    # a story whose recording was never put in the media store (as a damaged disk would leave it)
    lost = add_story(archive, "Told by hand", "en", [(0, 3, "We pumped the cellar all night.")])
    kept = _ingest(archive, settings, "en", "Kept story")
    done = backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    assert done.missing == (_original(archive, lost),) and (done.stories, done.files) == (2, 3)
    assert json.loads((tmp_path / "backup" / backups.MANIFEST).read_text())["missing"] == [_original(archive, lost)]
    assert (tmp_path / "backup" / "media" / _original(archive, kept)).is_file()


def test_a_full_disk_stops_a_backup_or_a_restore_and_loses_nothing(archive, settings, tmp_path, monkeypatch):
    _ingest(archive, settings, "en", "First")
    backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    before = _files(tmp_path / "backup")
    _ingest(archive, settings, "de", "Second")
    copy = backups._copy

    def disk_full(source, target):
        if target.name.startswith("speech"):  # after a listening copy, in the order of their paths
            raise OSError(errno.ENOSPC, "No space left on device")
        copy(source, target)

    monkeypatch.setattr(backups, "_copy", disk_full)
    with pytest.raises(StoryAtlasError, match="stopped .*No space left on device.*what it held before is whole"):
        backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    assert {k: v for k, v in _files(tmp_path / "backup").items() if k in before} == before
    with pytest.raises(StoryAtlasError, match="stopped .*No space left on device.*what it wrote is removed"):
        backups.restore(tmp_path / "backup", tmp_path / "new" / "archive.db", tmp_path / "new" / "media", KEEPER)
    assert list((tmp_path / "new").rglob("*")) == []

    monkeypatch.setattr(backups, "_copy", copy)  # room again: both run as if nothing had happened
    assert backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER).stories == 2
    again = backups.restore(tmp_path / "backup", tmp_path / "new" / "archive.db", tmp_path / "new" / "media", KEEPER)
    assert again.files == 6


def test_a_first_backup_that_stopped_is_run_again_into_its_folder(archive, settings, tmp_path, monkeypatch):
    _ingest(archive, settings, "en", "First")
    copy = backups._copy

    def disk_full(source, target):
        if target.name.startswith("speech"):  # the snapshot and a media file are written by then
            raise OSError(errno.ENOSPC, "No space left on device")
        copy(source, target)

    monkeypatch.setattr(backups, "_copy", disk_full)
    with pytest.raises(StoryAtlasError, match="stopped .*No space left on device.*run it again"):
        backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    # what it left is no backup to restore from, and no other program's files to keep
    with pytest.raises(StoryAtlasError, match="holds no Story Atlas backup"):
        backups.restore(tmp_path / "backup", tmp_path / "new" / "archive.db", tmp_path / "new" / "media", KEEPER)
    monkeypatch.setattr(backups, "_copy", copy)
    done = backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    assert (done.stories, done.files) == (1, 3)
    assert backups.restore(tmp_path / "backup", tmp_path / "new" / "archive.db", tmp_path / "new" / "media",
                           KEEPER).made_at == done.made_at


def test_an_original_gone_bad_is_not_backed_up_and_its_good_copy_stays(archive, settings, tmp_path):
    early = _ingest(archive, settings, "en", "Backed up while sound")
    backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    sound = (tmp_path / "backup" / "media" / _original(archive, early)).read_bytes()
    late = _ingest(archive, settings, "de", "Gone bad before its first backup")
    for story in (early, late):  # one bit flipped on the archive's disk, the size unchanged
        path = settings.media_dir / _original(archive, story)
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.chmod(0o644)
        path.write_bytes(bytes(data))

    done = backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    assert done.damaged == (_original(archive, late),) and (done.files, done.missing) == (5, ())
    assert not (tmp_path / "backup" / "media" / _original(archive, late)).exists()
    assert (tmp_path / "backup" / "media" / _original(archive, early)).read_bytes() == sound
    restored = backups.restore(tmp_path / "backup", tmp_path / "new" / "archive.db", tmp_path / "new" / "media",
                               KEEPER)
    assert restored.damaged == (_original(archive, late),)
    assert (tmp_path / "new" / "media" / _original(archive, early)).read_bytes() == sound


@pytest.mark.parametrize("where", ["other files", "another archive's backup", "inside the archive",
                                   "a link into the archive", "a file"])
def test_a_backup_is_never_written_over_what_is_not_its_own(archive, settings, tmp_path, where):
    _ingest(archive, settings, "en", "A story")
    folder = tmp_path / "elsewhere"
    if where == "other files":
        folder.mkdir()
        (folder / "thesis.odt").write_text("years of work")
        expected = "holds other files"
    elif where == "another archive's backup":
        with Archive(tmp_path / "other" / "archive.db") as other:
            backups.backup(other, tmp_path / "other" / "media", folder, KEEPER)
        expected = "holds the backup of another archive"
    elif where == "inside the archive":
        folder = settings.media_dir / "backup"
        expected = "inside the archive folder"
    elif where == "a link into the archive":
        (settings.media_dir / "backup").mkdir()
        folder.symlink_to(settings.media_dir / "backup")
        expected = "inside the archive folder"
    else:
        folder.write_text("a file")
        expected = "is a file, not a folder"
    before = _files(folder) if folder.is_dir() else None
    with pytest.raises(StoryAtlasError, match=expected):
        backups.backup(archive, settings.media_dir, folder, KEEPER)
    assert (_files(folder) if folder.is_dir() else None) == before


def test_restore_never_writes_over_an_archive(archive, settings, tmp_path):
    _ingest(archive, settings, "en", "In the backup")
    backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    _ingest(archive, settings, "de", "Only in the archive")
    with pytest.raises(StoryAtlasError, match="there is an archive at .* already; nothing was changed"):
        backups.restore(tmp_path / "backup", settings.database, settings.media_dir, KEEPER)
    assert archive.count_stories(KEEPER) == 2

    media_only = tmp_path / "new"
    (media_only / "media").mkdir(parents=True)
    (media_only / "media" / "a.ogg").write_bytes(b"someone's recording")
    with pytest.raises(StoryAtlasError, match="holds files already"):
        backups.restore(tmp_path / "backup", media_only / "archive.db", media_only / "media", KEEPER)
    assert not (media_only / "archive.db").exists()
    with pytest.raises(StoryAtlasError, match="holds no Story Atlas backup"):
        backups.restore(tmp_path, tmp_path / "x" / "archive.db", tmp_path / "x" / "media", KEEPER)


def test_a_backup_and_a_restore_do_not_use_one_folder_at_once(archive, settings, tmp_path, monkeypatch):
    _ingest(archive, settings, "en", "First")
    backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    _ingest(archive, settings, "de", "Second")
    check, copy, refused = backups._check_database, backups._copy_files, []

    def nightly_backup_meanwhile(path):
        named = check(path)  # the files the backup's database names, listed
        with pytest.raises(StoryAtlasError, match="or an archive restored from it; wait for it to finish") as e:
            backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
        refused.append(e)
        return named

    monkeypatch.setattr(backups, "_check_database", nightly_backup_meanwhile)
    new = tmp_path / "new"
    done = backups.restore(tmp_path / "backup", new / "archive.db", new / "media", KEEPER)
    assert refused and (done.stories, done.files, done.damaged) == (1, 3, ())
    assert len(_files(new / "media")) == 3
    monkeypatch.undo()

    def restore_meanwhile(*args):
        with pytest.raises(StoryAtlasError, match="a backup is being written to .*restore from it once"):
            backups.restore(tmp_path / "backup", tmp_path / "r" / "archive.db", tmp_path / "r" / "media", KEEPER)
        refused.append(1)
        return copy(*args)

    monkeypatch.setattr(backups, "_copy_files", restore_meanwhile)
    assert backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER).stories == 2
    assert len(refused) == 2 and not (tmp_path / "r").exists()


def test_an_archive_is_never_restored_into_its_backup_nor_backed_up_around_itself(archive, settings, tmp_path):
    _ingest(archive, settings, "en", "A story")
    folder = tmp_path / "backup"
    backups.backup(archive, settings.media_dir, folder, KEEPER)
    before = _files(folder)
    for home in (folder, folder / "restored", folder / "media"):
        with pytest.raises(StoryAtlasError, match="is inside the backup folder .*nothing was changed"):
            backups.restore(folder, home / "archive.db", home / "media", KEEPER)
    assert _files(folder) == before

    # restored apart, then moved there: its next backup would remove its database and media
    # files as files the backup does not name
    backups.restore(folder, tmp_path / "new" / "archive.db", tmp_path / "new" / "media", KEEPER)
    home = folder / "media" / "archive"
    (tmp_path / "new").rename(home)
    with Archive(home / "archive.db") as restored:
        with pytest.raises(StoryAtlasError, match=f"the archive folder {home} is inside {folder}"):
            backups.backup(restored, home / "media", folder, KEEPER)
        assert restored.count_stories(KEEPER) == 1
    assert len(_files(home / "media")) == 3


def test_a_damaged_backup_is_found_out(archive, settings, tmp_path):
    story = _ingest(archive, settings, "en", "A story")
    backups.backup(archive, settings.media_dir, tmp_path / "backup", KEEPER)
    original = tmp_path / "backup" / "media" / _original(archive, story)
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one bit gone bad, the size unchanged
    original.write_bytes(bytes(data))

    new = tmp_path / "restored"
    restored = backups.restore(tmp_path / "backup", new / "archive.db", new / "media", KEEPER)
    assert restored.damaged == (_original(archive, story),) and restored.files == 2
    assert not (new / "media" / _original(archive, story)).exists()

    listen = tmp_path / "backup" / "media" / archive.media(story, "listen", KEEPER).path
    listen.write_bytes(listen.read_bytes()[:-100])  # cut short
    restored = backups.restore(tmp_path / "backup", tmp_path / "r1" / "archive.db", tmp_path / "r1" / "media", KEEPER)
    assert restored.damaged == tuple(sorted((_original(archive, story), archive.media(story, "listen", KEEPER).path)))

    _damage_an_index(tmp_path / "backup" / "archive.db")
    with pytest.raises(StoryAtlasError, match="is damaged .*missing from index media_sha.*use an older backup"):
        backups.restore(tmp_path / "backup", tmp_path / "r2" / "archive.db", tmp_path / "r2" / "media", KEEPER)
    assert not (tmp_path / "r2" / "archive.db").exists()

    (tmp_path / "backup" / "archive.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoryAtlasError, match="cannot be read .*nothing was restored: use an older backup"):
        backups.restore(tmp_path / "backup", tmp_path / "r3" / "archive.db", tmp_path / "r3" / "media", KEEPER)
    assert not (tmp_path / "r3" / "archive.db").exists()


def test_the_commands_say_what_they_did(archive, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("STORYATLAS_CACHE", str(settings.cache))
    _ingest(archive, settings, "en", "A story")
    lost = add_story(archive, "Told by hand", "en", [(0, 3, "Words.")])

    def run(command, *args, code=0):
        result = CliRunner().invoke(command, [*map(str, args)], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    said = run(backup_command, tmp_path / "b", "--archive", settings.archive, code=1)
    assert "backed up 2 stories and 3 media files" in said and "3 files copied" in said
    assert f"missing from the media store: {_original(archive, lost)}" in said
    assert "1 media file the archive names could not be backed up" in said

    restored = run(restore_command, tmp_path / "b", "--archive", tmp_path / "new", code=1)
    assert "restored 2 stories and 3 media files" in restored and "erase them again" in restored
    assert f"damaged or missing in the backup, not restored: {_original(archive, lost)}" in restored
    assert "Traceback" not in restored

    nothing = run(backup_command, tmp_path / "b2", "--archive", tmp_path / "none", code=1)
    assert "there is no archive at" in nothing and not (tmp_path / "none").exists()
