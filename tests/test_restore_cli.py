"""`storyatlas restore` as a keeper runs it: it keeps the numbers the archive it replaces
gave (migration 0026), says from which archive, and reads a backup from a folder whatever
its name holds."""

import shutil
from pathlib import Path

from click.testing import CliRunner

from storyatlas.archive import Archive, Viewer
from storyatlas.cli_keepers import backup as backup_command
from storyatlas.cli_keepers import restore as restore_command
from tests.conftest import add_story
from tests.test_ids_never_reused import AGAIN, LINES, _ids

KEEPER = Viewer.keeper("cli:test")


def _story(archive: Archive, title: str) -> int:
    story = add_story(archive, title, "en", LINES)
    archive.conn.execute("DELETE FROM media WHERE story_id = ?", (story,))  # no recording to copy: exit code 0
    return story


def _backup(archive: Path, folder: Path) -> None:
    made = CliRunner().invoke(backup_command, [str(folder), "--archive", str(archive)], catch_exceptions=False)
    assert made.exit_code == 0, made.output


def _live_with_a_story_after_the_backup(tmp_path: Path) -> tuple[Path, Path, int, set[int]]:
    live = tmp_path / "live" / "archive.db"
    with Archive(live) as archive:
        _story(archive, "Before the snapshot")
        _backup(live.parent, tmp_path / "backup")
        late = _story(archive, "Anna's story, after the snapshot")
        return live, tmp_path / "backup", late, _ids(archive, late)


def _run(*args, code=0) -> str:
    result = CliRunner().invoke(restore_command, [*map(str, args)], catch_exceptions=False)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def _a_story_after(archive: Path, late: int, late_segments: set[int]) -> None:
    with Archive(archive / "archive.db") as restored:
        story = add_story(restored, "Someone else's story", "en", AGAIN)
        assert story > late and min(_ids(restored, story)) > max(late_segments)


def test_restore_keeps_the_numbers_of_the_archive_backed_up_and_says_so(tmp_path):
    live, backup, late, late_segments = _live_with_a_story_after_the_backup(tmp_path)
    said = _run(backup, "--archive", tmp_path / "new")
    assert "restored 1 story" in said and f"numbers kept from {live.resolve()}" in said
    _a_story_after(tmp_path / "new", late, late_segments)


def test_restore_in_place_of_an_archive_moved_aside_keeps_its_numbers_with_replacing(tmp_path):
    live, backup, late, late_segments = _live_with_a_story_after_the_backup(tmp_path)
    aside = tmp_path / "aside"
    shutil.move(live.parent, aside)  # as the README says, then restore where it was

    # without --replacing, nothing is known of what came after the snapshot: the keeper is told so
    said = _run(backup, "--archive", tmp_path / "other")
    assert "numbers kept" not in said and "was not read" in said and "--replacing PATH" in said

    said = _run(backup, "--archive", live.parent, "--replacing", aside)  # its folder, or its archive.db
    assert f"numbers kept from {aside / 'archive.db'}" in said
    _a_story_after(live.parent, late, late_segments)

    said = _run(backup, "--archive", tmp_path / "third", "--replacing", tmp_path / "nowhere", code=1)
    assert "cannot be read" in said and not (tmp_path / "third" / "archive.db").exists()


def test_a_backup_in_a_folder_named_with_url_characters_is_restored(tmp_path):
    odd = tmp_path / "a#b?c%20d"  # "#" and "?" end a path in a "file:" URI, "%20" is a space there
    with Archive(odd / "archive" / "archive.db") as archive:
        story = _story(archive, "The flood")
    _backup(odd / "archive", odd / "backup")

    said = _run(odd / "backup", "--archive", odd / "restored")
    assert "restored 1 story" in said and f"numbers kept from {odd / 'archive' / 'archive.db'}" in said
    with Archive(odd / "restored" / "archive.db") as restored:
        assert [s.title for s in restored.stories(KEEPER)] == ["The flood"] and _ids(restored, story)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a#b?c%20d"]  # no empty database made at "a"


def test_a_restore_into_a_folder_under_a_file_says_so_and_changes_nothing(tmp_path):
    _, backup, _, _ = _live_with_a_story_after_the_backup(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("the keeper's notes")
    said = _run(backup, "--archive", notes / "archive", code=1)
    assert f"Error: {notes} is a file, not a folder; nothing was changed" in said
    assert notes.read_text() == "the keeper's notes"
