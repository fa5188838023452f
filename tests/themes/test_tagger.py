"""The tagger on hand-written transcripts, with a small vocabulary of its own (the
repository's vocabulary is measured by benchmarks/themes.py and tested in test_vocabulary.py)."""

from types import SimpleNamespace

import numpy as np
import pytest

from storyatlas.themes import Tagger, Theme, Vocabulary
from storyatlas.themes.lemmas import Lemmatizer, build_index, fold

VOCAB = Vocabulary((
    Theme("floods", "Floods", "", {}, {"en": ("flood", "sandbag", "river burst its banks"),
                                        "de": ("hochwasser", "überschwemmung", "sandsack"),
                                        "pl": ("powódź", "zalać", "worek z piaskiem")}),
    Theme("eviction", "Eviction", "", {"pt": "Despejo"}, {"en": ("evict", "eviction", "bailiff"),
                                                           "pl": ("eksmisja", "komornik"),
                                                           "pt": ("despejo", "despejar")}),
))


@pytest.fixture(scope="module")
def tagger(tmp_path_factory):
    return Tagger(VOCAB, tmp_path_factory.mktemp("cache"))


def test_english_story_gets_its_theme_with_the_segments_that_justify_it(tagger):
    result = tagger.tag("en", [
        ("My name is Anna.", None),
        ("The river burst its banks in the night.", None),
        ("We filled sandbags until morning.", None),
    ])
    assert [t.theme_id for t in result.themes] == ["floods"]
    assert result.themes[0].segments == [1, 2]
    assert {e.trigger for e in result.themes[0].evidence} == {"river burst its banks", "sandbag"}


@pytest.mark.slow
def test_inflected_words_of_the_original_language_match_through_lemmas(tagger):
    # "Überschwemmungen" and "Sandsäcke" are plural: only the lemma table knows them
    result = tagger.tag("de", [("Die Überschwemmungen kamen zweimal.", "The floods came twice."),
                               ("Wir haben Sandsäcke geschleppt.", "We dragged sandbags.")])
    floods = result.themes[0]
    assert floods.theme_id == "floods"
    assert {(e.segment, e.side) for e in floods.evidence} >= {(0, "original"), (1, "original"), (1, "english")}


@pytest.mark.slow
def test_a_passing_mention_counts_for_less_than_what_the_story_is_about(tmp_path_factory):
    from storyatlas.themes import default_vocabulary

    tagger = Tagger(default_vocabulary(), tmp_path_factory.mktemp("cache"))
    bees = [("I kept bees for forty years.", None), ("Every summer we sold honey at the market.", None),
            ("My grandson keeps them now.", None)]
    assert "floods" not in {t.theme_id for t in tagger.tag("en", bees).themes}
    mention = tagger.tag("en", bees[:2] + [("Once, the year of the flood, we lost two hives.", None)] + bees[2:])
    assert mention.themes[0].theme_id != "floods"
    flood = tagger.tag("en", [("The river burst its banks in the night.", None),
                              ("We filled sandbags until the water reached the cellar.", None)])
    assert flood.themes[0].theme_id == "floods"
    assert flood.themes[0].score > max((t.score for t in mention.themes if t.theme_id == "floods"), default=0)


def test_a_story_no_passage_reaches_a_theme_in_keeps_its_likeliest(tagger, monkeypatch):
    from storyatlas.themes import tagger as tagging

    story = [("The water rose in the street.", None), ("We carried the chairs upstairs.", None)]
    likeliest = tagger.tag("en", story).themes[0]
    # no passage's theme reaches the thresholds: the story's likeliest is kept from the story's
    monkeypatch.setattr(tagging, "FIRST_THRESHOLD", 1.01)
    monkeypatch.setattr(tagging, "THRESHOLD", 1.01)
    monkeypatch.setattr(tagging, "STORY_THRESHOLD", likeliest.score - 0.001)
    kept, version = tagger.tag("en", story).themes, tagger.version
    assert [(t.theme_id, t.score) for t in kept] == [(likeliest.theme_id, likeliest.score)]
    assert kept[0].segments  # with the segment that says it
    monkeypatch.setattr(tagging, "STORY_THRESHOLD", likeliest.score + 0.002)
    assert tagger.tag("en", story).themes == ()
    assert tagger.version != version  # stories tagged with the other threshold are due again


@pytest.mark.slow
def test_polish_forms_come_from_the_part_of_speech_tables(tagger):
    result = tagger.tag("pl", [("Komornik przyszedł rano.", "The bailiff came in the morning."),
                               ("Po eksmisji mieszkaliśmy u siostry.", "After the eviction we lived with my sister.")])
    assert result.themes[0].theme_id == "eviction" and result.themes[0].segments == [0, 1]


def test_entities_are_found_and_countries_normalised(tagger):
    result = tagger.tag("en", [("In 1997 the Oder flooded Wrocław and the Red Cross came from Germany.", None)])
    kinds = {(e.kind, e.text) for e in result.entities}
    assert ("date", "1997") in kinds and ("organisation", "the Red Cross") in kinds
    germany = next(e for e in result.entities if e.text == "Germany")
    assert (germany.kind, germany.country) == ("place", "DE")


def test_the_vocabulary_version_changes_with_its_content():
    edited = Vocabulary(VOCAB.themes[:1])
    assert VOCAB.version != edited.version and len(VOCAB.version) == 12


@pytest.mark.slow
def test_lemma_index_keeps_only_forms_of_wanted_words_and_splits_compounds():
    index = build_index("de", {"uberschwemmung", "sandsack"})
    assert index["uberschwemmungen"] == ["uberschwemmung"]
    assert index["sacke"] == ["sack"]  # the head of the compound
    assert len(index) < 50
    lemmas = Lemmatizer("de", index)
    assert lemmas.candidates("Überschwemmungen!") == [("uberschwemmungen", "uberschwemmung")]
    assert "sandsack" in lemmas.candidates("Sandsäcke")[0]
    assert fold("Überschwemmung") == "uberschwemmung"


@pytest.mark.slow
def test_forms_come_from_each_languages_table_in_its_own_shape():
    # French maps a form to a list of lemmas; Greek has only a table of exceptions by part of speech
    assert build_index("fr", {"inondation", "noyer"})["inondations"] == ["inondation"]
    assert build_index("fr", {"noyer"})["noyaient"] == ["noyer"]
    assert build_index("el", {fold("απλούστερος")})[fold("απλούστερη")] == [fold("απλούστερος")]
    # Spanish makes "huelga" (a strike) into "holgar" (to rest): that verb's forms still meet it
    strike = build_index("es", {"huelga"})
    assert strike["huelgas"] == ["huelga"] and strike["huelgan"] == ["huelga"]


@pytest.mark.slow
def test_the_forms_are_kept_on_disk_a_file_for_each_language_and_set_of_words(tmp_path):
    from storyatlas.themes.lemmas import _lemmatizer, lemmatizer

    cellar, lake = lemmatizer("de", {"keller"}, tmp_path), lemmatizer("de", {"stausee"}, tmp_path)
    lemmatizer("nl", {"keller"}, tmp_path)
    assert "kellern" in cellar.index and "seen" in lake.index and "kellern" not in lake.index
    assert len([p for p in (tmp_path / "lemmas").iterdir() if p.suffix == ".json"]) == 3
    _lemmatizer.cache_clear()
    assert lemmatizer("de", {"stausee"}, tmp_path).index == lake.index  # read back from its file


def test_forms_that_cannot_be_kept_on_disk_are_used_all_the_same(tmp_path, caplog):
    # a cache folder that cannot be made (here: under a file) failed the theme job
    from storyatlas.themes.lemmas import lemmatizer

    (tmp_path / "file").write_text("not a folder")
    cellar = lemmatizer("de", {"keller"}, tmp_path / "file")
    assert "kellern" in cellar.index
    assert "cannot keep the de word forms" in caplog.text


@pytest.mark.slow
def test_a_compound_whose_last_part_is_a_three_letter_word_matches_in_its_forms():
    lemmas = Lemmatizer("de", build_index("de", {"stausee"}))
    assert lemmas.candidates("Die Stauseen waren voll.")[1] == ("stauseen", "stausee")  # See, Seen


@pytest.mark.slow
def test_a_story_told_without_the_theme_words_is_found_by_its_meaning(tmp_path_factory):
    from storyatlas.themes import default_vocabulary

    tagger = Tagger(default_vocabulary(), tmp_path_factory.mktemp("cache"))
    story = [("Since my husband died I can go a whole week without saying a word to anybody.", None),
             ("I leave the radio on just so there is a voice in the house.", None),
             ("Sundays are the worst, the hours do not move.", None)]
    reading = tagger.read("en", story)
    assert not reading.hits.get("loneliness")  # none of its trigger words
    loneliness = next(t for t in tagger.choose(reading) if t.theme_id == "loneliness")
    assert [(e.side, e.trigger) for e in loneliness.evidence] == [("meaning", "")]
    assert 0.4 <= loneliness.score <= 1.0


@pytest.mark.slow
def test_an_english_storys_words_count_on_both_sides(tmp_path_factory):
    # a translated story's trigger words count on the side that says them: an English
    # story has one side, so the weaker side's feature is the stronger's, not nothing
    from storyatlas.themes import default_vocabulary

    vocabulary = default_vocabulary()
    tagger = Tagger(vocabulary, tmp_path_factory.mktemp("cache"))
    floods = vocabulary.ids().index("floods")
    english = tagger.read("en", [("The flood filled our cellar with water.", None)]).features[0][floods]
    assert english[1] > 0 and english[2] == english[1]
    german = tagger.read("de", [("Das Hochwasser kam in der Nacht.", "It came in the night.")]).features[0][floods]
    assert german[1] > 0 and german[2] == 0  # said only as told
    translated = tagger.read("de", [("Es kam in der Nacht.", "The flood came in the night.")]).features[0][floods]
    assert translated[1] == german[1] and translated[2] == 0  # said only in the translation: the same


@pytest.mark.slow
def test_a_story_not_yet_translated_is_read_as_told_and_its_language_in_any_case(tagger):
    told = [("Powódź zalała nam piwnicę.", None)]
    read = tagger.read("PL", told)
    assert read.language == "pl" and read.hits == tagger.read("pl", told).hits and read.hits["floods"]["original"]
    as_english = tagger.read("pl", [(text, text) for text, _ in told])
    assert np.array_equal(read.features[0], as_english.features[0])  # the text stands for its missing English


@pytest.mark.slow
def test_a_passage_told_in_its_own_language_keeps_the_meaning_its_translation_lost(tmp_path_factory):
    # as Whisper base translated a German memory of the dam that ended the spring floods
    from storyatlas.themes import default_vocabulary

    vocabulary = default_vocabulary()
    tagger = Tagger(vocabulary, tmp_path_factory.mktemp("cache"))
    told = ("Bis die Staumauer 1963 fertig war, stand jedes Frühjahr das Wasser in den Kellern und Gassen "
            "am Fluss, und wir trugen die Möbel nach oben.")
    lost = "After 1963, the years were over, and the sediments were distributed to the state."
    floods = vocabulary.ids().index("floods")
    german = tagger.read("de", [(told, lost)])
    english_alone = tagger.read("en", [(lost, None)])
    assert not german.hits.get("floods")  # no trigger word on either side: meaning alone
    # closeness to the theme's description and to its words, z-scores against the background
    assert german.features[0][floods, 0] > english_alone.features[0][floods, 0] + 1.0
    assert german.features[0][floods, 4] > english_alone.features[0][floods, 4] + 1.0
    told_score = next(t.score for t in tagger.choose(german) if t.theme_id == "floods")
    assert told_score > max((t.score for t in tagger.choose(english_alone) if t.theme_id == "floods"), default=0)


@pytest.mark.slow
def test_a_theme_found_by_meaning_points_at_the_segment_that_says_it_as_told(tmp_path_factory):
    # the English of the first segment (a river) is closer to floods than the broken
    # translation of the second; the German of the second is what tells the floods
    from storyatlas.themes import default_vocabulary

    tagger = Tagger(default_vocabulary(), tmp_path_factory.mktemp("cache"))
    story = [("Mein Vater war Bäcker in der Altstadt, und ich half ihm jeden Morgen.",
              "My father was a baker in the old town, and I helped him by the river every morning."),
             ("Bis die Staumauer 1963 fertig war, stand jedes Frühjahr das Wasser in den Kellern und Gassen "
              "am Fluss, und wir trugen die Möbel nach oben.",
              "After 1963, the years were over, and the sediments were distributed to the state."),
             ("Heute wohne ich in einer kleinen Wohnung in der Neustadt.",
              "Today I live in a small flat in the new town.")]
    floods = next(t for t in tagger.tag("de", story).themes if t.theme_id == "floods")
    assert [(e.segment, e.side) for e in floods.evidence] == [(1, "meaning")]


def test_the_shipped_background_vectors_match_the_background_text():
    # a stale background.npz is not wrong, but costs every process ten seconds at start:
    # `python scripts/encode_background.py` writes it again
    from importlib import resources

    import numpy as np

    from storyatlas.themes import meaning

    with resources.files("storyatlas.themes").joinpath("background.npz").open("rb") as f:
        saved = np.load(f)
        assert str(saved["stamp"]) == meaning.background_stamp()
        assert saved["vectors"].shape == (len(meaning.background_texts()), 384)


def test_the_background_stamp_follows_its_text(monkeypatch):
    from storyatlas.themes import meaning

    stamp = meaning.background_stamp()
    monkeypatch.setattr(meaning, "background_texts", lambda: ["One ordinary line, edited."])
    assert meaning.background_stamp() != stamp
    meaning.background_vectors.cache_clear()
    try:
        assert meaning.background_vectors().shape == (1, 384)  # encoded now, not the shipped file's
    finally:
        meaning.background_vectors.cache_clear()


def test_closeness_to_a_theme_is_a_z_score_against_the_background():
    from storyatlas.themes import default_vocabulary, meaning

    for z in meaning.closeness(meaning.background_vectors(), default_vocabulary()):
        assert z.mean(axis=0) == pytest.approx(0.0, abs=1e-4)
        assert z.std(axis=0) == pytest.approx(1.0, abs=1e-3)


def test_a_theme_is_looked_for_by_its_description_and_its_words_read_as_told():
    # the weights and the examples were fitted on these two views, encoded so
    from storyatlas.themes import meaning

    vocabulary = Vocabulary((Theme("floods", "Floods", "Water over the banks.", {}, {"en": ("flood", "sandbag")}),
                             Theme("bees", "Bees", "", {}, {"pl": ("pszczoła",)})))
    described, worded = meaning.theme_texts(vocabulary)
    assert described == ("Floods. Water over the banks.", "Bees.")
    assert worded == ("flood, sandbag", "Bees")  # the label when it has no English words
    vectors = meaning.theme_vectors(vocabulary)
    assert np.allclose(vectors[0], meaning.encode(described, query=True))
    assert np.allclose(vectors[1], meaning.encode(worded))
    # e5 reads what is looked for and what is told each with its own prefix
    assert not np.allclose(meaning.encode(["Floods."], query=True), meaning.encode(["Floods."]))


def test_the_shipped_examples_are_the_labelled_stories():
    # examples.npz is written by `python benchmarks/themes.py --write-examples` from every
    # stories-*.jsonl, one passage per story (none is longer than a passage), in order
    import json
    from pathlib import Path

    from storyatlas.themes import examples
    from storyatlas.themes.tagger import PASSAGE

    data = Path(__file__).resolve().parent.parent / "data" / "themes"
    stories = [json.loads(line) for path in sorted(data.glob("stories-*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert all(story["text"].count(". ") < PASSAGE for story in stories)
    shipped = examples.shipped()
    assert [sorted(t) for t in shipped.themes] == [sorted(s["themes"]) for s in stories]
    assert shipped.vectors.shape == (len(stories), 384)
    assert "held-apart" not in " ".join(p.name for p in data.glob("stories-*.jsonl"))


def test_the_nearest_examples_vote_for_their_themes():
    import numpy as np

    from storyatlas.themes.examples import NEIGHBOURS, Examples

    axes = np.eye(4, dtype=np.float32)
    # NEIGHBOURS examples on the first axis, given floods (all) and family (one); others far
    near = [axes[0]] * NEIGHBOURS
    far = [axes[1]] * 3
    labelled = Examples(np.vstack(near + far), (("floods", "family"),) + (("floods",),) * (NEIGHBOURS - 1)
                        + (("sport",),) * 3)
    share = labelled.share(axes[:2], ["floods", "family", "sport", "new_theme"])
    assert share[0].tolist() == pytest.approx([1.0, 1 / NEIGHBOURS, 0.0, 0.0])
    assert share[1][2] == pytest.approx(3 / NEIGHBOURS) and share[1][3] == 0.0  # a theme nobody labelled has no votes
    # a theme labelled but not asked for votes for no other
    assert labelled.share(axes[:2], ["family", "floods"]).tolist() == share[:, [1, 0]].tolist()
    # which examples these are: their meaning and their themes alike
    relabelled = Examples(labelled.vectors, (("sport",),) * (NEIGHBOURS + 3))
    moved = Examples(labelled.vectors[::-1].copy(), labelled.themes)
    assert len({labelled.stamp, relabelled.stamp, moved.stamp}) == 3


def test_examples_encoded_by_another_model_are_not_used(monkeypatch, caplog):
    from storyatlas.themes import examples, meaning

    with monkeypatch.context() as m:
        m.setattr(meaning, "model_version", lambda: "another encoder")
        examples.shipped.cache_clear()
        try:
            assert len(examples.shipped()) == 0  # closeness across two models means nothing
        finally:
            examples.shipped.cache_clear()
    assert "examples.npz not usable (made by multilingual-e5" in caplog.text and "not another encoder" in caplog.text
    assert len(examples.shipped()) > 0


def test_a_tagger_without_examples_still_tags_by_words_and_meaning(tmp_path_factory):
    from storyatlas.themes import default_vocabulary
    from storyatlas.themes.examples import empty

    tagger = Tagger(default_vocabulary(), tmp_path_factory.mktemp("cache"), examples=empty())
    flood = tagger.tag("en", [("The river burst its banks in the night.", None),
                              ("We filled sandbags until the water reached the cellar.", None)])
    assert flood.themes[0].theme_id == "floods"
    assert tagger.version != Tagger(default_vocabulary(), tmp_path_factory.mktemp("other")).version


def test_a_theme_bias_and_a_language_weight_move_only_their_theme_and_language(tmp_path):
    import numpy as np

    from storyatlas.themes.tagger import Weights, _load_weights, write_weights

    plain = Weights(meaning=0.5, words=1.0, agreement=0.0, lead=0.0, keywords=0.5, keywords_lead=0.0,
                    examples=2.0, probe=1.0, bias=-2.0)
    weights = Weights(**{**plain.__dict__, "theme_bias": {"family": -1.5},
                         "language": {"it": (-0.8, 0.0)}})
    features = np.array([[0.5, 2.0, 0.0, 0.0, 0.3, 0.0, 0.4, 0.2]] * 2)  # the same evidence for both themes
    before = plain.probability(features, ["family", "floods"], "it")
    after = weights.probability(features, ["family", "floods"], "de")
    assert after[0] < before[0] and after[1] == pytest.approx(before[1])  # the bias: family only
    italian = weights.probability(features, ["family", "floods"], "it")
    assert italian[1] < after[1]  # the words weight: Italian stories only

    def logit(p):
        return np.log(p / (1 - p))

    # each by its own amount: the bias on the theme, the language's on the words' feature (2.0)
    assert logit(after[0]) - logit(before[0]) == pytest.approx(-1.5)
    assert logit(italian[1]) - logit(after[1]) == pytest.approx(-0.8 * 2.0)
    path = tmp_path / "weights.json"
    write_weights(path, weights, plain)
    assert _load_weights(path) == (weights, plain)
    # the weights a theme no labelled story was given is decided by are part of how a tagger decides
    version = Tagger(VOCAB, tmp_path / "cache").version
    assert Tagger(VOCAB, tmp_path / "cache", without_examples=weights).version != version


def test_the_shipped_weights_have_a_bias_for_every_theme_of_the_vocabulary():
    from storyatlas.themes import default_vocabulary
    from storyatlas.themes.tagger import WEIGHTS, WITHOUT_EXAMPLES
    from storyatlas.themes.vocabulary import LANGUAGES

    assert set(WEIGHTS.theme_bias) == set(default_vocabulary().ids())
    # a theme no example was given: words and meaning alone, no bias of its own
    assert WITHOUT_EXAMPLES.examples == WITHOUT_EXAMPLES.probe == 0 and not WITHOUT_EXAMPLES.theme_bias
    # every language of the vocabulary has labelled stories (tests/data/themes/stories-15 to -17: the four last)
    assert set(WEIGHTS.language) == set(LANGUAGES)
    assert WEIGHTS.theme_bias["family"] < 0  # mentioned far more often than it is the subject


def test_the_examples_read_a_theme_linearly_from_a_passages_meaning():
    import numpy as np

    from storyatlas.themes.examples import Examples

    rng = np.random.default_rng(0)
    flood, sport = rng.normal(size=(2, 384))
    noise = rng.normal(scale=0.3, size=(40, 384))

    def unit(v):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)

    vectors = unit(np.vstack([flood + noise[:20], sport + noise[20:]])).astype(np.float32)
    labelled = Examples(vectors, (("floods",),) * 20 + (("sport",),) * 20)
    read = labelled.probe(unit(np.vstack([flood, sport])).astype(np.float32), ["floods", "sport", "new_theme"])
    assert read[0, 0] > 0.8 and read[0, 1] < 0.2  # near the flood stories: floods, not sport
    assert read[1, 1] > 0.8 and read[1, 0] < 0.2
    assert (read[:, 2] == 0).all()  # a theme no example was given reads nothing


def test_every_labelled_story_has_its_own_id():
    import json
    from pathlib import Path

    data = Path(__file__).resolve().parent.parent / "data" / "themes"
    ids = [json.loads(line)["id"] for path in sorted(data.glob("*.jsonl"))
           for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(ids) == len(set(ids))


def _weighed_as(tagger, monkeypatch, given: list[dict[str, float]]) -> list[np.ndarray]:
    """Each passage's features, which the tagger's weights (both) make into ``given``'s
    probabilities of that passage: the rules that follow them are then what is tested."""
    def probability(rows, theme_ids, language=None):
        return np.array([given[int(rows[0, 0])][t] for t in theme_ids])
    for weights in ("weights", "without_examples"):
        monkeypatch.setattr(tagger, weights, SimpleNamespace(probability=probability))
    return [np.full((len(tagger.vocabulary.ids()), 1), n, np.float32) for n in range(len(given))]


def test_a_passages_likeliest_theme_needs_less_and_a_story_keeps_each_themes_best_score(tagger, monkeypatch):
    from storyatlas.themes.tagger import FIRST_THRESHOLD, PASSAGE, THRESHOLD, Reading

    # three passages; what the weights make of each is given, the rules that follow are tested
    given = [{"floods": 0.5, "eviction": 0.2},
             {"eviction": 0.9, "floods": 0.36},   # floods second: below THRESHOLD, not kept
             {"floods": 0.36, "eviction": 0.1}]   # floods first: above FIRST_THRESHOLD, kept
    assert FIRST_THRESHOLD < 0.36 < THRESHOLD
    features = _weighed_as(tagger, monkeypatch, given)
    said = {"floods": [(0, "flood", 1), (PASSAGE, "flood", 1), (2 * PASSAGE, "flood", 1)],
            "eviction": [(PASSAGE + 1, "bailiff", 1)]}
    reading = Reading(["..."] * 3 * PASSAGE, [], {t: {"original": f, "english": []} for t, f in said.items()},
                      features)
    chosen = tagger.choose(reading)
    # the likeliest first; each theme's best score of any passage, with every passage's evidence
    assert [(t.theme_id, t.score, t.segments) for t in chosen] == [
        ("eviction", 0.9, [PASSAGE + 1]), ("floods", 0.5, [0, 2 * PASSAGE])]


def test_a_trigger_said_again_counts_for_less_than_another_and_a_phrase_for_more():
    from storyatlas.themes.tagger import PHRASE_WEIGHT, REPEAT_WEIGHT, _side_score

    assert _side_score([(0, "flood", 1)]) == 1.0
    assert _side_score([(0, "flood", 1), (3, "flood", 1)]) == 1.0 + REPEAT_WEIGHT
    assert _side_score([(0, "flood", 1), (3, "sandbag", 1), (5, "river burst its banks", 4)]) == 2.0 + PHRASE_WEIGHT


def test_a_story_keeps_its_likeliest_theme_of_any_passage_and_its_themes_come_likeliest_first(tagger, monkeypatch):
    from storyatlas.themes.tagger import PASSAGE, Reading

    def chosen(*passages):
        features = _weighed_as(tagger, monkeypatch, list(passages))
        reading = Reading(["..."] * len(passages) * PASSAGE, [], {}, features)
        return [(t.theme_id, t.score, t.segments) for t in tagger.choose(reading)]

    # no passage reaches a theme: the story keeps its likeliest of all, from its first passage
    assert chosen({"floods": 0.28, "eviction": 0.1}, {"floods": 0.1, "eviction": 0.26}) == [("floods", 0.28, [0])]
    # found by meaning alone in the second passage: one of the second passage's segments
    assert chosen({"floods": 0.1, "eviction": 0.35}, {"floods": 0.45, "eviction": 0.2}) == [
        ("floods", 0.45, [PASSAGE]), ("eviction", 0.35, [0])]


def test_the_english_is_read_as_words_and_lemmatised_noun_chunks_for_new_themes():
    """Noun chunks feed the suggested new themes: their words, lemmatised, without numbers,
    stop words ("many", "the") or names; punctuation is no word of the text."""
    from storyatlas.themes.english import analyse

    read = analyse(["Many people remember the 1963 floods, and Anna Kowalska kept the old photographs."])[0]
    assert read.chunks == ("people", "flood", "old photograph")
    assert ("floods", "flood") in read.candidates and all(word.isalnum() for word, *_ in read.candidates)
