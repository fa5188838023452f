-- The correction workbench: who speaks in each segment, the names volunteers give the
-- speakers, and every saved correction as a revision that can be compared and restored.

-- A speaker label ("S1", "S2"...) per segment, named per story in speakers.
ALTER TABLE segments ADD COLUMN speaker TEXT;
-- The original text changed after the English was made: the English is still shown,
-- marked out of date, until the segment is translated again.
ALTER TABLE segments ADD COLUMN text_en_stale INTEGER NOT NULL DEFAULT 0 CHECK (text_en_stale IN (0, 1));

CREATE TABLE speakers (
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT 'other' CHECK (role IN ('interviewer', 'storyteller', 'other')),
    PRIMARY KEY (story_id, label)
) WITHOUT ROWID;

-- Each save of the transcript: number 0 is the machine's draft (kept at the first
-- correction), then one per save. The snapshot is the whole transcript after the save
-- (JSON), so comparing and restoring read one row; a redaction scrubs every snapshot.
CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    number INTEGER NOT NULL CHECK (number >= 0),
    who TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    summary TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    UNIQUE (story_id, number)
);

-- speaker names are shown on the story page and in exports: cached pages must notice
CREATE TRIGGER generation_speakers_insert AFTER INSERT ON speakers BEGIN UPDATE generation SET n = n + 1; END;
CREATE TRIGGER generation_speakers_update AFTER UPDATE ON speakers BEGIN UPDATE generation SET n = n + 1; END;
CREATE TRIGGER generation_speakers_delete AFTER DELETE ON speakers BEGIN UPDATE generation SET n = n + 1; END;
