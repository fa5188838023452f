-- A word said with accents whose stem changes when typed without them ("inundação",
-- "inundacao") is indexed under both terms from now on (storyatlas/stems.py says why):
-- the segments already there that have a letter outside ASCII get their terms again,
-- and their stories' rows are made again when the archive opens.
UPDATE segment_terms SET
    terms = (SELECT search_terms(s.text, coalesce(s.language, st.language))
             FROM segments s LEFT JOIN stories st ON st.id = s.story_id
             WHERE s.id = segment_terms.rowid & 4294967295),
    terms_en = (SELECT search_terms(s.text_en, 'en') FROM segments s WHERE s.id = segment_terms.rowid & 4294967295)
WHERE rowid IN (SELECT story_id * 4294967296 + id FROM segments
                WHERE text GLOB '*[^ -~]*' OR text_en GLOB '*[^ -~]*');
INSERT OR IGNORE INTO story_terms_stale (story_id)
    SELECT DISTINCT story_id FROM segments WHERE text GLOB '*[^ -~]*' OR text_en GLOB '*[^ -~]*';
