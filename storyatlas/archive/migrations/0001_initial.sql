-- Stories, their media, transcripts, segments, words and processing jobs.
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    collection TEXT,
    community TEXT,
    region TEXT,
    country TEXT,                -- ISO 3166-1 alpha-2, upper case
    recorded_on TEXT,            -- ISO date, as precise as known (2026, 2026-03, 2026-03-14)
    language_hint TEXT,
    language TEXT,               -- detected (or hinted) language of the recording
    language_probability REAL,
    storyteller TEXT,            -- NULL means anonymous
    description TEXT,
    visibility TEXT NOT NULL DEFAULT 'public'
        CHECK (visibility IN ('public', 'community', 'researchers', 'private')),
    duration_s REAL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX stories_collection ON stories(collection);
CREATE INDEX stories_country ON stories(country);

CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('original', 'speech', 'listen')),  -- listen: the browser rendition
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,          -- relative to the media store
    container TEXT,
    codec TEXT,
    has_video INTEGER NOT NULL DEFAULT 0,
    size_bytes INTEGER NOT NULL,
    duration_s REAL,
    original_filename TEXT,      -- as the uploader named it; never used as a path
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (story_id, role)
);
CREATE UNIQUE INDEX media_original_sha ON media(sha256) WHERE role = 'original';

CREATE TABLE transcripts (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    task TEXT NOT NULL CHECK (task IN ('transcribe', 'translate')),
    language TEXT NOT NULL,
    language_probability REAL,
    model TEXT NOT NULL,
    options TEXT NOT NULL,       -- JSON: how it was made
    versions TEXT NOT NULL,      -- JSON: library versions
    machine_translation INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (story_id, task)
);

CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    text TEXT NOT NULL,
    text_en TEXT,                -- the English translation aligned to this segment (NULL for English stories)
    avg_logprob REAL,
    no_speech_prob REAL,
    UNIQUE (story_id, idx)
);

CREATE TABLE words (
    segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    word TEXT NOT NULL,
    probability REAL,
    PRIMARY KEY (segment_id, idx)
) WITHOUT ROWID;

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    kind TEXT NOT NULL DEFAULT 'process',
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'done', 'failed')),
    stage TEXT,
    progress REAL NOT NULL DEFAULT 0,
    message TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    worker TEXT,                 -- host:pid of the worker holding it
    heartbeat_at REAL,           -- unix time of the holder's last sign of life
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    finished_at TEXT
);
CREATE INDEX jobs_state ON jobs(state);

-- The search index lives beside the archive, derived from segments and rebuildable.
CREATE VIRTUAL TABLE segments_fts USING fts5(
    text, text_en,
    content='segments', content_rowid='id',
    -- porter: "pumped" finds "pump" (in the English pivot above all)
    tokenize="porter unicode61 remove_diacritics 2"
);

-- Keep the index in step with segments inside the same transactions (FTS5's
-- external-content pattern), so a crash can never leave them apart.
CREATE TRIGGER segments_ai AFTER INSERT ON segments BEGIN
    INSERT INTO segments_fts(rowid, text, text_en) VALUES (new.id, new.text, new.text_en);
END;
CREATE TRIGGER segments_ad AFTER DELETE ON segments BEGIN
    INSERT INTO segments_fts(segments_fts, rowid, text, text_en) VALUES ('delete', old.id, old.text, old.text_en);
END;
CREATE TRIGGER segments_au AFTER UPDATE ON segments BEGIN
    INSERT INTO segments_fts(segments_fts, rowid, text, text_en) VALUES ('delete', old.id, old.text, old.text_en);
    INSERT INTO segments_fts(rowid, text, text_en) VALUES (new.id, new.text, new.text_en);
END;
