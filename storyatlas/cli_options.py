"""Options shared by the `storyatlas` commands."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from storyatlas.archive import Archive, Viewer
from storyatlas.errors import StoryAtlasError
from storyatlas.settings import Settings

# a story's, revision's or index point's id: SQLite's integers end at 2^63-1 (a larger
# one was an OverflowError's traceback where the user should read what was wrong)
ROW_ID = click.IntRange(0, 2**63 - 1)
# how many to show (none would read as "nothing found"), and how many to skip
LIMIT = click.IntRange(1, 10**6)
OFFSET = click.IntRange(0, 10**12)


def archive_option(f):
    return click.option("--archive", type=click.Path(file_okay=False, path_type=Path),
                        help="Archive folder (database, media, queue). Default: $STORYATLAS_ARCHIVE "
                             "or ~/.local/share/storyatlas.")(f)


def counted(count: int, thing: str) -> str:
    """"1 story", "2 stories", "0 segments"."""
    if count == 1:
        return f"{count} {thing}"
    return f"{count} {thing[:-1]}ies" if thing.endswith("y") else f"{count} {thing}s"


def opened(settings: Settings) -> Archive:
    """The archive a command reads or changes. One that is not there is said so, not made:
    a mistyped --archive made a new empty archive, of which `stories` said it held none."""
    if not settings.database.is_file():
        raise StoryAtlasError(f"there is no archive at {settings.archive}: name it with --archive or "
                              "STORYATLAS_ARCHIVE, or make one (`storyatlas ingest FILE`, `storyatlas demo`)")
    return Archive(settings.database)


def keeper() -> Viewer:
    """Whoever runs the command line holds the archive's files: an admin, named in the audit log."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        user = "unknown"
    return Viewer.keeper(f"cli:{user}")


@contextmanager
def progress_bar(desc: str, unit: str) -> Iterator[Callable[[int, int], None]]:
    """A ``progress(done, total)`` for long work, drawn as a bar that goes when it ends;
    none when the output is not a terminal (a log file would keep every redraw)."""
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit=unit, leave=False, disable=None)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield progress
    finally:
        bar.close()
