"""The words index's terms at their edges: a word of nothing but marks, text in another
Unicode form than the one stored, and caches that stay bounded however many words come."""

from storyatlas import stems


def test_a_word_that_folds_to_nothing_has_no_term():
    """"___" is a word to the pattern (\\w+), but nothing the index can hold."""
    assert stems.term("___", "de") == "" and stems.term("___", stems.OTHER) == ""
    assert stems.index_terms("Keller ___ voll", "de").split() == ["de_kell", "de_voll"]


def test_words_are_read_in_one_unicode_form():
    """A phone's keyboard may send "é" as "e" and a combining accent: the same word."""
    assert stems.words("Cafe\u0301 in Ko\u0308ln") == stems.words("Café in Köln") == ["café", "in", "köln"]
    assert stems.index_terms("Cafe\u0301", "fr") == stems.index_terms("Café", "fr")


def test_the_caches_stay_bounded(monkeypatch):
    monkeypatch.setattr(stems, "_CACHE_SIZE", 10)
    for i in range(25):
        stems.term(f"keller{i}", "de")
        stems.unaccented(f"wörter{i}", "de")
    assert 0 < len(stems._caches["de"]) <= 10 and 0 < len(stems._unaccented["de"]) <= 10
    assert stems.term("kellern", "de") == "de_kell"  # and still right after being emptied
