-- The meaning vectors changed, in order. A search process holds every vector in memory
-- and read them all again after any change: at a million segments 22 s (read, cut into
-- lists), waited out by the first search after every batch of vectors the worker wrote.
-- It now reads only the segments changed since it read them all (meaning/memory.py).
-- Old entries are pruned by the indexer; `through` says up to where, so that a process
-- that held vectors from before knows to read them all again. (Written to be run twice.)
CREATE TABLE IF NOT EXISTS vector_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, segment_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS vector_changes_pruned (through INTEGER NOT NULL);
INSERT INTO vector_changes_pruned (through) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM vector_changes_pruned);

CREATE TRIGGER IF NOT EXISTS vector_changes_insert AFTER INSERT ON segment_vectors
BEGIN
    INSERT INTO vector_changes (segment_id) VALUES (NEW.segment_id);
END;

CREATE TRIGGER IF NOT EXISTS vector_changes_update AFTER UPDATE ON segment_vectors
BEGIN
    INSERT INTO vector_changes (segment_id) VALUES (OLD.segment_id);
    INSERT INTO vector_changes (segment_id) SELECT NEW.segment_id WHERE NEW.segment_id <> OLD.segment_id;
END;

CREATE TRIGGER IF NOT EXISTS vector_changes_delete AFTER DELETE ON segment_vectors
BEGIN
    INSERT INTO vector_changes (segment_id) VALUES (OLD.segment_id);
END;
