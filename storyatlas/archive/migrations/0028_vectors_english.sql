-- A segment's vector reads its English line too (storyatlas.meaning.index), unless the
-- line is stale: a new, changed or stale English makes the vector again, as a changed text does.
CREATE TRIGGER IF NOT EXISTS segment_vectors_english AFTER UPDATE OF text_en, text_en_stale ON segments
WHEN NEW.text_en IS NOT OLD.text_en OR NEW.text_en_stale IS NOT OLD.text_en_stale
BEGIN
    DELETE FROM segment_vectors WHERE segment_id = NEW.id;
END;
