"""The correction workbench on the command line: `storyatlas correct` (text, splits,
merges, speakers, find and replace) and `storyatlas revisions` (list, compare, restore).
The command line acts as the archive's keeper, named in the audit log and the revisions."""

from __future__ import annotations

import click

from storyatlas.archive import Archive, corrections
from storyatlas.archive.corrections import SPEAKER_ROLES
from storyatlas.cli_keepers import _clock_option, _one_line_errors
from storyatlas.cli_options import ROW_ID, archive_option, counted, keeper, opened
from storyatlas.errors import CorrectionError, said
from storyatlas.ingest.channels import channel_speakers
from storyatlas.ingest.store import MediaStore
from storyatlas.ingest.voices import available as voices_available, speaker_turns
from storyatlas.settings import load_settings
from storyatlas.text import clock_tenths


def _speaker_name(ctx, param, value):
    if value is None:
        return None
    label, sep, name = value.partition("=")
    if not sep or not label.strip():
        raise click.BadParameter('write LABEL="Name", e.g. S1="Anna Nowak"')
    return label.strip(), name.strip()


@click.command()
@click.argument("story_id", type=ROW_ID)
@_clock_option("at", "--at", "The segment playing at this time (with --text or --speaker).", required=False)
@click.option("--text", help="The segment's corrected text (with --at).")
@click.option("--speaker", help="The segment's speaker label, e.g. S1 (with --at); \"\" for nobody known.")
@_clock_option("split_at", "--split-at", "Split the segment playing at this time, here.", required=False)
@_clock_option("merge_at", "--merge-at", "Merge the segment playing at this time with the next.", required=False)
@click.option("--name-speaker", "naming", metavar='LABEL="NAME"', callback=_speaker_name,
              help='Name a speaker label: S1="Anna Nowak" (with --role).')
@click.option("--role", type=click.Choice(SPEAKER_ROLES), default="other", show_default=True,
              help="The named speaker's role.")
@click.option("--find", help="Text to find in every segment (plain text, not a pattern).")
@click.option("--replace", "replacement", help="What to put in its place (with --find).")
@click.option("--ignore-case", is_flag=True, help="Find regardless of upper and lower case.")
@click.option("--speakers-by-channel", "by_channel", is_flag=True,
              help="Label each segment S1, S2... by the loudest channel of a recording with a voice per channel.")
@click.option("--speakers-by-voice", "by_voice", is_flag=True,
              help="Label each segment S1, S2... by its voice (needs: pip install --no-deps resemblyzer==0.1.4).")
@click.option("--base", type=ROW_ID, help="Refuse if the transcript is no longer at this revision (default: current).")
@archive_option
@_one_line_errors
def correct(story_id: int, at, text, speaker, split_at, merge_at, naming, role, find, replacement, ignore_case,
            by_channel, by_voice, base, archive) -> None:
    """Correct a story's transcript; with no change asked, show it with its segment times.
    Each change is saved as a revision (`storyatlas revisions ID`)."""
    asked = [x for x in (text is not None, speaker is not None, split_at is not None, merge_at is not None,
                         naming is not None, find is not None, by_channel, by_voice) if x]
    if len(asked) > 1 and not (text is not None and speaker is not None):
        raise CorrectionError("make one change at a time (--text and --speaker may go together)")
    if (text is not None or speaker is not None) and at is None:
        raise CorrectionError("say which segment with --at TIME (a time while it plays, e.g. --at 0:09)")
    if find is not None and replacement is None:
        raise CorrectionError("say what replaces it with --replace")
    # half a change asked for is said so, not taken for "show the transcript"
    if find is None and (replacement is not None or ignore_case):
        raise CorrectionError("say what to find with --find (--replace and --ignore-case go with it)")
    if at is not None and text is None and speaker is None:
        raise CorrectionError("say what changes at that time: --text or --speaker")
    settings = load_settings({"archive": archive})
    who = keeper()
    with opened(settings) as a:
        if not asked:
            _show(corrections.transcript(a, story_id, who))
            return
        if by_channel:
            done = _by_channel(a, settings.media_dir, story_id, base)
        elif by_voice:
            done = _by_voice(a, settings.media_dir, story_id, base)
        elif naming is not None:
            done = corrections.name_speaker(a, story_id, naming[0], naming[1], who, base=base, role=role)
        elif find is not None:
            done = corrections.replace_text(a, story_id, find, replacement, who, base=base,
                                            case_sensitive=not ignore_case)
            click.echo(f"replaced in {counted(done.changed, 'segment')}")
        elif split_at is not None:
            segment = corrections.segment_at(a, story_id, split_at, who)
            done = corrections.split(a, story_id, segment.id, who, base=base, at=split_at)
        elif merge_at is not None:
            segment = corrections.segment_at(a, story_id, merge_at, who)
            done = corrections.merge(a, story_id, segment.id, who, base=base)
        else:
            segment = corrections.segment_at(a, story_id, at, who)
            changed = 0
            if speaker is not None:
                done = corrections.set_speaker(a, story_id, segment.id, speaker, who, base=base)
                changed, base = done.changed, done.revision
            if text is not None:
                done = corrections.set_text(a, story_id, segment.id, text, who, base=base)
                changed += done.changed
            done = corrections.Saved(done.revision, changed)
    if done.changed:
        _after_change(settings)
        click.echo(f"saved revision {done.revision} of story #{story_id}")
    else:
        click.echo(f"nothing changed: story #{story_id} stays at revision {done.revision}")


def _by_channel(a: Archive, media_dir, story_id: int, base: int | None) -> corrections.Saved:
    who = keeper()
    segments = a.segments(story_id, who)
    original = MediaStore(media_dir).absolute(a.media(story_id, "original", who).path)
    labels = channel_speakers(original, [(s.start, s.end) for s in segments])
    found = {s.id: label for s, label in zip(segments, labels) if label}
    if not found:
        raise CorrectionError("no channel leads anywhere: the recording is mono, or every voice is on every "
                              "channel; label speakers by hand with --speaker")
    counts = {label: list(found.values()).count(label) for label in sorted(set(found.values()))}
    click.echo(f"labelled {counted(len(found), 'segment')} by channel: "
               + ", ".join(f"{label} {counted(n, 'segment')}" for label, n in counts.items()))
    return corrections.label_speakers(a, story_id, found, who, base=base, summary=said("speakers labelled by channel"))


def _by_voice(a: Archive, media_dir, story_id: int, base: int | None) -> corrections.Saved:
    who = keeper()
    if not voices_available():
        raise CorrectionError("telling voices apart needs the speaker encoder's weights: "
                              "pip install --no-deps resemblyzer==0.1.4")
    segments = a.segments(story_id, who)
    speech = MediaStore(media_dir).absolute(a.media(story_id, "speech", who).path)
    labels = speaker_turns(speech, [(s.start, s.end) for s in segments])
    found = {s.id: label for s, label in zip(segments, labels) if label}
    counts = {label: list(found.values()).count(label) for label in sorted(set(found.values()))}
    if len(counts) < 2:
        raise CorrectionError("one voice is heard throughout: label speakers by hand with --speaker")
    click.echo(f"labelled {counted(len(found), 'segment')} by voice: "
               + ", ".join(f"{label} {counted(n, 'segment')}" for label, n in counts.items()))
    return corrections.label_speakers(a, story_id, found, who, base=base, summary=said("speakers labelled by voice"))


def _after_change(settings) -> None:
    """What the worker makes again from a changed transcript, as after the editor's: its
    English, its themes and its meaning (queued: a running server's worker takes it)."""
    from storyatlas.jobs import Queue

    Queue(settings).retag()


def _show(t: corrections.Transcript) -> None:
    click.echo(f"story #{t.story.id} \"{t.story.title}\", revision {t.revision} ({t.story.review_state})")
    names = {s.label: f"{s.name} ({s.role})" if s.name else s.role for s in t.speakers}
    for label, name in names.items():
        click.echo(f"  {label}: {name}")
    for s in t.segments:
        who = f" [{s.speaker}]" if s.speaker else ""
        click.echo(f"{clock_tenths(s.start):>9}-{clock_tenths(s.end):<9}{who} {s.text}")


@click.command("revisions")
@click.argument("story_id", type=ROW_ID)
@click.option("--compare", nargs=2, type=ROW_ID, metavar="A B", help="What changed from revision A to B.")
@click.option("--show", "show_number", type=ROW_ID, metavar="N", help="The transcript saved in revision N.")
@click.option("--restore", "restore_number", type=ROW_ID, metavar="N",
              help="Make revision N the transcript again (a new revision).")
@archive_option
@_one_line_errors
def revisions(story_id: int, compare, show_number, restore_number, archive) -> None:
    """List a story's transcript revisions, compare two, show or restore one."""
    settings = load_settings({"archive": archive})
    who = keeper()
    with opened(settings) as a:
        if restore_number is not None:
            done = corrections.restore(a, story_id, restore_number, who, base=None)
            if done.changed:
                _after_change(settings)
            click.echo(f"restored revision {restore_number} of story #{story_id} as revision {done.revision}"
                       if done.changed else f"revision {restore_number} is the transcript already: nothing changed")
        elif compare:
            changes = corrections.compare(a, story_id, *compare, who)
            click.echo(f"{counted(len(changes), 'segment')} changed from revision {compare[0]} to {compare[1]}")
            for c in changes:
                before, after = ("(none)" if x is None else x for x in (c.before, c.after))
                click.echo(f"{clock_tenths(c.start):>9}-{clock_tenths(c.end):<9} - {before}")
                click.echo(f"{'':>19} + {after}")
        elif show_number is not None:
            r = corrections.revision(a, story_id, show_number, who)
            click.echo(f"revision {r.number} by {r.who} at {r.at}: {r.summary}")
            for x in r.lines:
                speaker = f" [{x.speaker}]" if x.speaker else ""
                click.echo(f"{clock_tenths(x.start):>9}-{clock_tenths(x.end):<9}{speaker} {x.text}")
        else:
            found = corrections.revisions(a, story_id, who)
            if not found:
                click.echo(f"story #{story_id} has no corrections yet: its transcript is the machine's (revision 0)")
            for r in found:
                click.echo(f"{r.number:>5}  {r.at}  {r.who}: {r.summary}")


@click.command()
@click.argument("story_ids", type=ROW_ID, nargs=-1)
@click.option("--model", help="base (default) or a multilingual CTranslate2 Whisper folder.")
@archive_option
@_one_line_errors
def retranslate(story_ids: tuple[int, ...], model, archive) -> None:
    """Make again the English of corrected, split or merged segments (of STORY_IDS, or
    every story with English out of date). The worker does this after corrections too."""
    from storyatlas.archive.english import stale_english, stories_with_stale_english
    from storyatlas.jobs.english import refresh_english
    from storyatlas.transcribe.whisper import get_transcriber

    settings = load_settings({"archive": archive, "model": model})
    who = keeper()
    with opened(settings) as a:
        written = refresh_english(a, settings, story_ids or None, who)
        left = [x for s in story_ids or stories_with_stale_english(a, who) for x in stale_english(a, s, who)]
    click.echo(f"{counted(written, 'English line')} made again")
    if left:
        # a line not in English was given to the model, so it is loaded already
        untranslatable = any(x.language != "en" for x in left) and not get_transcriber(settings).multilingual
        why = (f"the model {settings.model} knows only English and cannot translate: use --model base"
               if untranslatable else "their text was corrected again meanwhile: run this again")
        click.secho(f"{counted(len(left), 'line')} still out of date: {why}", fg="yellow", err=True)
        raise click.exceptions.Exit(1)


def register(cli: click.Group) -> None:
    """Add these commands to the `storyatlas` group."""
    cli.add_command(correct)
    cli.add_command(revisions)
    cli.add_command(retranslate)
