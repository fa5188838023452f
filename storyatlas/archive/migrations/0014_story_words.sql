-- The words index in two parts (storyatlas/archive/word_index.py says why):
-- segment_terms, each segment's terms (its words stemmed in the language spoken there,
-- and its English stemmed as English): where in a story the words are; and story_terms,
-- each story's terms in one row with a mark for every term it says often: which stories
-- hold the words, counted and ranked without reading each matching segment. The words
-- as said (folded) are no longer indexed: a quoted phrase matches the terms in order,
-- which halves the index and what each new segment costs.
DROP TRIGGER segment_terms_ai;
DROP TRIGGER segment_terms_ad;
DROP TRIGGER segment_terms_au;
DROP TABLE segment_terms;

-- no column sizes: nothing scores segments with bm25 any more (search/moments.py), and
-- not writing them saves a row per segment
CREATE VIRTUAL TABLE segment_terms USING fts5(
    terms, terms_en, columnsize=0,
    tokenize="unicode61 remove_diacritics 0 tokenchars '_'"
);
-- a story's row holds each of its terms once, and the marks (positions are kept: with
-- detail=none FTS5 tokenizes a row again for bm25, which made a common word 4x slower)
CREATE VIRTUAL TABLE story_terms USING fts5(
    terms,
    tokenize="unicode61 remove_diacritics 0 tokenchars '_'"
);
-- stories whose row in story_terms is out of date; the archive's write transactions
-- make them again before they commit (word_index.refresh)
CREATE TABLE story_terms_stale (story_id INTEGER PRIMARY KEY);

CREATE TRIGGER segment_terms_ai AFTER INSERT ON segments BEGIN
    INSERT INTO segment_terms(rowid, terms, terms_en) VALUES (new.story_id * 4294967296 + new.id,
        search_terms(new.text, coalesce(new.language, (SELECT language FROM stories WHERE id = new.story_id))),
        search_terms(new.text_en, 'en'));
    INSERT OR IGNORE INTO story_terms_stale (story_id) VALUES (new.story_id);
END;
CREATE TRIGGER segment_terms_ad AFTER DELETE ON segments BEGIN
    DELETE FROM segment_terms WHERE rowid = old.story_id * 4294967296 + old.id;
    INSERT OR IGNORE INTO story_terms_stale (story_id) VALUES (old.story_id);
END;
CREATE TRIGGER segment_terms_au AFTER UPDATE OF text, text_en, language, story_id ON segments BEGIN
    DELETE FROM segment_terms WHERE rowid = old.story_id * 4294967296 + old.id;
    INSERT INTO segment_terms(rowid, terms, terms_en) VALUES (new.story_id * 4294967296 + new.id,
        search_terms(new.text, coalesce(new.language, (SELECT language FROM stories WHERE id = new.story_id))),
        search_terms(new.text_en, 'en'));
    INSERT OR IGNORE INTO story_terms_stale (story_id) VALUES (old.story_id);
    INSERT OR IGNORE INTO story_terms_stale (story_id) VALUES (new.story_id);
END;
-- a new segment no longer bumps the archive's generation row by row (a write per segment:
-- a tenth of the cost of adding one): the transaction that makes its story's row again
-- bumps it once (word_index.refresh); changes and deletions still do, as before
DROP TRIGGER generation_segment_insert;
-- a story erased with its segments leaves no row behind
CREATE TRIGGER story_terms_gone AFTER DELETE ON stories BEGIN
    DELETE FROM story_terms WHERE rowid = old.id;
    DELETE FROM story_terms_stale WHERE story_id = old.id;
END;

-- the segments already there; their stories' rows are made when the archive opens
INSERT INTO segment_terms(rowid, terms, terms_en)
    SELECT s.story_id * 4294967296 + s.id, search_terms(s.text, coalesce(s.language, st.language)),
           search_terms(s.text_en, 'en')
    FROM segments s LEFT JOIN stories st ON st.id = s.story_id;
INSERT OR IGNORE INTO story_terms_stale (story_id) SELECT DISTINCT story_id FROM segments;

-- a name no other archive has: what is kept in memory per archive state (the facets'
-- arrays) is kept under it and the generation, never under a path another archive
-- may later be made at
CREATE TABLE archive_identity (id TEXT NOT NULL);
INSERT INTO archive_identity (id) VALUES (lower(hex(randomblob(16))));

-- the meaning index's vectors change without the archive's generation (the indexer writes
-- them after the story): a counter of their own tells a reader its copy in memory is old,
-- without counting a million rows on every query
CREATE TABLE vectors_generation (n INTEGER NOT NULL);
INSERT INTO vectors_generation (n) VALUES (0);
CREATE TRIGGER vectors_generation_insert AFTER INSERT ON segment_vectors BEGIN UPDATE vectors_generation SET n = n + 1; END;
CREATE TRIGGER vectors_generation_update AFTER UPDATE ON segment_vectors BEGIN UPDATE vectors_generation SET n = n + 1; END;
CREATE TRIGGER vectors_generation_delete AFTER DELETE ON segment_vectors BEGIN UPDATE vectors_generation SET n = n + 1; END;
