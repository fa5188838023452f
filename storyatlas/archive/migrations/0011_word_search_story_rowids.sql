-- The words index's rowids carry the story: story id * 2^32 + segment id. A search then
-- reads which stories match from the index alone (rowid >> 32), in story order, without
-- looking up each matching segment, and reads one story's moments by a rowid range.
DROP TRIGGER segment_terms_ai;
DROP TRIGGER segment_terms_ad;
DROP TRIGGER segment_terms_au;
DELETE FROM segment_terms;

CREATE TRIGGER segment_terms_ai AFTER INSERT ON segments BEGIN
    INSERT INTO segment_terms(rowid, terms, terms_en, words, words_en) VALUES (new.story_id * 4294967296 + new.id,
        search_terms(new.text, coalesce(new.language, (SELECT language FROM stories WHERE id = new.story_id))),
        search_terms(new.text_en, 'en'), search_surface(new.text), search_surface(new.text_en));
END;
CREATE TRIGGER segment_terms_ad AFTER DELETE ON segments BEGIN
    DELETE FROM segment_terms WHERE rowid = old.story_id * 4294967296 + old.id;
END;
CREATE TRIGGER segment_terms_au AFTER UPDATE OF text, text_en, language, story_id ON segments BEGIN
    DELETE FROM segment_terms WHERE rowid = old.story_id * 4294967296 + old.id;
    INSERT INTO segment_terms(rowid, terms, terms_en, words, words_en) VALUES (new.story_id * 4294967296 + new.id,
        search_terms(new.text, coalesce(new.language, (SELECT language FROM stories WHERE id = new.story_id))),
        search_terms(new.text_en, 'en'), search_surface(new.text), search_surface(new.text_en));
END;

-- the segments already there
INSERT INTO segment_terms(rowid, terms, terms_en, words, words_en)
    SELECT s.story_id * 4294967296 + s.id, search_terms(s.text, coalesce(s.language, st.language)),
           search_terms(s.text_en, 'en'), search_surface(s.text), search_surface(s.text_en)
    FROM segments s LEFT JOIN stories st ON st.id = s.story_id;
