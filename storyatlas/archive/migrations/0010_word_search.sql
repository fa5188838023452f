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

CREATE TRIGGER segment_terms_ai AFTER INSERT ON segments BEGIN
    INSERT INTO segment_terms(rowid, terms, terms_en, words, words_en) VALUES (new.id,
        search_terms(new.text, coalesce(new.language, (SELECT language FROM stories WHERE id = new.story_id))),
        search_terms(new.text_en, 'en'), search_surface(new.text), search_surface(new.text_en));
END;
CREATE TRIGGER segment_terms_ad AFTER DELETE ON segments BEGIN
    DELETE FROM segment_terms WHERE rowid = old.id;
END;
CREATE TRIGGER segment_terms_au AFTER UPDATE OF text, text_en, language ON segments BEGIN
    DELETE FROM segment_terms WHERE rowid = old.id;
    INSERT INTO segment_terms(rowid, terms, terms_en, words, words_en) VALUES (new.id,
        search_terms(new.text, coalesce(new.language, (SELECT language FROM stories WHERE id = new.story_id))),
        search_terms(new.text_en, 'en'), search_surface(new.text), search_surface(new.text_en));
END;

-- the segments already there
INSERT INTO segment_terms(rowid, terms, terms_en, words, words_en)
    SELECT s.id, search_terms(s.text, coalesce(s.language, st.language)), search_terms(s.text_en, 'en'),
           search_surface(s.text), search_surface(s.text_en)
    FROM segments s LEFT JOIN stories st ON st.id = s.story_id;
