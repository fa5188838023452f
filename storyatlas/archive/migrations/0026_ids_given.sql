-- The highest number each kind of thing named from outside was ever given. An INTEGER
-- PRIMARY KEY without AUTOINCREMENT takes the largest id in its table plus one, so once
-- the newest rows are deleted their numbers go to the next ones, while links (/stories/N),
-- editors (segment ids) and exports still hold them. The numbers in a table are their own
-- record: a row's number is kept here when it is deleted, and a restore keeps those of the
-- archive it replaces (backup.py). What is inserted reads it (create_story, save_transcription).
-- (made so that it runs again on an archive marked older, as some tests mark it)
CREATE TABLE IF NOT EXISTS ids_given (
    name TEXT PRIMARY KEY,
    last INTEGER NOT NULL
) WITHOUT ROWID;
-- an archive upgraded knows the stories it erased (their tombstones), not its deleted segments
-- and index points
INSERT INTO ids_given (name, last) VALUES
    ('stories', max((SELECT coalesce(max(id), 0) FROM stories), (SELECT coalesce(max(story_id), 0) FROM tombstones))),
    ('segments', (SELECT coalesce(max(id), 0) FROM segments)),
    ('index_points', (SELECT coalesce(max(id), 0) FROM index_points))
    ON CONFLICT (name) DO UPDATE SET last = max(last, excluded.last);
CREATE TRIGGER IF NOT EXISTS ids_given_stories AFTER DELETE ON stories BEGIN
    UPDATE ids_given SET last = OLD.id WHERE name = 'stories' AND last < OLD.id;
END;
CREATE TRIGGER IF NOT EXISTS ids_given_segments AFTER DELETE ON segments BEGIN
    UPDATE ids_given SET last = OLD.id WHERE name = 'segments' AND last < OLD.id;
END;
-- (index_points.add reads it: an editor or a link may still name a point removed)
CREATE TRIGGER IF NOT EXISTS ids_given_index_points AFTER DELETE ON index_points BEGIN
    UPDATE ids_given SET last = OLD.id WHERE name = 'index_points' AND last < OLD.id;
END;
