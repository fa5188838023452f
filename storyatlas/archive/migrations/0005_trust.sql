-- Consent as data, the storyteller's own link, redactions, erasure and the audit log.
-- Before this date only the story's moderators (and admins) see it.
ALTER TABLE stories ADD COLUMN embargo_until TEXT;
-- How the storyteller is named on every page and export: in full, by first name, or not at all.
ALTER TABLE stories ADD COLUMN storyteller_naming TEXT NOT NULL DEFAULT 'full'
    CHECK (storyteller_naming IN ('full', 'first', 'anonymous'));
-- Whether the story may appear in exports and collection downloads.
ALTER TABLE stories ADD COLUMN exportable INTEGER NOT NULL DEFAULT 1;
-- A moderator declined it: it stays out of sight of everyone but its moderators.
ALTER TABLE stories ADD COLUMN declined INTEGER NOT NULL DEFAULT 0;
-- SHA-256 of the storyteller's private link token (the token itself is shown once).
ALTER TABLE stories ADD COLUMN teller_token TEXT;
CREATE UNIQUE INDEX stories_teller_token ON stories(teller_token) WHERE teller_token IS NOT NULL;
CREATE INDEX stories_community ON stories(community);

-- Several stories may share one recording: the same file sent by someone who may not
-- see the story already made of it becomes a story of its own.
DROP INDEX media_original_sha;
CREATE INDEX media_sha ON media(sha256, role);

-- Every change of consent: who, when, what it was, what it became.
CREATE TABLE consent_changes (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    who TEXT NOT NULL,
    field TEXT NOT NULL,
    old TEXT,
    new TEXT
);
CREATE INDEX consent_changes_story ON consent_changes(story_id);

-- Time ranges a moderator took out of the published story.
CREATE TABLE redactions (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    start REAL NOT NULL,
    end REAL NOT NULL CHECK (end > start),
    who TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX redactions_story ON redactions(story_id);

-- What is left of an erased story: its number and the files to remove after the commit
-- (emptied once they are gone). No title, no words, no place.
CREATE TABLE tombstones (
    story_id INTEGER PRIMARY KEY,
    erased_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    files TEXT NOT NULL DEFAULT '[]'
);

-- Who did what, when: sign-ins, roles, consent, publication, redaction, erasure.
-- Never the words, title or place of a story.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    story_id INTEGER,
    detail TEXT
);
CREATE INDEX audit_story ON audit(story_id);

CREATE TRIGGER generation_redactions AFTER INSERT ON redactions BEGIN UPDATE generation SET n = n + 1; END;
