-- Themes: the archive's vocabulary (seeded from themes/vocabulary.toml, edited by
-- moderators), which themes each story has and the segments that justify them, the
-- entities named in each segment, how each story was tagged, and suggested new themes.
CREATE TABLE themes (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    labels TEXT NOT NULL DEFAULT '{}',       -- JSON: language -> label
    triggers TEXT NOT NULL DEFAULT '{}',     -- JSON: language -> [words or phrases]
    source TEXT NOT NULL DEFAULT 'vocabulary' CHECK (source IN ('vocabulary', 'moderator')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE story_themes (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    theme_id TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (story_id, theme_id)
) WITHOUT ROWID;
CREATE INDEX story_themes_theme ON story_themes(theme_id);

CREATE TABLE theme_evidence (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    theme_id TEXT NOT NULL,
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    trigger TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('original', 'english', 'meaning'))
);
CREATE INDEX theme_evidence_story ON theme_evidence(story_id, theme_id);

CREATE TABLE entities (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,          -- place, organisation, group, person, date, event
    text TEXT NOT NULL,
    country TEXT,
    normalized TEXT
);
CREATE INDEX entities_story ON entities(story_id);
CREATE INDEX entities_text ON entities(kind, normalized);

CREATE TABLE taggings (
    story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    vocabulary_version TEXT NOT NULL,
    models TEXT NOT NULL,        -- JSON
    tagged_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE phrases (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    phrase TEXT NOT NULL          -- lemmatised English noun chunk
);
CREATE INDEX phrases_phrase ON phrases(phrase);

CREATE TABLE theme_suggestions (
    phrase TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'dismissed' CHECK (status IN ('dismissed', 'accepted')),
    decided_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TRIGGER generation_story_themes_insert AFTER INSERT ON story_themes BEGIN UPDATE generation SET n = n + 1; END;
CREATE TRIGGER generation_story_themes_delete AFTER DELETE ON story_themes BEGIN UPDATE generation SET n = n + 1; END;
CREATE TRIGGER generation_themes_change AFTER UPDATE ON themes BEGIN UPDATE generation SET n = n + 1; END;
CREATE TRIGGER generation_themes_insert AFTER INSERT ON themes BEGIN UPDATE generation SET n = n + 1; END;

-- Moves with every change to the vocabulary alone, so its parsed form can be kept.
CREATE TABLE vocabulary_generation (n INTEGER NOT NULL);
INSERT INTO vocabulary_generation (n) VALUES (0);
CREATE TRIGGER vocabulary_insert AFTER INSERT ON themes BEGIN UPDATE vocabulary_generation SET n = n + 1; END;
CREATE TRIGGER vocabulary_update AFTER UPDATE ON themes BEGIN UPDATE vocabulary_generation SET n = n + 1; END;
CREATE TRIGGER vocabulary_delete AFTER DELETE ON themes BEGIN UPDATE vocabulary_generation SET n = n + 1; END;
