-- The stories whose facet values changed, in order. A search process holds every story's
-- facet values in memory (archive/facets.py) and read them all again after any change to
-- the archive: 130 ms at 25,000 stories, paid by the first search after every story the
-- worker wrote, every correction and every review. It now reads only the stories logged
-- here since. The log keeps its last 10,000 entries; `through` says up to where it was
-- pruned, so that a process further behind reads every story again. (Written to be run twice.)
CREATE TABLE IF NOT EXISTS story_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, story_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS story_changes_pruned (through INTEGER NOT NULL);
INSERT INTO story_changes_pruned (through) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM story_changes_pruned);

CREATE TRIGGER IF NOT EXISTS story_changes_prune AFTER INSERT ON story_changes WHEN NEW.seq % 1000 = 0
BEGIN
    DELETE FROM story_changes WHERE seq <= NEW.seq - 10000;
    UPDATE story_changes_pruned SET through = max(through, NEW.seq - 10000);
END;

CREATE TRIGGER IF NOT EXISTS story_changes_insert AFTER INSERT ON stories
BEGIN
    INSERT INTO story_changes (story_id) VALUES (NEW.id);
END;

-- only the columns a facet is read from (archive/facets.py): a title or a status is not logged
CREATE TRIGGER IF NOT EXISTS story_changes_update
AFTER UPDATE OF id, language, languages, country, region, community, collection, recorded_on, review_state
ON stories
BEGIN
    INSERT INTO story_changes (story_id) VALUES (OLD.id);
    INSERT INTO story_changes (story_id) SELECT NEW.id WHERE NEW.id <> OLD.id;
END;

CREATE TRIGGER IF NOT EXISTS story_changes_delete AFTER DELETE ON stories
BEGIN
    INSERT INTO story_changes (story_id) VALUES (OLD.id);
END;

CREATE TRIGGER IF NOT EXISTS story_changes_themes_insert AFTER INSERT ON story_themes
BEGIN
    INSERT INTO story_changes (story_id) VALUES (NEW.story_id);
END;

CREATE TRIGGER IF NOT EXISTS story_changes_themes_update AFTER UPDATE OF story_id, theme_id ON story_themes
BEGIN
    INSERT INTO story_changes (story_id) VALUES (OLD.story_id);
    INSERT INTO story_changes (story_id) SELECT NEW.story_id WHERE NEW.story_id <> OLD.story_id;
END;

CREATE TRIGGER IF NOT EXISTS story_changes_themes_delete AFTER DELETE ON story_themes
BEGIN
    INSERT INTO story_changes (story_id) VALUES (OLD.story_id);
END;
