"""A query calls up the themes whose trigger phrases it holds, in any of the vocabulary's languages."""

import random

from storyatlas.archive import tags
from storyatlas.search.query import fold, query_words
from storyatlas.search.themed import query_themes
from storyatlas.themes import store


def _by_reading_every_trigger(folded, text):
    words = query_words(text)
    return tuple(theme_id for theme_id, phrases in folded if any(p <= words for p in phrases))


def test_a_query_calls_up_each_theme_a_whole_trigger_phrase_of_it_names_in_the_vocabularys_order(archive):
    store.vocabulary(archive)  # the shipped vocabulary, ten thousand trigger words
    triggers = tags.theme_triggers(archive)
    phrases = [p for _, by_lang in triggers for ps in by_lang.values() for p in ps if p.split()]
    several = [p for p in phrases if len(p.split()) > 1]
    assert len(phrases) > 5000 and several
    rng = random.Random(5)
    queries = [*rng.sample(phrases, 400),
               *(p.split()[0] for p in rng.sample(several, min(200, len(several)))),  # part of a phrase
               *(f"{a} {b}" for a, b in zip(rng.sample(phrases, 200), rng.sample(phrases, 200))),
               *(p.upper() for p in rng.sample(phrases, 50)),
               "", "the", "zzzz unheard of"]
    folded = [(theme_id, [{fold(w) for w in p.split()} for ps in by_lang.values() for p in ps if p.split()])
              for theme_id, by_lang in triggers]
    called_up = 0
    for text in queries:
        expected = _by_reading_every_trigger(folded, text)
        assert query_themes(archive, text) == expected, text
        called_up += bool(expected)
    assert called_up > 600
    assert query_themes(archive, "Überschwemmung") == ("floods",)
