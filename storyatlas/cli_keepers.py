"""The archive keepers' commands: `storyatlas erase` (a withdrawal), `storyatlas redact`,
`storyatlas index` (index points), `storyatlas retry` (a failed story processed again),
`storyatlas backup` and `storyatlas restore`."""

from __future__ import annotations

import functools
from pathlib import Path

import click

from storyatlas.archive import audit, index_points
from storyatlas.archive import backup as backups
from storyatlas.archive.erasure import erase as erase_story
from storyatlas.archive.records import IndexPoint
from storyatlas.archive.redaction import parse_clock
from storyatlas.cli_options import ROW_ID, archive_option, counted, keeper, opened, progress_bar
from storyatlas.errors import StoryAtlasError
from storyatlas.ingest.redact import redact as redact_story
from storyatlas.settings import load_settings
from storyatlas.text import clock_tenths
from storyatlas.themes import store


def _one_line_errors(f):
    """Expected failures as one line and the error's exit code, also when these commands
    run outside the main group (which does the same)."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except StoryAtlasError as e:
            click.secho(f"Error: {e}", fg="red", err=True)
            raise click.exceptions.Exit(e.exit_code) from e
    return wrapper


def _clock_option(name: str, flag: str, help: str, required: bool = True):
    def convert(ctx, param, value):
        try:
            return None if value is None else parse_clock(value)
        except StoryAtlasError as e:
            raise click.BadParameter(str(e)) from e
    return click.option(flag, name, required=required, metavar="TIME", callback=convert, help=help)


@click.command()
@click.argument("story_id", type=ROW_ID)
@click.option("--reason", required=True, help="Why (kept in the audit log; not the story's words).")
@click.option("--yes", is_flag=True, help="Erase without asking.")
@archive_option
@_one_line_errors
def erase(story_id: int, reason: str, yes: bool, archive) -> None:
    """Erase a story for good (a withdrawal): its transcript, tags, index entries and
    media files. Only its number, the date, who and why stay, in the audit log."""
    reason = " ".join(reason.split())
    if not reason:  # the audit log keeps why, where nothing else of the story stays
        raise click.BadParameter("say why the story is erased (a withdrawal, a request...)", param_hint="'--reason'")
    settings = load_settings({"archive": archive})
    with opened(settings) as a:
        story = a.story(story_id, keeper())
        if not yes:
            click.confirm(f"Erase story #{story_id} \"{story.title}\" and its media files? This cannot be undone",
                          abort=True)
        done = erase_story(a, settings.media_dir, story_id, keeper().label(), reason)
        backed_up = audit.last(a, keeper(), "backup made")
    click.echo(f"erased story #{story_id}: {counted(done.rows, 'row')}, "
               f"{counted(len(done.files_removed), 'media file')} removed")
    for path in done.files_removed:
        click.echo(f"  removed {path}")
    for path in done.files_kept:
        click.echo(f"  kept {path} (another story uses this recording)")
    if not done.scrubbed:
        click.echo("note: another program has the archive open; what is left of the story's words in the database "
                   "files goes when it closes, or at the next start of the web app or a worker")
    if backed_up and story.created_at <= backed_up.at:  # a story added since is in no backup
        click.echo(f"note: the backup made at {backed_up.at} holds the story until `storyatlas backup` runs again "
                   "into its folder")


@click.command()
@click.argument("story_id", type=ROW_ID)
@_clock_option("start", "--from", "Start of the range: 62, 1:02, 1:02.5 or 0:01:02.")
@_clock_option("end", "--to", "End of the range, written the same way.")
@archive_option
@_one_line_errors
def redact(story_id: int, start: float, end: float, archive) -> None:
    """Take a time range out of a story: its words leave the transcript, the English and
    the search index, and the published audio is silent there. The original is kept."""
    from storyatlas.jobs import Queue

    settings = load_settings({"archive": archive})
    with opened(settings) as a:
        done = redact_story(a, settings.media_dir, story_id, start, end, keeper())
        # what is left of a cut line, found by meaning again (by a worker, if one is at it)
        Queue(settings).index_meaning_here(a)
    click.echo(f"redacted {clock_tenths(done.start)}-{clock_tenths(done.end)} of story #{story_id}: "
               f"{counted(done.segments_changed, 'segment')} changed, {counted(done.words_removed, 'word')} removed; "
               "the listening copy is silent there")
    if done.index_points:
        click.echo("index points whose passage holds the range, written by people and not cut: read their title, "
                   f"synopsis and keywords (`storyatlas index {story_id} --list`): "
                   + ", ".join(clock_tenths(at) for at in done.index_points))


@click.command("index")
@click.argument("story_id", type=ROW_ID)
@_clock_option("at", "--at", "Where the passage starts: 62, 1:02 or 0:01:02.", required=False)
@click.option("--title", help="The passage's title.")
@click.option("--synopsis", default="", help="What is told there.")
@click.option("--keyword", "keywords", multiple=True, help="A keyword (repeat for more).")
@click.option("--theme", "themes", multiple=True, help="A theme id of the vocabulary (repeat for more).")
@click.option("--place", default="", help="A place the passage is about.")
@click.option("--list", "list_only", is_flag=True, help="List the story's index points instead.")
@click.option("--remove", "remove_id", type=ROW_ID, metavar="POINT", help="Remove this index point.")
@archive_option
@_one_line_errors
def index(story_id: int, at: float | None, title: str | None, synopsis: str, keywords: tuple[str, ...],
          themes: tuple[str, ...], place: str, list_only: bool, remove_id: int | None, archive) -> None:
    """Add an index point (a titled passage, as in OHMS) to a story, list them, or remove one."""
    adding = at is not None or title is not None
    if (list_only or remove_id is not None) and adding or list_only and remove_id is not None:
        raise click.UsageError("add a point (--at, --title), list them (--list) or remove one (--remove): "
                               "one at a time")
    settings = load_settings({"archive": archive})
    with opened(settings) as a:
        if remove_id is not None:
            index_points.remove(a, remove_id, keeper(), story_id=story_id)
            click.echo(f"removed index point {remove_id}")
        elif not list_only:
            if at is None or not title:
                raise StoryAtlasError("give --at and --title to add an index point, or --list to see them")
            store.vocabulary(a)  # a new archive knows its themes once the vocabulary is seeded
            p = index_points.add(a, story_id, IndexPoint(at, title, synopsis=synopsis, keywords=keywords,
                                                         themes=themes, place=place), keeper())
            click.echo(f"added index point {p.id} at {clock_tenths(p.time)}: {p.title}")
            return
        for p in index_points.points(a, story_id, keeper()):
            extra = " · ".join(x for x in (", ".join(p.keywords), ", ".join(p.themes), p.place) if x)
            click.echo(f"{p.id:>5} {clock_tenths(p.time):>9} {p.title}" + (f" [{extra}]" if extra else ""))
            if p.synopsis:
                click.echo(f"{'':>15} {p.synopsis}")


@click.command()
@click.argument("story_ids", type=ROW_ID, nargs=-1, required=True)
@archive_option
@_one_line_errors
def retry(story_ids: tuple[int, ...], archive) -> None:
    """Process again stories whose processing failed, once what made it fail is mended
    (`storyatlas stories` says which failed, `show ID` why); a worker takes them."""
    from storyatlas.jobs import Queue

    settings = load_settings({"archive": archive})
    queue = Queue(settings)
    with opened(settings) as a:
        for story_id in story_ids:
            job_id = a.retry(story_id, keeper())
            queue.enqueue([job_id])
            click.echo(f"story #{story_id} queued again (job {job_id}): a running worker takes it, or start "
                       "`storyatlas worker`")


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@archive_option
@_one_line_errors
def backup(folder: Path, archive) -> None:
    """Copy the archive into FOLDER (a new folder, or the one the last backup went to),
    safely while the server and workers run. Run again into the same folder, only what
    changed is copied, and stories erased since leave the backup."""
    settings = load_settings({"archive": archive})
    with opened(settings) as a, progress_bar("media files", "file") as progress:
        done = backups.backup(a, settings.media_dir, folder, keeper(), progress)
    click.echo(f"backed up {counted(done.stories, 'story')} and {counted(done.files, 'media file')} "
               f"({done.bytes / 1e6:.1f} MB) to {done.folder} at {done.made_at}: "
               f"{counted(done.files_copied, 'file')} copied, "
               f"{counted(done.files_removed, 'file')} no longer in the archive removed")
    for path in done.missing:
        click.echo(f"  missing from the media store: {path}", err=True)
    for path in done.damaged:
        click.echo(f"  damaged in the media store (its bytes are not those it was stored with): {path}", err=True)
    if done.missing or done.damaged:
        raise StoryAtlasError(f"{counted(len(done.missing) + len(done.damaged), 'media file')} the archive names could "
                              f"not be backed up (above): put them back in {settings.media_dir} from an older backup")


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@archive_option
@click.option("--replacing", type=click.Path(path_type=Path), metavar="PATH",
              help="The archive this one replaces (its folder or archive.db, moved aside): numbers it gave to "
                   "stories, segments, index points and revisions are not given again. Default: the archive the "
                   "backup was made of, where it was, when it is there still.")
@_one_line_errors
def restore(folder: Path, archive, replacing: Path | None) -> None:
    """Make the archive (--archive, or the default one) from the backup in FOLDER. An
    archive already there is never written over: restore into a new folder."""
    settings = load_settings({"archive": archive})
    if replacing is not None and replacing.is_dir():
        replacing = replacing / settings.database.name
    with progress_bar("media files", "file") as progress:
        done = backups.restore(folder, settings.database, settings.media_dir, keeper(), progress,
                               replacing=replacing)
    click.echo(f"restored {counted(done.stories, 'story')} and {counted(done.files, 'media file')} "
               f"into {settings.archive} from the backup made at {done.made_at}")
    _say_numbers_kept(done)
    click.echo(f"note: stories withdrawn after {done.made_at} are in it again: erase them again "
               "(`storyatlas erase ID --reason ...`)")
    if done.requeued:
        click.echo(f"{counted(done.requeued, 'story')} being processed at the snapshot will be processed again by "
                   "`storyatlas worker` (or the server's own)")
    if done.damaged:
        for path in done.damaged:
            click.echo(f"  damaged or missing in the backup, not restored: {path}", err=True)
        raise StoryAtlasError(f"{counted(len(done.damaged), 'media file')} could not be restored; the stories that "
                              "name them lack their audio: take those files from an older backup")


def _say_numbers_kept(done: backups.RestoreReport) -> None:
    if done.numbers_from is not None:
        click.echo(f"numbers kept from {done.numbers_from}: no story, segment or index point number it gave is "
                   "given again")
    else:
        click.echo("note: the archive this one replaces was not read (the one backed up is not where it was), so the "
                   "numbers of stories made after the snapshot may be given again and links to them show other "
                   "stories: if you still have it, restore again into an empty folder with --replacing PATH",
                   err=True)


def register(cli: click.Group) -> None:
    """Add these commands to the `storyatlas` group."""
    cli.add_command(erase)
    cli.add_command(redact)
    cli.add_command(index)
    cli.add_command(retry)
    cli.add_command(backup)
    cli.add_command(restore)
