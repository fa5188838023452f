-- People switch languages mid-story: each segment keeps the language spoken in it
-- (NULL in rows from before this migration, which means the story's language), and
-- whether the model was unsure there, so volunteers know where to listen.
ALTER TABLE segments ADD COLUMN language TEXT;
ALTER TABLE segments ADD COLUMN low_confidence INTEGER NOT NULL DEFAULT 0 CHECK (low_confidence IN (0, 1));
-- Every language spoken in the story, a JSON list with the main one (stories.language)
-- first; search counts a story under each of them.
ALTER TABLE stories ADD COLUMN languages TEXT;
-- Stories transcribed before: the one language known is all that was spoken.
UPDATE stories SET languages = json_array(language) WHERE language IS NOT NULL;
