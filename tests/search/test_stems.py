"""The words index's terms at their edges: a word of nothing but marks, text in another
Unicode form than the one stored, a language with no stemmer, and caches that stay
bounded however many words come."""

from storyatlas import stems


def test_a_word_that_folds_to_nothing_has_no_term():
    """"___" is a word to the pattern (\\w+), but nothing the index can hold."""
    assert stems.term("___", "de") == "" and stems.term("___", stems.OTHER) == ""
    assert stems.index_terms("Keller ___ voll", "de").split() == ["de_kell", "de_voll"]
    # a line's terms stay beside its words, for marking them
    assert stems.terms(["kellern", "___", "voll"], "de") == ["de_kell", "", "de_voll"]
    assert stems.query_forms("___") == () and stems.phrase_forms(["keller", "___"], "de") == set()


def test_words_are_read_in_one_unicode_form():
    """A phone's keyboard may send "é" as "e" and a combining accent: the same word."""
    assert stems.words("Cafe\u0301 in Ko\u0308ln") == stems.words("Café in Köln") == ["café", "in", "köln"]
    assert stems.index_terms("Cafe\u0301", "fr") == stems.index_terms("Café", "fr")
    text = "Ein Cafe\u0301 in Ko\u0308ln"
    assert [(text[start:end], word) for start, end, word in stems.spans(text)] == [
        ("Ein", "ein"), ("Cafe\u0301", "café"), ("in", "in"), ("Ko\u0308ln", "köln")]


def test_a_language_without_a_stemmer_is_folded_not_stemmed():
    assert stems.language_key("cs") == stems.language_key(None) == stems.OTHER
    assert stems.index_terms("Povodně zaplavily sklepy", "cs") == "xx_povodne xx_zaplavily xx_sklepy"


def test_the_caches_stay_bounded(monkeypatch):
    monkeypatch.setattr(stems, "_CACHE_SIZE", 10)
    for i in range(25):
        stems.term(f"keller{i}", "de")
        stems.unaccented(f"wörter{i}", "de")
    assert 0 < len(stems._caches["de"]) <= 10 and 0 < len(stems._unaccented["de"]) <= 10
    assert stems.term("kellern", "de") == "de_kell"  # and still right after being emptied


def test_words_asked_about_once_get_the_same_terms_and_stay_out_of_the_cache():
    """"Did you mean" stems a misspelling's variants (``terms_once``) by another path."""
    words = ["bakrey", "bakery", "kellern", "powodz", "zzz", "12ab", "наводнение", "___"]
    for lang in (*stems.LANGUAGES, stems.OTHER):
        before = dict(stems._caches[lang])
        once = [stems.terms_once(batch, lang) for batch in (words[:5], words)]  # ASCII only, and not
        assert stems._caches[lang] == before, lang
        assert once == [[stems.term(w, lang) for w in batch] for batch in (words[:5], words)], lang
