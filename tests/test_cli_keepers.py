"""`storyatlas erase` and `storyatlas redact`, as an archive keeper runs them."""

import pytest
from click.testing import CliRunner

from storyatlas import meaning
from storyatlas.archive import Viewer, audit, index_points
from storyatlas.archive import vectors as meaning_rows
from storyatlas.archive.backup import backup
from storyatlas.archive.records import IndexPoint
from storyatlas.cli_keepers import erase, redact, register
from storyatlas.themes import store
from tests.conftest import add_story, give_recording


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("STORYATLAS_CACHE", str(settings.cache))

    def invoke(command, *args, code=0, input=None):
        result = CliRunner().invoke(command, [*map(str, args), "--archive", str(settings.archive)],
                                    input=input, catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result

    return invoke


def _count(archive, sql, *params):
    return archive.conn.execute(sql, params).fetchone()[0]


def test_erase_asks_first_then_says_what_it_removed(run, archive):
    story = add_story(archive, "Kept for now", "en", [(0, 2, "Hello.")])

    refused = run(erase, story, "--reason", "teller asked", input="n\n", code=1)
    assert "Erase story #%d \"Kept for now\"" % story in refused.output and "Aborted" in refused.output
    assert _count(archive, "SELECT count(*) FROM stories WHERE id = ?", story) == 1

    done = run(erase, story, "--reason", "teller asked", input="y\n")
    assert f"erased story #{story}:" in done.output and "0 media files removed" in done.output
    assert _count(archive, "SELECT count(*) FROM stories WHERE id = ?", story) == 0
    who = archive.conn.execute("SELECT who, detail FROM audit WHERE action = 'erase'").fetchone()
    assert who[0].startswith("cli:") and who[1] == "teller asked"


def test_erase_with_yes_does_not_ask_and_a_missing_story_is_one_line(run, archive, settings, tmp_path):
    story = add_story(archive, "Gone", "en", [(0, 2, "Hello.")])
    done = run(erase, story, "--reason", "withdrawn", "--yes")
    assert "Erase story" not in done.output and f"erased story #{story}" in done.output
    assert "backup" not in done.output  # none was made

    backup(archive, settings.media_dir, tmp_path / "backup", Viewer.keeper())
    made = audit.last(archive, Viewer.keeper(), "backup made").at
    before, after = (add_story(archive, title, "en", [(0, 2, "Hello.")]) for title in ("Gone too", "Added since"))
    archive.conn.execute("UPDATE stories SET created_at = '2020-01-01T00:00:00Z' WHERE id = ?", (before,))
    archive.conn.execute("UPDATE stories SET created_at = '2999-01-01T00:00:00Z' WHERE id = ?", (after,))
    done = run(erase, before, "--reason", "withdrawn", "--yes")
    assert f"note: the backup made at {made} holds the story until" in done.output
    assert "backup" not in run(erase, after, "--reason", "withdrawn", "--yes").output  # not in the backup

    missing = run(erase, story, "--reason", "withdrawn", "--yes", code=3)
    assert f"there is no story {story}" in missing.output and "Traceback" not in missing.output
    kept = add_story(archive, "Kept", "en", [(0, 2, "Hello.")])
    blank = run(erase, kept, "--reason", "   ", "--yes", code=2)  # the audit log keeps why
    assert "say why the story is erased" in blank.output and archive.story(kept, Viewer.keeper()).title == "Kept"
    assert "--reason" in run(erase, story, code=2).output


def test_redact_takes_times_as_people_write_them(run, archive, settings):
    story = add_story(archive, "Lines", "en", [(0, 4, "First line here."), (4, 8, "Second line.")], timed=True)
    give_recording(archive, settings.media_dir, story)

    meaning.index(archive)
    done = run(redact, story, "--from", "0:01", "--to", "0:02.5")
    assert f"redacted 0:01.0-0:02.5 of story #{story}: 1 segment changed" in done.output
    assert "index points" not in done.output  # the story has none
    assert archive.conn.execute("SELECT start, end FROM redactions").fetchone()[:] == (1.0, 2.5)
    assert meaning_rows.counts(archive, meaning.model()) == (2, 2)  # the cut line's made again

    bad = run(redact, story, "--from", "1:75", "--to", "2:00", code=2)
    assert "minutes:seconds" in bad.output
    backwards = run(redact, story, "--from", "3", "--to", "2", code=1)
    assert "end must come after the start" in backwards.output



def test_redact_names_the_index_points_whose_passage_it_cuts_into(run, archive, settings):
    story = add_story(archive, "Lines", "en", [(0, 4, "First line here."), (4, 8, "Second line.")], timed=True)
    give_recording(archive, settings.media_dir, story)
    store.vocabulary(archive)
    for at, title in ((0.0, "Arrival"), (3.0, "Anna Nowak's flight"), (6.0, "After")):
        index_points.add(archive, story, IndexPoint(at, title), Viewer.keeper())

    first = run(redact, story, "--from", "0:01", "--to", "0:02.5").output
    assert "index points whose passage holds the range" in first and first.rstrip().endswith(": 0:00.0")
    across = run(redact, story, "--from", "0:02.9", "--to", "0:06.5").output
    assert across.rstrip().endswith(": 0:00.0, 0:03.0, 0:06.0")


def test_the_commands_join_the_main_group():
    import click

    group = click.Group()
    register(group)
    assert set(group.commands) == {"erase", "redact", "index", "retry", "backup", "restore"}


def test_erase_names_the_files_it_removed_and_those_another_story_keeps(run, archive, settings):
    first = add_story(archive, "Shared recording", "en", [(0, 2, "Hello.")])
    second = add_story(archive, "Shared recording", "en", [(0, 2, "Hello again.")])  # the same file
    path = archive.conn.execute("SELECT path FROM media WHERE story_id = ?", (first,)).fetchone()[0]
    (settings.media_dir / path).parent.mkdir(parents=True)
    (settings.media_dir / path).write_bytes(b"OggS")

    kept = run(erase, first, "--reason", "asked", "--yes").output
    assert "0 media files removed" in kept and f"  kept {path} (another story uses this recording)" in kept
    removed = run(erase, second, "--reason", "asked", "--yes").output
    assert "1 media file removed" in removed and f"  removed {path}" in removed
    assert not (settings.media_dir / path).exists()
