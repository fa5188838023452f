"""Options shared by the `storyatlas` commands."""

from __future__ import annotations

from pathlib import Path

import click


def archive_option(f):
    return click.option("--archive", type=click.Path(file_okay=False, path_type=Path),
                        help="Archive folder (database, media, queue). Default: $STORYATLAS_ARCHIVE "
                             "or ~/.local/share/storyatlas.")(f)
