"""The themes' side of the archive: the vocabulary (seeded from the repository's file,
edited by moderators) and each story's tags. Themes write here; reads of what a story
was tagged with go through the archive's access policy (``archive.tags``)."""

from __future__ import annotations

import json

from storyatlas.archive import Archive, Viewer, tags
from storyatlas.errors import VocabularyError, said
from storyatlas.themes.tagger import Tagging
from storyatlas.themes.vocabulary import THEME_ID, Theme, Vocabulary, default_vocabulary, theme_from

# the tagger reads every story it tags, whoever may later see it
TAGGER = Viewer.keeper("tagger")

_parsed: dict[tuple, Vocabulary] = {}


def vocabulary(archive: Archive) -> Vocabulary:
    """The archive's vocabulary; on first use, the repository's."""
    if not tags.theme_rows(archive):
        with archive.transaction() as c:
            for theme in default_vocabulary().themes:
                _upsert(c, theme, "vocabulary")
    # parsing ten thousand trigger words for every story would cost more than tagging it
    key = (str(archive.path), tags.vocabulary_generation(archive))
    if key not in _parsed:
        _parsed.clear()
        _parsed[key] = Vocabulary(tuple(
            theme_from(r["id"], {"label": r["label"], "description": r["description"],
                                 "labels": json.loads(r["labels"]), "triggers": json.loads(r["triggers"])})
            for r in tags.theme_rows(archive)))
    return _parsed[key]


def _upsert(c, theme: Theme, source: str) -> None:
    doc = theme.as_json()
    c.execute(
        """INSERT INTO themes (id, label, description, labels, triggers, source) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET label = excluded.label, description = excluded.description,
             labels = excluded.labels, triggers = excluded.triggers, source = excluded.source,
             updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')""",
        (theme.id, theme.label, theme.description, json.dumps(doc["labels"], ensure_ascii=False),
         json.dumps(doc["triggers"], ensure_ascii=False), source))


def add_theme(archive: Archive, theme: Theme) -> None:
    """A moderator's new theme: its id must be well formed and not taken, so that adding
    never overwrites a theme already there."""
    if not THEME_ID.match(theme.id):
        raise VocabularyError(said("theme id {theme!r}: use lower-case letters, digits and _ (e.g. school_closures)",
                                   theme=theme.id))
    if theme.id in vocabulary(archive).ids():
        raise VocabularyError(said("theme {theme!r} exists already: edit it, or choose another id", theme=theme.id))
    save_theme(archive, theme)


def save_theme(archive: Archive, theme: Theme) -> None:
    """A moderator's new or edited theme: it needs a label and trigger words in at least
    one language (the command line saved a theme with neither, which no story could get
    and every page showed blank)."""
    if not theme.label.strip():
        raise VocabularyError(said("a theme needs a label"))
    if not any(w.strip() for words in theme.triggers.values() for w in words):
        raise VocabularyError(said("a theme needs trigger words in at least one language"))
    # printed on the keepers' terminals too (`storyatlas themes list`), where an escape would work
    said_in = [theme.label, " ".join(theme.description.split()), *(w for ws in theme.triggers.values() for w in ws)]
    if not all(text.isprintable() for text in said_in):
        raise VocabularyError(said("a theme's label, description and trigger words are written in printable "
                                   "characters only: type them again"))
    vocabulary(archive)  # seed first, so the edit is not overwritten by the seed
    with archive.transaction() as c:
        _upsert(c, theme, "moderator")


def save_tagging(archive: Archive, story_id: int, tagging: Tagging) -> None:
    """Replace the story's themes, evidence, entities and phrases in one transaction."""
    segment_ids = [s.id for s in archive.segments(story_id, TAGGER)]
    with archive.transaction() as c:
        for table in ("story_themes", "theme_evidence", "entities", "phrases", "taggings"):
            c.execute(f"DELETE FROM {table} WHERE story_id = ?", (story_id,))
        for tag in tagging.themes:
            c.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, ?, ?)",
                      (story_id, tag.theme_id, tag.score))
            c.executemany(
                "INSERT INTO theme_evidence (story_id, theme_id, segment_id, trigger, side) VALUES (?, ?, ?, ?, ?)",
                [(story_id, tag.theme_id, segment_ids[e.segment], e.trigger, e.side) for e in tag.evidence])
        c.executemany(
            "INSERT INTO entities (story_id, segment_id, kind, text, country, normalized) VALUES (?, ?, ?, ?, ?, ?)",
            [(story_id, segment_ids[e.segment], e.kind, e.text, e.country, e.normalized or e.text)
             for e in tagging.entities])
        c.executemany("INSERT INTO phrases (story_id, segment_id, phrase) VALUES (?, ?, ?)",
                      [(story_id, segment_ids[i], p) for i, p in tagging.chunks])
        c.execute("INSERT INTO taggings (story_id, vocabulary_version, models) VALUES (?, ?, ?)",
                  (story_id, tagging.vocabulary_version, json.dumps(tagging.models, sort_keys=True)))


def stories_due(archive: Archive, version: str, tagger: str = "") -> list[int]:
    """Stories with a transcript whose tags come from another vocabulary version or
    another tagger (or none)."""
    rows = archive.conn.execute(
        """SELECT DISTINCT s.story_id FROM segments s LEFT JOIN taggings t ON t.story_id = s.story_id
           WHERE t.vocabulary_version IS NULL OR t.vocabulary_version != ?
              OR coalesce(json_extract(t.models, '$.tagger'), '') != ? ORDER BY s.story_id""", (version, tagger))
    return [r[0] for r in rows]


def decide_phrase(archive: Archive, phrase: str, status: str) -> None:
    """A moderator dismissed a suggested phrase, or accepted it as a theme."""
    archive.conn.execute(
        "INSERT INTO theme_suggestions (phrase, status) VALUES (?, ?) "
        "ON CONFLICT(phrase) DO UPDATE SET status = excluded.status", (phrase, status))
