"""`storyatlas export`: a story's transcript or description, or a whole collection's, in
the formats of subtitles and of archives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from storyatlas.cli_options import ROW_ID, archive_option, counted, keeper, opened
from storyatlas.errors import StoryAtlasError
from storyatlas.exports import ALL_FORMATS, DEFAULT_BASE_URL, TRACKS, export
from storyatlas.settings import load_settings


@click.command(name="export")
@click.argument("story_id", type=ROW_ID, required=False)
@click.option("--collection", help="Export every story of this collection (those whose tellers allowed it).")
@click.option("--format", "fmt", type=click.Choice(ALL_FORMATS), default="vtt", show_default=True)
@click.option("--track", type=click.Choice(TRACKS), default="original", show_default=True,
              help="The spoken words, or their English translation (vtt, srt, txt; the others hold both).")
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True,
              help="The archive's public address, for the links and identifiers in ohms, iiif and dc.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="File to write (default: standard output); with --collection, a folder or a .zip file.")
@archive_option
def export_command(story_id, collection, fmt, track, base_url, output, archive) -> None:
    """Write a story's transcript or description: subtitles (vtt, srt), text, JSON, CSV,
    OHMS XML, an IIIF manifest or Dublin Core; or a whole collection's."""
    if (story_id is None) == (collection is None):
        raise StoryAtlasError("name one story (storyatlas export 12) or one collection (--collection NAME)")
    settings = load_settings({"archive": archive})
    if collection is not None:
        _export_collection(settings, collection, fmt, track, base_url, output)
        return
    if output is not None and output.is_dir():
        raise StoryAtlasError(f"{output} is a folder: name the file to write (a folder is for --collection)")
    with opened(settings) as a:
        text = export(a, story_id, fmt, keeper(), track, base=base_url, media_dir=settings.media_dir)
    if output:
        _writing(output, lambda: output.write_text(text, encoding="utf-8"))
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


def _writing(output: Path, write: Callable[[], Any]) -> Any:
    try:
        return write()
    except OSError as e:  # a folder that does not exist or is not writable, a full disk
        raise StoryAtlasError(f"cannot write {output}: {e.strerror or e}; name another place with -o") from None


def _export_collection(settings, name: str, fmt: str, track: str, base_url: str, output: Path | None) -> None:
    from storyatlas.exports.collection import export_collection

    if output is None:
        raise StoryAtlasError("a collection is written to a folder or a zip file: add -o FOLDER or -o FILE.zip")
    with opened(settings) as a:
        done = export_collection(a, name, fmt, keeper(), track, base=base_url, media_dir=settings.media_dir)
    where = _writing(output, lambda: done.write(output))
    click.echo(f"wrote {counted(len(done.files), 'story')} of {done.name!r} to {where}", err=True)
    if done.withheld:
        click.echo(f"left out {counted(done.withheld, 'story')} whose storytellers asked that they not be exported",
                   err=True)
    for reason in done.skipped:
        click.echo(f"left out: {reason}", err=True)


def register(cli: click.Group) -> None:
    """Add this command to the `storyatlas` group (whose handler makes its errors one line)."""
    cli.add_command(export_command)
