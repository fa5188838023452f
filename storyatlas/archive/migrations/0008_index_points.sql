-- Index points, as oral historians index an interview (OHMS): at a time in the story, a
-- title, a synopsis, keywords, themes (ids of the vocabulary) and a place, written by
-- the archive's volunteers and moderators (not by the recording, so redaction leaves them).
CREATE TABLE index_points (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    at REAL NOT NULL CHECK (at >= 0),
    title TEXT NOT NULL,
    synopsis TEXT NOT NULL DEFAULT '',
    keywords TEXT NOT NULL DEFAULT '[]',   -- JSON list of strings
    themes TEXT NOT NULL DEFAULT '[]',     -- JSON list of theme ids
    place TEXT NOT NULL DEFAULT '',
    who TEXT NOT NULL,                     -- who wrote it (as the audit log names them)
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX index_points_story ON index_points(story_id, at);

-- Found by search like the words spoken: an external-content index kept in step by
-- triggers in the same transactions (the pattern of segments_fts).
CREATE VIRTUAL TABLE index_points_fts USING fts5(
    title, synopsis, keywords,
    content='index_points', content_rowid='id',
    tokenize="porter unicode61 remove_diacritics 2"
);
CREATE TRIGGER index_points_ai AFTER INSERT ON index_points BEGIN
    INSERT INTO index_points_fts(rowid, title, synopsis, keywords) VALUES (new.id, new.title, new.synopsis, new.keywords);
    UPDATE generation SET n = n + 1;
END;
CREATE TRIGGER index_points_ad AFTER DELETE ON index_points BEGIN
    INSERT INTO index_points_fts(index_points_fts, rowid, title, synopsis, keywords)
        VALUES ('delete', old.id, old.title, old.synopsis, old.keywords);
    UPDATE generation SET n = n + 1;
END;
CREATE TRIGGER index_points_au AFTER UPDATE ON index_points BEGIN
    INSERT INTO index_points_fts(index_points_fts, rowid, title, synopsis, keywords)
        VALUES ('delete', old.id, old.title, old.synopsis, old.keywords);
    INSERT INTO index_points_fts(rowid, title, synopsis, keywords) VALUES (new.id, new.title, new.synopsis, new.keywords);
    UPDATE generation SET n = n + 1;
END;

-- How far people have checked the machine's transcript, apart from who may see the story
-- (requested_visibility, declined): a machine 'draft', 'corrected' by volunteers,
-- 'reviewed' by a moderator, 'published' once a moderator published it (or it needed no
-- review). Stories already published count as published; those waiting stay drafts.
ALTER TABLE stories ADD COLUMN review_state TEXT NOT NULL DEFAULT 'draft'
    CHECK (review_state IN ('draft', 'corrected', 'reviewed', 'published'));
UPDATE stories SET review_state = 'published' WHERE requested_visibility IS NULL AND declined = 0;
CREATE INDEX stories_review_state ON stories(review_state);
