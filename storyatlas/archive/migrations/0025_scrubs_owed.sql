-- An erasure or a redaction takes words out of the indexes in its transaction, but they
-- stay readable in the indexes' old b-trees until the merge after it (erasure.scrub): a
-- crash, or a writer holding the archive past the busy timeout, in between left them
-- there with nothing to merge them. The merge owed is written in the same transaction
-- and made at the next start (erasure.sweep_tombstones) when it was not made at once.
CREATE TABLE scrubs_owed (
    id INTEGER PRIMARY KEY,
    story_id INTEGER NOT NULL,   -- no reference: the story may be erased before the merge
    why TEXT NOT NULL
);
