"""An archive the machine does not let the commands open (a folder through a file, a
database path that is a folder, another program's database) is said in one line that
names the file and what to do, never a traceback; and a file that is no archive is left
as it was."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from storyatlas.archive import Archive
from storyatlas.cli import cli
from storyatlas.errors import StoryAtlasError


def _users_add(archive_folder, *more: str):
    """`storyatlas users add`, which opens the archive itself, making it where it is not yet."""
    return CliRunner().invoke(cli, ["users", "add", "ada", "--role", "admin", "--password-file", "-",
                                    "--archive", str(archive_folder), *more], input="a long password here\n")


def test_an_archive_folder_under_a_file_is_said_with_what_to_do(tmp_path):
    (tmp_path / "notes.txt").write_text("not a folder")
    folder = tmp_path / "notes.txt" / "archive"
    result = _users_add(folder)
    assert result.exit_code == 1 and not isinstance(result.exception, OSError), result.output
    assert result.output.strip() == (
        f"Error: cannot make the folder of the archive database {folder / 'archive.db'} (Not a directory): name "
        "another archive with --archive or STORYATLAS_ARCHIVE, or check that this user may write there")
    assert (tmp_path / "notes.txt").read_text() == "not a folder"


def test_a_database_path_that_is_a_folder_is_said_with_what_to_do(tmp_path):
    (tmp_path / "archive" / "archive.db").mkdir(parents=True)
    result = _users_add(tmp_path / "archive")
    assert result.exit_code == 1, result.output
    assert f"cannot open the archive database {tmp_path / 'archive' / 'archive.db'} (unable to open database " \
           "file): name another archive with --archive or STORYATLAS_ARCHIVE, or check that this user may read " \
           "and write it and its folder" in result.output


def test_a_file_that_is_no_database_still_says_it_is_no_archive(tmp_path):
    bogus = tmp_path / "archive.db"
    bogus.write_bytes(b"GIF89a" + bytes(range(256)) * 20)
    with pytest.raises(StoryAtlasError, match="file is not a database; check the path and that it is a Story Atlas"):
        Archive(bogus)


def test_another_programs_database_is_not_made_into_an_archive(tmp_path):
    """A mistyped --archive naming a folder with another program's archive.db had Story
    Atlas's tables written into that program's file, and its journal switched to WAL."""
    other = tmp_path / "photos" / "archive.db"
    other.parent.mkdir()
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE photos (name TEXT)")
        conn.execute("INSERT INTO photos VALUES ('harbour.jpg')")
    conn.close()
    result = _users_add(other.parent)
    assert result.exit_code == 1, result.output
    assert result.output.strip() == (
        f"Error: {other} is a database of another program, not a Story Atlas archive: name the archive's folder "
        "with --archive or STORYATLAS_ARCHIVE")
    conn = sqlite3.connect(other)
    try:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["photos"]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert conn.execute("SELECT name FROM photos").fetchall() == [("harbour.jpg",)]
    finally:
        conn.close()


def test_an_empty_database_file_and_a_new_archive_still_open(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "archive.db").write_bytes(b"")  # what `touch` makes: an empty SQLite database
    for folder in (tmp_path / "empty", tmp_path / "nested" / "new archive ü"):
        assert _users_add(folder).exit_code == 0
        with Archive(folder / "archive.db") as a:
            assert a.conn.execute("SELECT count(*) FROM users").fetchone()[0] == 1
