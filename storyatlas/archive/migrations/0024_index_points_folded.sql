-- Index points are found however ß, œ, æ, ł, ø and the like are typed (Strasse finds
-- Straße, Lodz finds Łódź, soeur finds sœur), as the words spoken are (text.fold): the
-- index's tokenizer takes off accents but leaves these letters, so a column of the
-- point's words with them written out (text._LETTERS, and ß as casefold writes it) is
-- indexed beside them, and a query word is looked for as typed and written out
-- (query.Term.plain_fts). Virtual generated columns: kept in step by SQLite itself; two
-- of them, as one expression of 34 replace() calls overflowed SQLite's parser stack.
ALTER TABLE index_points ADD COLUMN spelled TEXT GENERATED ALWAYS AS (
replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(title || ' ' || synopsis || ' ' || keywords
    , 'ß', 'ss')
    , 'ẞ', 'ss')
    , 'œ', 'oe')
    , 'Œ', 'oe')
    , 'æ', 'ae')
    , 'Æ', 'ae')
    , 'ł', 'l')
    , 'Ł', 'l')
    , 'ø', 'o')
    , 'Ø', 'o')
    , 'đ', 'd')
    , 'Đ', 'd')
    , 'ð', 'd')
    , 'Ð', 'd')
    , 'þ', 'th')
    , 'Þ', 'th')
    , 'ı', 'i')
) VIRTUAL;
ALTER TABLE index_points ADD COLUMN folded TEXT GENERATED ALWAYS AS (
replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(spelled
    , 'ħ', 'h')
    , 'Ħ', 'h')
    , 'ŧ', 't')
    , 'Ŧ', 't')
    , 'ŋ', 'ng')
    , 'Ŋ', 'ng')
    , 'ĸ', 'k')
    , 'ƀ', 'b')
    , 'Ƀ', 'b')
    , 'ǥ', 'g')
    , 'Ǥ', 'g')
    , 'ɨ', 'i')
    , 'Ɨ', 'i')
    , 'ʉ', 'u')
    , 'Ʉ', 'u')
    , 'ŀ', 'l')
    , 'Ŀ', 'l')
) VIRTUAL;

DROP TRIGGER index_points_ai;
DROP TRIGGER index_points_ad;
DROP TRIGGER index_points_au;
DROP TABLE index_points_fts;
CREATE VIRTUAL TABLE index_points_fts USING fts5(
    title, synopsis, keywords, folded,
    content='index_points', content_rowid='id',
    tokenize="porter unicode61 remove_diacritics 2"
);
CREATE TRIGGER index_points_ai AFTER INSERT ON index_points BEGIN
    INSERT INTO index_points_fts(rowid, title, synopsis, keywords, folded)
        VALUES (new.id, new.title, new.synopsis, new.keywords, new.folded);
    UPDATE generation SET n = n + 1;
END;
CREATE TRIGGER index_points_ad AFTER DELETE ON index_points BEGIN
    INSERT INTO index_points_fts(index_points_fts, rowid, title, synopsis, keywords, folded)
        VALUES ('delete', old.id, old.title, old.synopsis, old.keywords, old.folded);
    UPDATE generation SET n = n + 1;
END;
CREATE TRIGGER index_points_au AFTER UPDATE ON index_points BEGIN
    INSERT INTO index_points_fts(index_points_fts, rowid, title, synopsis, keywords, folded)
        VALUES ('delete', old.id, old.title, old.synopsis, old.keywords, old.folded);
    INSERT INTO index_points_fts(rowid, title, synopsis, keywords, folded)
        VALUES (new.id, new.title, new.synopsis, new.keywords, new.folded);
    UPDATE generation SET n = n + 1;
END;
INSERT INTO index_points_fts(index_points_fts) VALUES ('rebuild');
