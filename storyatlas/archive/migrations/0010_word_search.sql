-- Word search in every vocabulary language. The words index holds, for each segment,
-- its words stemmed in the language spoken there ("Kellern" -> de_kell, "powodzi" ->
-- pl_powodz), its English stemmed as English, and both texts' words as said (folded:
-- Straße -> strasse, Łódź -> lodz) for quoted phrases and for "did you mean". SQLite's
-- tokenizers cannot stem Polish or Greek, so the terms are made in Python
-- (storyatlas.stems, registered on every connection by archive.db) and written by
-- these triggers in the same transactions as the segments: the index cannot drift.
CREATE VIRTUAL TABLE segment_terms USING fts5(
    terms, terms_en, words, words_en,
    tokenize="unicode61 remove_diacritics 0 tokenchars '_'"
);

-- The archive's words as said, with the number of segments saying each, kept in step
-- by the same triggers; "did you mean" reads candidates from here (by their first
-- letters) instead of scanning the index's vocabulary.
CREATE TABLE search_vocabulary (
    word TEXT PRIMARY KEY,       -- folded
    shown TEXT NOT NULL,         -- as said, in lower case
    segments INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER segment_terms_ai AFTER INSERT ON segments BEGIN
    INSERT INTO segment_terms(rowid, terms, terms_en, words, words_en) VALUES (new.id,
        search_terms(new.text, coalesce(new.language, (SELECT language FROM stories WHERE id = new.story_id))),
        search_terms(new.text_en, 'en'), search_surface(new.text), search_surface(new.text_en));
    INSERT INTO search_vocabulary(word, shown, segments)
        SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), 1
        FROM json_each(search_vocabulary_words(new.text, new.text_en)) WHERE 1
        ON CONFLICT(word) DO UPDATE SET segments = segments + 1;
END;
CREATE TRIGGER segment_terms_ad AFTER DELETE ON segments BEGIN
    DELETE FROM segment_terms WHERE rowid = old.id;
    UPDATE search_vocabulary SET segments = segments - 1 WHERE word IN (
        SELECT json_extract(value, '$[0]') FROM json_each(search_vocabulary_words(old.text, old.text_en)));
    DELETE FROM search_vocabulary WHERE segments <= 0 AND word IN (
        SELECT json_extract(value, '$[0]') FROM json_each(search_vocabulary_words(old.text, old.text_en)));
END;
CREATE TRIGGER segment_terms_au AFTER UPDATE OF text, text_en, language ON segments BEGIN
    DELETE FROM segment_terms WHERE rowid = old.id;
    UPDATE search_vocabulary SET segments = segments - 1 WHERE word IN (
        SELECT json_extract(value, '$[0]') FROM json_each(search_vocabulary_words(old.text, old.text_en)));
    DELETE FROM search_vocabulary WHERE segments <= 0 AND word IN (
        SELECT json_extract(value, '$[0]') FROM json_each(search_vocabulary_words(old.text, old.text_en)));
    INSERT INTO segment_terms(rowid, terms, terms_en, words, words_en) VALUES (new.id,
        search_terms(new.text, coalesce(new.language, (SELECT language FROM stories WHERE id = new.story_id))),
        search_terms(new.text_en, 'en'), search_surface(new.text), search_surface(new.text_en));
    INSERT INTO search_vocabulary(word, shown, segments)
        SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), 1
        FROM json_each(search_vocabulary_words(new.text, new.text_en)) WHERE 1
        ON CONFLICT(word) DO UPDATE SET segments = segments + 1;
END;

-- the segments already there
INSERT INTO segment_terms(rowid, terms, terms_en, words, words_en)
    SELECT s.id, search_terms(s.text, coalesce(s.language, st.language)), search_terms(s.text_en, 'en'),
           search_surface(s.text), search_surface(s.text_en)
    FROM segments s LEFT JOIN stories st ON st.id = s.story_id;
INSERT INTO search_vocabulary(word, shown, segments)
    SELECT json_extract(v.value, '$[0]'), min(json_extract(v.value, '$[1]')), count(*)
    FROM segments s, json_each(search_vocabulary_words(s.text, s.text_en)) v GROUP BY 1;
