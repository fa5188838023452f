-- The meaning vectors' changes were counted twice: by vectors_generation (0014, for the
-- search cache's key) and by the log of changes (0016, whose last number says as much).
-- The log's number is the one kept (Archive.search_state). (Written to be run twice.)
DROP TRIGGER IF EXISTS vectors_generation_insert;
DROP TRIGGER IF EXISTS vectors_generation_update;
DROP TRIGGER IF EXISTS vectors_generation_delete;
DROP TABLE IF EXISTS vectors_generation;
