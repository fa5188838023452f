-- A word said with accents whose stem changes when typed without them ("inundação",
-- "inundacao") is indexed under both terms from now on (storyatlas/stems.py says why):
-- the words index is made again from the segments as the archive opens
-- (db._remake_word_index, with word_index.rebuild), not updated here: an index FTS5 can
-- no longer open (damaged before word_index.keep_shallow guarded its levels) could not
-- be updated, and the archive could then not be opened, nor `reindex` run to mend it.
CREATE TABLE IF NOT EXISTS word_index_remake (why TEXT NOT NULL);
INSERT INTO word_index_remake (why) VALUES ('0022: the stems of words typed without their accents');
