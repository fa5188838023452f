-- FTS5 merges a table's b-trees bit by bit as it is written ('automerge', 4 by default),
-- and the worker merges them after each story as well (word_index.merge): the same work
-- twice for a large load. Left to the worker alone, a million segments were indexed at
-- 24,082-25,335 a second, merge included, against 21,282-23,440 (benchmarks/search.py's
-- load, four each, alternating, 2026-12-01); story by story it is the same (3,000
-- stories: 11.4-11.9 s either way). The worker also merges once a minute, for
-- what edits write; FTS5's own 'crisismerge' still merges 16 b-trees on a level if no
-- worker runs.
INSERT INTO segment_terms(segment_terms, rank) VALUES ('automerge', 0);
INSERT INTO story_terms(story_terms, rank) VALUES ('automerge', 0);
