-- The words index keeps the accents that tell a word from a function word its stem folds
-- like (stems._stem: French "mémé" is no "même", German "schön" no "schon", Polish
-- "wąs" no "was"). Which words those are follows the lists of function and stop words,
-- so the archive keeps the version of them its index was made with
-- (stems.grammar_version), and the index is made again from the segments as the archive
-- opens when they differ (db._remake_word_index): here, since no version is kept yet (one
-- marked as of an older schema that has the table already forgets its version).
CREATE TABLE IF NOT EXISTS word_index_grammar (version TEXT NOT NULL);
DELETE FROM word_index_grammar;
