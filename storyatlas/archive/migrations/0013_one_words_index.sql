-- The first words index (segments_fts: English stemming only, every language folded
-- alike) has answered no search since the words index of 0010 holds every language's
-- forms. Writing it cost a third of the time of adding a segment (benchmarks/search.py:
-- 7,400 segments a second with it, 10,500 without), so it goes.
DROP TRIGGER IF EXISTS segments_ai;
DROP TRIGGER IF EXISTS segments_ad;
DROP TRIGGER IF EXISTS segments_au;
DROP TABLE IF EXISTS segments_fts;
