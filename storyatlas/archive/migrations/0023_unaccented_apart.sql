-- The terms of a segment's words typed without accents are set apart from its own by a
-- term of their own ("_", stems.UNACCENTED), where the tokenizer skipped the "|" before:
-- a quoted phrase met a segment's last word and the first of those terms as if one
-- followed the other. The words index is made again as the archive opens (as for 0022).
INSERT INTO word_index_remake (why) VALUES ('0023: the words typed without accents set apart from the words in order');
