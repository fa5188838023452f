-- Meaning-based search: one multilingual sentence embedding per segment, of its text in
-- the language spoken (multilingual-e5-small, 384 float16 values). A vector describes
-- the text it was made from: when the text changes (a correction, a redaction) or the
-- segment goes, so does its vector, in the same transaction; the indexer makes it again.
CREATE TABLE segment_vectors (
    segment_id INTEGER PRIMARY KEY REFERENCES segments(id) ON DELETE CASCADE,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX segment_vectors_story ON segment_vectors(story_id);

CREATE TRIGGER segment_vectors_text AFTER UPDATE OF text ON segments
WHEN NEW.text IS NOT OLD.text
BEGIN
    DELETE FROM segment_vectors WHERE segment_id = NEW.id;
END;

CREATE TRIGGER segment_vectors_gone AFTER DELETE ON segments
BEGIN
    DELETE FROM segment_vectors WHERE segment_id = OLD.id;
END;
