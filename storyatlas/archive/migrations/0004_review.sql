-- A story uploaded from the public stays private until a moderator has heard it; this
-- is the visibility its teller asked for, NULL when nothing waits for review.
ALTER TABLE stories ADD COLUMN requested_visibility TEXT
    CHECK (requested_visibility IN ('public', 'community', 'researchers'));
