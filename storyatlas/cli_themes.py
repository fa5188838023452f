"""`storyatlas themes ...` and `storyatlas compare`: the vocabulary, tagging and comparison
from the command line."""

from __future__ import annotations

import click

from storyatlas.archive import Archive, tags
from storyatlas.archive.discover import compare as compare_places
from storyatlas.cli_options import archive_option, counted, keeper, opened, progress_bar
from storyatlas.errors import StoryAtlasError
from storyatlas.settings import load_settings
from storyatlas.themes import emerging, store
from storyatlas.themes.run import retag
from storyatlas.themes.vocabulary import LANGUAGES, Theme

def _retag(a: Archive, settings, every: bool = False) -> None:
    with progress_bar("re-tagging", "story") as progress:
        n = retag(a, settings.cache, every=every, progress=progress)
    click.echo(f"re-tagged {counted(n, 'story')}")


def _triggers(values: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """`--trigger pl:eksmisja --trigger "en:bailiff, eviction notice"` -> {lang: (phrases)}."""
    found: dict[str, list[str]] = {}
    for value in values:
        lang, sep, words = value.partition(":")
        if not sep or lang not in LANGUAGES:
            raise StoryAtlasError(f"--trigger {value!r}: write LANG:word, phrase, ... with LANG one of {' '.join(LANGUAGES)}")
        found.setdefault(lang, []).extend(w.strip().lower() for w in words.split(",") if w.strip())
    return {lang: tuple(words) for lang, words in found.items()}


@click.group()
def themes() -> None:
    """The community theme vocabulary and the stories' themes."""


@themes.command(name="list")
@click.option("--language", "lang", default="en", show_default=True, help="Language of the labels.")
@archive_option
def list_themes(lang, archive) -> None:
    """Themes with how many stories have each."""
    settings = load_settings({"archive": archive})
    with opened(settings) as a:
        vocabulary = store.vocabulary(a)
        counts = tags.theme_counts(a, keeper())
        for theme in vocabulary.themes:
            click.echo(f"{theme.id:16} {counts.get(theme.id, 0):5}  {theme.label_in(lang)}")
        click.echo(f"vocabulary version {vocabulary.version}, {len(vocabulary.themes)} themes")


@themes.command()
@click.argument("theme_id")
@click.option("--label", required=True, help="The theme's name, in English.")
@click.option("--description", default="", help="What stories with this theme are about.")
@click.option("--trigger", "triggers", multiple=True, required=True,
              help='Words that signal it, per language: --trigger "pl:eksmisja, komornik" (repeatable).')
@click.option("--no-retag", is_flag=True, help="Do not re-tag the archive now.")
@archive_option
def add(theme_id, label, description, triggers, no_retag, archive) -> None:
    """Add a theme; every story is then tagged again."""
    settings = load_settings({"archive": archive})
    with opened(settings) as a:
        store.add_theme(a, Theme(theme_id, label, description, {}, _triggers(triggers)))
        click.echo(f"added theme {theme_id}")
        if not no_retag:
            _retag(a, settings)


@themes.command()
@click.argument("theme_id")
@click.option("--label", help="New English name.")
@click.option("--description", help="New description.")
@click.option("--trigger", "triggers", multiple=True, help="Words to add, as LANG:word, phrase (repeatable).")
@click.option("--remove-trigger", "removed", multiple=True, help="Words to remove, as LANG:word (repeatable).")
@click.option("--no-retag", is_flag=True, help="Do not re-tag the archive now.")
@archive_option
def edit(theme_id, label, description, triggers, removed, no_retag, archive) -> None:
    """Change a theme's label, description or trigger words; every story is then tagged again."""
    settings = load_settings({"archive": archive})
    with opened(settings) as a:
        theme = store.vocabulary(a).get(theme_id)
        merged = {lang: list(words) for lang, words in theme.triggers.items()}
        for lang, words in _triggers(triggers).items():
            merged.setdefault(lang, []).extend(w for w in words if w not in merged.get(lang, []))
        for lang, words in _triggers(removed).items():
            merged[lang] = [w for w in merged.get(lang, []) if w not in words]
        if label is not None and not label.strip():
            raise StoryAtlasError("a theme needs a label: give --label a name, or leave it out to keep it")
        changed = Theme(theme.id, label or theme.label, description if description is not None
                        else theme.description, theme.labels, {lang: tuple(w) for lang, w in merged.items()})
        if changed == theme:  # said so, and no archive tagged again for nothing
            click.echo(f"theme {theme_id} is as asked already: nothing changed")
            return
        store.save_theme(a, changed)
        click.echo(f"changed theme {theme_id}")
        if not no_retag:
            _retag(a, settings)


@themes.command(name="retag")
@click.option("--all", "every", is_flag=True, help="Every story, not only those tagged with an older vocabulary.")
@archive_option
def retag_command(every, archive) -> None:
    """Tag stories again with the current vocabulary."""
    settings = load_settings({"archive": archive})
    with opened(settings) as a:
        _retag(a, settings, every)


@themes.command()
@click.option("--min-stories", type=click.IntRange(1, 1_000_000), default=3, show_default=True,
              help="In at least this many stories.")
@click.option("--accept", nargs=2, metavar="PHRASE THEME_ID", help="Make PHRASE a new theme THEME_ID.")
@click.option("--dismiss", metavar="PHRASE", help="Stop suggesting PHRASE.")
@archive_option
def suggest(min_stories, accept, dismiss, archive) -> None:
    """Recurring phrases that no theme covers yet, with example moments."""
    from storyatlas.exports import clock

    if accept and dismiss:
        raise click.UsageError("accept one phrase or dismiss one: not both at once")
    settings = load_settings({"archive": archive})
    with opened(settings) as a:
        if dismiss:
            emerging.dismiss(a, dismiss)
            click.echo(f"dismissed {dismiss!r}")
            return
        if accept:
            phrase, theme_id = accept
            emerging.accept(a, phrase, theme_id, phrase.capitalize())
            click.echo(f"added theme {theme_id} for {phrase!r}")
            _retag(a, settings)
            return
        found = emerging.suggest(a, keeper(), min_stories)
        if not found:
            click.echo(f"no phrase outside the themes recurs in {min_stories} or more stories")
        for s in found:
            click.secho(f"{s.phrase!r}: {counted(s.stories, 'story')}", bold=True)
            for e in s.examples:
                click.echo(f"   #{e.story_id} {clock(e.start)}  {e.text[:90]}")


@click.command()
@click.argument("a")
@click.argument("b")
@click.option("--language", "lang", default="en", show_default=True, help="Language of the theme labels.")
@archive_option
def compare(a, b, lang, archive) -> None:
    """Themes two regions (or communities, countries, collections) share, and those only one has."""
    settings = load_settings({"archive": archive})
    with opened(settings) as arch:
        vocabulary = store.vocabulary(arch)
        result = compare_places(arch, a, b, keeper())
    if not result.stories_a or not result.stories_b:
        missing = a if not result.stories_a else b
        raise StoryAtlasError(f"no stories from {missing!r}: name a region, community, country code or collection")

    def label(theme_id: str) -> str:
        try:
            return vocabulary.get(theme_id).label_in(lang)
        except StoryAtlasError:
            return theme_id

    click.echo(f"{a}: {counted(result.stories_a, 'story')}    {b}: {counted(result.stories_b, 'story')}")
    for title, ids in (("shared", result.shared), (f"only {a}", result.only_a), (f"only {b}", result.only_b)):
        click.secho(title, bold=True)
        for theme_id in ids:
            click.echo(f"  {label(theme_id):36} {result.counts_a.get(theme_id, 0):4} {result.counts_b.get(theme_id, 0):4}")
        if not ids:
            click.echo("  (none)")
