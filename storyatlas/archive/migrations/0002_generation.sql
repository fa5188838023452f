-- A number that changes whenever what search or the pages show may have changed, so
-- that caches of derived answers know when they are stale.
CREATE TABLE generation (n INTEGER NOT NULL);
INSERT INTO generation (n) VALUES (0);
CREATE TRIGGER generation_story_insert AFTER INSERT ON stories BEGIN UPDATE generation SET n = n + 1; END;
CREATE TRIGGER generation_story_update AFTER UPDATE ON stories BEGIN UPDATE generation SET n = n + 1; END;
CREATE TRIGGER generation_story_delete AFTER DELETE ON stories BEGIN UPDATE generation SET n = n + 1; END;
CREATE TRIGGER generation_segment_insert AFTER INSERT ON segments BEGIN UPDATE generation SET n = n + 1; END;
CREATE TRIGGER generation_segment_delete AFTER DELETE ON segments BEGIN UPDATE generation SET n = n + 1; END;
CREATE TRIGGER generation_segment_update AFTER UPDATE ON segments BEGIN UPDATE generation SET n = n + 1; END;
