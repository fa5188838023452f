"""The `storyatlas` command: a thin shell over the library."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from storyatlas.archive import Archive, Job, Place, StoryMetadata
from storyatlas.archive.accounts import count_users
from storyatlas.archive.media_folder import sha256_file
from storyatlas.cli_corrections import register as register_corrections
from storyatlas.cli_exports import register as register_exports
from storyatlas.cli_keepers import register as register_keepers
from storyatlas.cli_options import LIMIT, OFFSET, ROW_ID, archive_option, keeper, opened, progress_bar
from storyatlas.cli_themes import compare, themes
from storyatlas.cli_users import audit, users
from storyatlas.errors import StoryAtlasError
from storyatlas.exports import clock, story_document
from storyatlas.ingest import IngestResult, find_media, ingest_paths
from storyatlas.jobs import Queue
from storyatlas.search import SearchQuery, known_words
from storyatlas.search.fts import FTSBackend
from storyatlas.settings import load_settings
from storyatlas.transcribe import Progress


class _Group(click.Group):
    """Expected failures become one line on stderr and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StoryAtlasError as e:
            click.secho(f"Error: {e}", fg="red", err=True)
            ctx.exit(e.exit_code)
        except UnicodeEncodeError as e:
            # bytes given on the command line that are not UTF-8 reach Python as surrogate
            # escapes, which SQLite refuses; a file's name may hold them, text to store not
            if e.reason != "surrogates not allowed":
                raise
            typed = e.object[e.start:e.end].encode("utf-8", "surrogateescape")
            click.secho(f"Error: text given on the command line holds bytes that are not UTF-8 ({typed!r}): type it "
                        "again in a terminal set to UTF-8", fg="red", err=True)
            ctx.exit(2)



def _model_options(f):
    f = click.option("--model", help="base (default), tiny.en, or a CTranslate2 Whisper model directory.")(f)
    f = click.option("--device", type=click.Choice(["cpu", "cuda", "auto"]), help="Where the model runs.")(f)
    f = click.option("--threads", "cpu_threads", type=int,
                     help="CPU threads of one job (0: the cores shared among the jobs run at once).")(f)
    f = click.option("--batch-size", type=int,
                     help="Speech chunks decoded together (0: 8 on a CPU, 16 on a GPU).")(f)
    return f


def _settings(**overrides: Any):
    return load_settings(overrides)  # flags left out (None) fall back to the environment


@click.group(cls=_Group, invoke_without_command=True)
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@click.version_option(package_name="storyatlas")
@click.pass_context
def cli(ctx: click.Context, verbose: int) -> None:
    """Story Atlas: an archive of spoken stories, transcribed and searchable on this machine.

    Without a command, serves the web archive (`storyatlas serve`).
    """
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not verbose:
        logging.getLogger("huey").setLevel(logging.ERROR)
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--title", help="Title (default: from the file name).")
@click.option("--collection", help="Collection, e.g. \"Flood memories\".")
@click.option("--place", help="\"Community, Region, CC\" with a two-letter country code last.")
@click.option("--recorded", "recorded_on", help="When it was recorded: 2026, 2026-03 or 2026-03-14.")
@click.option("--language", "language_hint", help="Language spoken (ISO 639-1, e.g. de); detected if omitted.")
@click.option("--storyteller", help="Storyteller's name as they want it shown (default: anonymous).")
@click.option("--description", help="Free description.")
@click.option("--visibility", type=click.Choice(["public", "community", "researchers", "private"]),
              default="public", show_default=True, help="Who may hear the stories (the storyteller's consent).")
@click.option("--embargo-until", metavar="YYYY-MM-DD",
              help="Before this date only the community's moderators see the stories.")
@click.option("--naming", "storyteller_naming", type=click.Choice(["full", "first", "anonymous"]), default="full",
              show_default=True, help="How the storyteller is named on every page and export.")
@click.option("--export/--no-export", "exportable", default=True, show_default=True,
              help="Whether the stories may appear in exports and collection downloads.")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Process the stories now, or only queue them for `storyatlas worker`.")
@click.option("--max-duration", "max_duration_s", type=float, help="Longest recording accepted, in seconds.")
@click.option("--transcript", "transcript_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The recording's transcript made elsewhere (WebVTT, SRT or OHMS XML), taken instead of "
                   "transcribing it. One recording only.")
@click.option("--transcript-offset", metavar="[-]H:MM:SS",
              help="Shift the transcript's times, e.g. -1:00:00 for one timed from a tape's 1:00:00 timecode.")
@_model_options
@archive_option
def ingest(paths, title, collection, place, recorded_on, language_hint, storyteller, description,
           visibility, embargo_until, storyteller_naming, exportable, wait, max_duration_s, transcript_file,
           transcript_offset, model, device, cpu_threads, batch_size, archive) -> None:
    """Take recordings (files or folders) into the archive, transcribe and index them.

    With --transcript, the recording's transcript is read from the file instead.
    Each new story gets its storyteller's private link, printed once: give it to them.
    """
    from storyatlas.archive.consent import Consent

    Consent(visibility, embargo_until, storyteller_naming, exportable).validated()
    settings = _settings(archive=archive, model=model, device=device, cpu_threads=cpu_threads,
                         batch_size=batch_size, max_duration_s=max_duration_s)
    meta = StoryMetadata(title=title, collection=collection, place=Place.parse(place),
                         recorded_on=recorded_on, language_hint=language_hint, storyteller=storyteller,
                         description=description, visibility=visibility, embargo_until=embargo_until,
                         storyteller_naming=storyteller_naming, exportable=exportable).validated()
    if transcript_file is not None:
        _ingest_with_transcript(settings, list(paths), transcript_file, transcript_offset, meta)
        return
    if transcript_offset:
        raise StoryAtlasError("--transcript-offset shifts the times of a --transcript: give the transcript too")
    refused = _ingest_and_process(settings, list(paths), meta, wait)
    if refused:
        sys.exit(1)


def _ingest_with_transcript(settings, paths: list[Path], transcript: Path, offset: str | None,
                            meta: StoryMetadata) -> None:
    from storyatlas.imports import ingest_with_transcript, parse_offset

    media = list(find_media(paths))
    if len(media) != 1:
        raise StoryAtlasError(f"--transcript goes with one recording, and {len(media)} were found in "
                              f"{', '.join(map(str, paths))}: name the one file it transcribes")
    with Archive(settings.database) as archive:
        done = ingest_with_transcript(archive, media[0], transcript, meta, settings, keeper(), parse_offset(offset))
        r = done.ingest
        english = ", with its English" if done.english else ""
        click.echo(f"added    {r.path} -> story {r.story_id}, its transcript from {transcript.name} "
                   f"({done.kind}: {done.segments} segments{english}; {done.themes} themes found"
                   f"{f'; {done.points} index points' if done.points else ''}); "
                   f"the storyteller's private link (shown once): /mine/{r.teller_token}")
        # no worker took this story, so nothing else would make its vectors until the next did
        _make_vectors(Queue(settings), archive, quiet=True)


def _ingest_and_process(settings, paths: list[Path], meta: StoryMetadata, wait: bool) -> int:
    from tqdm import tqdm

    def report(r: IngestResult) -> None:
        if r.error:
            click.secho(f"refused  {r.error}", fg="yellow", err=True)
        elif r.duplicate:
            click.echo(f"known    {r.path}: already in the archive as story {r.story_id}")
        else:
            click.echo(f"added    {r.path} -> story {r.story_id}; the storyteller's private link "
                       f"(shown once): /mine/{r.teller_token}")
            if r.notice:
                click.secho(f"note     {r.path}: {r.notice}", fg="yellow")

    queue = Queue(settings)
    with Archive(settings.database) as archive:
        results = ingest_paths(archive, paths, meta, settings, keeper(), on_result=report)
        if not results:
            raise StoryAtlasError("no media files found in " + ", ".join(map(str, paths)))
        new = [r for r in results if r.job_id is not None]
        queue.enqueue(r.job_id for r in new)
        refused = sum(1 for r in results if r.error)
        failed = 0
        if wait and new:
            names = {r.job_id: r.path.name for r in new}
            # no bars in a log file (disable=None: only on a terminal)
            overall = tqdm(total=len(new), desc="all stories", unit="story", position=0, disable=None,
                           bar_format="{l_bar}{bar}| {n:.1f}/{total} [{elapsed}<{remaining}]")
            bars: dict[int, Any] = {}
            done: dict[int, float] = {}

            def listener(job: Job, p: Progress) -> None:
                if job.id not in names:
                    return
                if job.id not in bars:
                    bars[job.id] = tqdm(total=100, desc=names[job.id][:30], position=len(bars) + 1,
                                        leave=False, disable=None,
                                        bar_format="{desc:30} {bar} {percentage:3.0f}% {postfix}")
                fraction = 1.0 if p.stage in ("done", "failed") else p.fraction
                bar = bars[job.id]
                bar.n = round(fraction * 100)
                bar.set_postfix_str(p.stage)
                done[job.id] = fraction
                overall.n = sum(done.values())
                overall.refresh()

            jobs = queue.drain(archive, names, listener)
            for bar in bars.values():
                bar.close()
            overall.close()
            if any(job.state == "done" for job in jobs):
                _make_vectors(queue, archive, quiet=True)  # found by meaning too (drain made a round)
            for job in jobs:
                if job.state == "failed":
                    failed += 1
                    click.secho(f"failed   {names[job.id]} (story {job.story_id}): {job.message}", fg="red", err=True)
                elif job.message:
                    click.secho(f"note     {names[job.id]} (story {job.story_id}): {job.message}", fg="yellow")
        summary = f"{len(new)} added, {sum(r.duplicate for r in results)} already known, {refused} refused"
        if wait and new:
            summary += f", {len(new) - failed} processed, {failed} failed"
        elif new:
            summary += "; queued: run `storyatlas worker` to process them"
        click.echo(summary)
        return refused + failed


@cli.command()
@click.option("--workers", type=int,
              help="Jobs processed at once, sharing one loaded model and the cores (default 1).")
@_model_options
@archive_option
def worker(workers, model, device, cpu_threads, batch_size, archive) -> None:
    """Process queued stories until interrupted (Ctrl-C)."""
    settings = _settings(archive=archive, model=model, device=device, cpu_threads=cpu_threads,
                         batch_size=batch_size, workers=workers)
    click.echo(f"worker on {settings.archive}, {settings.workers} job(s) at once (Ctrl-C to stop)")
    Queue(settings).work(settings.workers)


@cli.command()
@click.argument("query")
@click.option("--language", help="Only stories in this language (ISO 639-1).")
@click.option("--country", help="Only stories from this country (two-letter code).")
@click.option("--collection", help="Only stories in this collection.")
@click.option("--review-state", type=click.Choice(["draft", "corrected", "reviewed", "published"]),
              help="Only stories whose transcript is in this review state.")
@click.option("--limit", type=LIMIT, default=20, show_default=True, help="Stories to show.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable results.")
@archive_option
def search(query, language, country, collection, review_state, limit, as_json, archive) -> None:
    """Find the moments where words are spoken (in the original or in English).

    \b
    QUERY is words in any of their forms and languages; "a phrase" in quotes
    finds its words in order; -word leaves a word out; flood OR river finds
    either; riv* finds the words that begin so."""
    settings = _settings(archive=archive)
    with opened(settings) as a:
        results = FTSBackend(a, known_words.loaded(settings.cache)).search(
            SearchQuery(query, keeper(), language=language, country=country, collection=collection,
                        review_state=review_state, limit=limit))
    if as_json:
        click.echo(json.dumps({
            "query": query, "total_stories": results.total_stories, "by_words": results.by_words,
            "relaxed": results.relaxed,
            "suggestions": list(results.suggestions), "suggested_queries": list(results.suggested_queries),
            "word_for_word": results.word_for_word or None, "only_left_out": results.only_left_out,
            "begun_cut": list(results.begun_cut),
            "stories": [{
                "story_id": h.story_id, "title": h.title, "language": h.language,
                "country": h.country, "collection": h.collection, "score": h.score,
                "moments": [{"at": m.at, "start": m.start, "end": m.end, "text": m.text, "text_en": m.text_en,
                             "snippet": m.snippet_html(), "why": list(m.why)} for m in h.moments],
            } for h in results.stories],
        }, ensure_ascii=False, indent=2))
        return
    offered = results.suggested_queries and f"Did you mean: {', '.join(map(repr, results.suggested_queries))}?"
    if results.word_for_word:
        click.echo(f"{query!r} holds only words too common to search alone (such as \"the\" or \"and\"). "
                   f"To search them word for word: {results.word_for_word!r}")
    elif results.only_left_out:
        click.echo(f"{query!r} only says which words to leave out: add a word to find.")
    if not results.stories:
        if not (results.word_for_word or results.only_left_out):
            click.echo(f"No moments match {query!r}. Try fewer or other words, or drop the filters.")
        if offered:
            click.echo(offered)
        return
    if results.relaxed:
        click.echo("No moment holds all the words; showing moments with any of them.")
    for word in results.begun_cut:
        click.echo(f"So many words begin with {word!r} that only the shortest are searched: type more letters.")
    if offered:
        click.echo(offered)
    for hit in results.stories:
        click.secho(f"#{hit.story_id} {hit.title}", bold=True, nl=False)
        click.echo(f"  ({', '.join(x for x in (hit.language, hit.country, hit.collection) if x)})")
        for m in hit.moments:
            snippet = m.snippet_marked(click.style("", bold=True, reset=False), click.style("", reset=True)) \
                if sys.stdout.isatty() else m.snippet_marked("[", "]")
            click.echo(f"  {clock(m.at)}  {snippet}")
    shown = len(results.stories)
    if results.total_stories > shown:
        click.echo(f"... {results.total_stories - shown} more stories (use --limit)")
    if results.total_stories > results.by_words:
        click.echo(f"Found by their words or themes: {results.by_words}; only close in meaning: "
                   f"{results.total_stories - results.by_words}")


@cli.command()
@click.argument("story_id", type=ROW_ID)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable details.")
@archive_option
def show(story_id, as_json, archive) -> None:
    """Print a story's details and its transcript, original and English side by side."""
    settings = _settings(archive=archive)
    with opened(settings) as a:
        doc = story_document(a, story_id, keeper())
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    _print_story(doc)


def _print_story(doc: dict) -> None:
    click.secho(f"#{doc['id']} {doc['title']}", bold=True)
    place = ", ".join(v for v in doc["place"].values() if v)
    for label, value in (("place", place), ("collection", doc["collection"]),
                         ("recorded", doc["recorded_on"]), ("storyteller", doc["storyteller"] or "anonymous"),
                         ("language", doc["language"]), ("duration", doc["duration_s"] and clock(doc["duration_s"])),
                         ("description", doc["description"])):
        if value:
            click.echo(f"  {label:12} {value}")
    job = doc["job"]
    if job and job["state"] != "done":
        click.echo(f"  {'processing':12} {job['state']} {job['stage'] or ''} {job['progress'] * 100:.0f}% {job['message'] or ''}")
    elif job and job["message"]:
        click.echo(f"  {'note':12} {job['message']}")
    if doc.get("themes"):
        click.echo(f"  {'themes':12} " + ", ".join(f"{t['label']} ({t['score']:g})" for t in doc["themes"]))
    places = sorted({e["normalized"] for e in doc.get("entities", []) if e["kind"] == "place"})
    if places:
        click.echo(f"  {'places named':12} " + ", ".join(places))
    click.echo()
    english = any(s["text_en"] for s in doc["segments"])
    width = 56
    for s in doc["segments"]:
        if english:
            click.echo(f"{clock(s['start'])}  {s['text']:<{width}}  | {s['text_en'] or ''}")
        else:
            click.echo(f"{clock(s['start'])}  {s['text']}")
    if english:
        click.echo("\n(English: machine translation)")


@cli.command()
@click.option("--limit", type=LIMIT, default=50, show_default=True)
@click.option("--offset", type=OFFSET, default=0)
@archive_option
def stories(limit, offset, archive) -> None:
    """List the stories in the archive with their processing state."""
    settings = _settings(archive=archive)
    with opened(settings) as a:
        who = keeper()
        for s in a.stories(who, limit, offset):
            job = a.job_for_story(s.id, who)
            state = job.state if job else "-"
            click.echo(f"#{s.id:<5} {state:8} {s.state:9} {s.visibility:11} {s.language or '??':3} "
                       f"{str(s.place):30.30} {s.title}")


@cli.command()
@click.option("--publish", type=ROW_ID, metavar="ID",
              help="Publish this story with the visibility its teller asked for.")
@click.option("--decline", type=ROW_ID, metavar="ID", help="Decline this story: it stays private.")
@archive_option
def review(publish, decline, archive) -> None:
    """List the stories from the public that wait for a moderator, or publish or decline one."""
    if publish is not None and decline is not None:
        raise click.UsageError("publish or decline one story at a time: give --publish or --decline, not both")
    settings = _settings(archive=archive)
    with opened(settings) as a:
        who = keeper()
        if publish is not None or decline is not None:
            story = a.review(publish if publish is not None else decline, publish is not None, who)
            click.echo(f"#{story.id} {story.title}: {'published' if publish is not None else 'declined'}, "
                       f"visible to {story.visibility}")
            return
        waiting = a.awaiting_review(who)
        for s in waiting:
            job = a.job_for_story(s.id, who)
            click.echo(f"#{s.id:<5} {job.state if job else '-':8} asks for {s.requested_visibility:12} {s.title}")
        if not waiting:
            click.echo("no story is waiting for review")


def _make_vectors(queue: Queue, archive: Archive, quiet: bool = False) -> None:
    """The meaning index's missing vectors, with a bar (a million segments take hours);
    ``quiet``: nothing said when none was missing."""
    with progress_bar("meaning vectors", "segment") as progress:
        made = queue.index_meaning_here(archive, progress)
    if made is None:
        click.echo("meaning vectors: a worker is making them; stories are found by meaning when it is done")
    elif made or not quiet:
        click.echo(f"made {made} meaning vectors")


@cli.command()
@archive_option
def reindex(archive) -> None:
    """Rebuild the words index from the archive, and make the meaning index's missing vectors."""
    settings = _settings(archive=archive)
    with opened(settings) as a:
        with progress_bar("words index", "segment") as progress:
            n = FTSBackend(a).rebuild(progress)
        click.echo(f"indexed {n} segments by their words")
        _make_vectors(Queue(settings), a)


@cli.command()
@_model_options
@archive_option
def demo(model, device, cpu_threads, batch_size, archive) -> None:
    """Put the bundled sample story into the archive and show what the archive makes of it."""
    settings = _settings(archive=archive, model=model, device=device, cpu_threads=cpu_threads,
                         batch_size=batch_size)
    sample = _sample_path()
    _ingest_and_process(settings, [sample], SAMPLE, wait=True)
    with Archive(settings.database) as a:
        story_id = a.story_for_original(sha256_file(sample), keeper())
        _print_story(story_document(a, story_id, keeper()))
    click.echo(f"\nArchive: {settings.archive}\nTry: storyatlas search \"pumped the cellar\"")


SAMPLE = StoryMetadata(title="The night the river came", collection="Flood memories",
                       place=Place.parse("Zgorzelec, Lower Silesia, PL"), recorded_on="2026-03",
                       storyteller="Anna", description="Sample story (synthetic voice).")


def _sample_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("storyatlas").joinpath("sample/river.ogg")))


def _ready_to_serve(settings, worker: bool) -> None:
    """An archive folder that cannot be made, or (with a worker) no speech model or a cache it
    cannot write, was a traceback, or a server whose every upload then failed."""
    from storyatlas.archive.db import make_folder_of
    from storyatlas.transcribe.models import resolve_model

    make_folder_of(settings.database)
    try:
        if worker:
            resolve_model(settings.model, settings.cache)  # the base model is joined into the cache once
    except OSError as e:
        raise StoryAtlasError(f"cannot keep the speech model in {settings.cache} ({e.strerror or e}): set "
                              "STORYATLAS_CACHE to a folder this user may write to") from None


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--with-sample", is_flag=True, help="Add the bundled sample story if the archive is empty.")
@click.option("--no-worker", is_flag=True, help="Only serve; leave processing to `storyatlas worker`.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Server processes (one per core answers most).")
@_model_options
@archive_option
def serve(host="127.0.0.1", port=8000, with_sample=False, no_worker=False, workers=1, model=None, device=None,
          cpu_threads=None, batch_size=None, archive=None) -> None:
    """Serve the web archive, processing uploads in this process."""
    import uvicorn

    from storyatlas.ingest import ingest_file
    from storyatlas.web.app import create_app

    settings = _settings(archive=archive, model=model, device=device, cpu_threads=cpu_threads,
                         batch_size=batch_size).allowing_host(host)
    _ready_to_serve(settings, worker=not no_worker)
    if with_sample:
        with Archive(settings.database) as a:
            if a.is_empty():
                result = ingest_file(a, _sample_path(), SAMPLE, settings, keeper())
                Queue(settings).enqueue([result.job_id])
    # here with more processes too: what stops one starting (STORYATLAS_ADMIN_PASSWORD too short) is said
    # once, not as a traceback per process, each started again and again
    app = create_app(settings, worker=not no_worker and workers == 1)
    with Archive(settings.database) as a:
        nobody = not count_users(a)
    named = f"[{host.strip('[]')}]" if ":" in host else host  # an IPv6 address in a link: http://[::1]:8000/
    click.echo(f"Story Atlas on http://{named}:{port}/ (archive: {settings.archive}; Ctrl-C to stop)")
    if nobody:
        click.echo("Nobody can sign in yet: create the first admin with "
                   "`storyatlas users add NAME --role admin` (in .venv/bin after scripts/run)")
    if workers > 1:
        # each process builds its own app from the environment; each one's worker gets its
        # share of the cores, or the processes' threads would fight over them
        from storyatlas.machine import available_cores

        threads = settings.cpu_threads or max(1, available_cores() // workers)
        os.environ.update({"STORYATLAS_ARCHIVE": str(settings.archive), "STORYATLAS_MODEL": settings.model,
                           "STORYATLAS_DEVICE": settings.device, "STORYATLAS_CPU_THREADS": str(threads),
                           "STORYATLAS_BATCH_SIZE": str(settings.batch_size),
                           "STORYATLAS_ALLOWED_HOSTS": ",".join(settings.allowed_hosts),
                           "STORYATLAS_SERVE_WORKER": "0" if no_worker else "1"})
        uvicorn.run("storyatlas.web.app:from_environment", factory=True, host=host, port=port,
                    workers=workers, log_level="warning")
    else:
        uvicorn.run(app, host=host, port=port, log_level="warning")


cli.add_command(themes)
cli.add_command(compare)
cli.add_command(users)
cli.add_command(audit)
register_exports(cli)
register_keepers(cli)
register_corrections(cli)


def main() -> None:
    cli(prog_name="storyatlas")
