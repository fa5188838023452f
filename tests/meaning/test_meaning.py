"""Search by meaning across languages: a segment is found by a query in another
language that shares none of its words, only from stories the reader may see, and the
vectors follow corrections, redactions and erasure."""

from __future__ import annotations

import math

import pytest

from storyatlas import meaning
from storyatlas.archive import Viewer, corrections
from storyatlas.archive.erasure import erase
from storyatlas.archive.redaction import plan_redaction, record_redaction
from storyatlas.meaning import lists as vector_lists
from storyatlas.search import fused
from tests.conftest import add_story, rewind

KEEPER = Viewer.keeper("cli:test")

FLOOD_DE = [(0.0, 4.0, "Ich heiße Klaus und wohne seit vierzig Jahren in dieser Stadt."),
            (4.0, 8.0, "Nach 1963 baute man den Damm, und die Überschwemmungen jedes Frühjahr hörten auf."),
            (8.0, 12.0, "Meine Mutter arbeitete in der Bäckerei am Markt.")]
FLOOD_PL = [(0.0, 4.0, "Powódź zniszczyła naszą piwnicę i cały ogród."),
            (4.0, 8.0, "Chodziliśmy do szkoły autobusem każdego ranka.")]
OTHER_EN = [(0.0, 4.0, "My grandmother baked bread every Sunday."),
            (4.0, 8.0, "Thank you.")]


@pytest.fixture
def stories(archive):
    made = {"de": add_story(archive, "Damm", "de", FLOOD_DE, community="Görlitz"),
            "pl": add_story(archive, "Powódź", "pl", FLOOD_PL, community="Zgorzelec"),
            "en": add_story(archive, "Bread", "en", OTHER_EN, community="Porto")}
    assert meaning.index(archive) == 7
    return made


def _found(archive, query, viewer=KEEPER):
    texts = {s.id: s.text for story in archive.stories(KEEPER) for s in archive.segments(story.id, KEEPER)}
    return [texts[hit.segment_id] for hit in meaning.nearest(archive, query, viewer)]


@pytest.mark.slow
def test_a_query_finds_passages_in_other_languages_by_meaning_alone(archive, stories):
    for query in ("flood", "inundação", "inondation"):
        found = _found(archive, query)
        assert found[:2] and set(found[:2]) == {FLOOD_DE[1][2], FLOOD_PL[0][2]}, (query, found)
        assert "Thank you." not in found and OTHER_EN[0][2] not in found
    assert _found(archive, "pain au four")[0] == OTHER_EN[0][2]  # French for baking bread
    assert _found(archive, "loneliness") == []  # nothing means that here


def test_a_lines_english_brings_it_closer_to_a_query_in_another_language_while_it_is_not_stale(archive):
    line = "Ale bëła wiôlgô wòda w naszi wsë."  # Kashubian, which the encoder hardly knows
    told = add_story(archive, "Wòda", "csb", [(0.0, 4.0, line, "There was a great flood in our village.", "csb")])
    add_story(archive, "Bread", "en", OTHER_EN)
    assert meaning.index(archive) == 3

    def closeness():
        return next(h.score for h in meaning.nearest(archive, "flood", KEEPER, min_score=-1) if h.story_id == told)

    with_english = closeness()
    # the line corrected: its English says what it said before, until translated again
    archive.conn.execute("UPDATE segments SET text_en_stale = 1 WHERE story_id = ?", (told,))
    assert meaning.index(archive) == 1
    assert closeness() < with_english - 0.03
    archive.conn.execute("UPDATE segments SET text_en_stale = 0 WHERE story_id = ?", (told,))
    assert meaning.index(archive) == 1 and closeness() == pytest.approx(with_english, abs=0.002)
    archive.conn.execute("UPDATE segments SET text_en = 'We baked bread on Sundays.' WHERE story_id = ?", (told,))
    assert meaning.index(archive) == 1 and closeness() < with_english - 0.03


def test_only_stories_the_reader_may_see_are_searched(archive, stories):
    archive.conn.execute("UPDATE stories SET visibility = 'private' WHERE id = ?", (stories["pl"],))
    found = _found(archive, "flood", Viewer.anonymous())
    assert FLOOD_PL[0][2] not in found and FLOOD_DE[1][2] in found


@pytest.mark.slow
def test_vectors_follow_corrections_redactions_and_erasure(archive, stories):
    def indexed(story):
        return archive.conn.execute("SELECT count(*) FROM segment_vectors WHERE story_id = ?", (story,)).fetchone()[0]

    segment = archive.segments(stories["en"], KEEPER)[0]
    corrections.set_text(archive, stories["en"], segment.id, "Our street was under water for a week.", KEEPER,
                         base=None)
    assert indexed(stories["en"]) == 1  # the corrected one waits to be made again
    assert meaning.index(archive) == 1
    texts = {s.id: s.text for s in archive.segments(stories["en"], KEEPER)}
    closest = meaning.nearest(archive, "under water", KEEPER, min_score=-1)[0]
    assert texts.get(closest.segment_id) == "Our street was under water for a week."

    record_redaction(archive, plan_redaction(archive, stories["de"], 4.0, 8.0), {}, "cli:test")
    assert FLOOD_DE[1][2] not in _found(archive, "flood")

    erase(archive, archive.path.parent / "media", stories["pl"], "cli:test", "withdrawn")
    assert indexed(stories["pl"]) == 0 and FLOOD_PL[0][2] not in _found(archive, "flood")


@pytest.mark.slow
def test_a_pass_looks_through_the_segments_once_not_once_a_batch(archive, stories, monkeypatch):
    """A new story's vectors, behind many segments already made: looked for from the start
    for every batch, the looks cost 0.8 s a batch at a million segments (a new story's
    vectors at 0.48 of the encoder's rate; 0.80 in one pass: benchmarks/search.py --fused)."""
    from storyatlas.archive import vectors as rows

    old = add_story(archive, "Long ago", "en", [(i * 2.0, i * 2.0 + 2, f"Line {i}.") for i in range(400)])
    archive.conn.execute("""INSERT INTO segment_vectors (segment_id, story_id, model, vector)
                            SELECT id, story_id, ?, zeroblob(768) FROM segments WHERE story_id = ?""",
                         (meaning.model(), old))
    add_story(archive, "New", "en", [(i * 2.0, i * 2.0 + 2, f"A new line, {i}.") for i in range(8)])
    add_story(archive, "Newer", "en", [(0.0, 2.0, "The newest line."), (2.0, 4.0, "And its last.")])
    steps, looks, counting = [0], [], [False]

    def step() -> None:
        steps[0] += counting[0]

    def look(*args, **kwargs):
        counting[0] = True
        try:
            found = real(*args, **kwargs)
        finally:
            counting[0] = False
        looks.append(len(found))
        return found

    real = rows.unindexed
    archive.conn.set_progress_handler(step, 10)
    monkeypatch.setattr(rows, "unindexed", look)
    monkeypatch.setattr(meaning, "BATCH", 2)
    assert meaning.index(archive) == 10  # every story's, the oldest first
    assert looks == [2, 2, 2, 2, 2, 0]
    pass_steps, steps[0] = steps[0], 0
    look(archive, meaning.model(), 1)  # one look through every segment, nothing missing
    assert looks[-1] == 0
    assert pass_steps < 1.5 * steps[0], f"six looks took {pass_steps / steps[0]:.1f} times one look through all"
    assert rows.counts(archive, meaning.model()) == (7 + 400 + 8 + 2, 7 + 400 + 8 + 2)


def test_a_vector_is_not_written_for_a_line_corrected_while_it_was_encoded(archive):
    import numpy as np

    from storyatlas.archive import vectors as rows

    told = add_story(archive, "Powódź", "pl", FLOOD_PL)
    todo = rows.unindexed(archive, meaning.model())
    corrections.set_text(archive, told, todo[0].segment_id, "Woda stała na ulicach.", KEEPER, base=None)
    made = np.ones((len(todo), 384), np.float32)
    assert rows.store(archive, meaning.model(), zip(todo, made)) == 1
    assert [s.segment_id for s in rows.unindexed(archive, meaning.model())] == [todo[0].segment_id]


@pytest.mark.slow
def test_an_older_models_vectors_are_neither_searched_nor_read_as_changes(archive, stories):
    def found():
        return {h.segment_id for h in meaning.nearest(archive, "flood", KEEPER, min_score=-9)}

    every = found()  # every vector read
    polish = {s.id for s in archive.segments(stories["pl"], KEEPER)}
    # the encoder upgraded: a story's vectors are still the older one's until made again
    archive.conn.execute("UPDATE segment_vectors SET model = 'an older model' WHERE story_id = ?", (stories["pl"],))
    assert found() == every - polish  # read as changes
    meaning._memory.forget()
    assert found() == every - polish  # every vector read again
    assert meaning.index(archive) == 2 and found() == every


def test_the_encoders_vectors_of_a_lines_words_alone_are_searched_until_made_again(archive, stories):
    from storyatlas.archive import vectors as rows
    from storyatlas.themes import meaning as encoder

    def found():
        return {h.segment_id for h in meaning.nearest(archive, "flood", KEEPER, min_score=-9)}

    every = found()
    lines = rows.counts(archive, meaning.model())[1]
    # an archive upgraded through migration 0028: its vectors read the words alone, by the same encoder
    archive.conn.execute("UPDATE segment_vectors SET model = ? WHERE story_id = ?",
                         (encoder.model_version(), stories["pl"]))
    assert found() == every  # read as changes
    meaning._memory.forget()
    assert found() == every  # every vector read again
    assert rows.counts(archive, meaning.model()) == (lines - 2, lines)  # the Polish story's two are to be made again
    assert meaning.index(archive) == 2 and found() == every and rows.counts(archive, meaning.model()) == (lines, lines)


def test_what_a_redaction_leaves_is_encoded_without_its_mark(archive, stories):
    from storyatlas.archive import vectors as rows

    # the whole line: only the mark is left, which means nothing ("[…]" sat near the
    # words it replaced and was found by them)
    record_redaction(archive, plan_redaction(archive, stories["de"], 4.0, 8.0), {}, "cli:test")
    assert [s.text for s in archive.segments(stories["de"], KEEPER)][1] == "[…]"
    assert meaning.index(archive) == 0
    assert rows.counts(archive, meaning.model()) == (6, 6)
    assert rows.Unindexed(1, 1, "Wir pumpten […] leer.", 0).said == "Wir pumpten leer."


def test_an_archive_upgraded_loses_the_vectors_made_with_a_mark(archive, stories):
    from storyatlas.archive import Archive
    from storyatlas.archive.db import SCHEMA_VERSION

    record_redaction(archive, plan_redaction(archive, stories["de"], 4.0, 8.0), {}, "cli:test")
    cut = archive.segments(stories["de"], KEEPER)[1]
    # what the indexer made before: a vector of the mark itself
    archive.conn.execute("INSERT INTO segment_vectors (segment_id, story_id, model, vector) VALUES (?, ?, ?, ?)",
                         (cut.id, stories["de"], meaning.model(), bytes(2 * 384)))
    for table, column in (("jobs", "message_said"), ("revisions", "summary_said"), ("audit", "detail_said")):
        archive.conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")  # as version 14 had it
    rewind(archive.conn, 14)
    with Archive(archive.path) as upgraded:
        assert upgraded.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert upgraded.conn.execute("SELECT count(*) FROM segment_vectors WHERE segment_id = ?",
                                     (cut.id,)).fetchone()[0] == 0
        assert upgraded.conn.execute("SELECT count(*) FROM segment_vectors").fetchone()[0] == 6


@pytest.mark.slow
def test_search_fuses_words_and_meaning_and_says_why(archive, stories):
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend

    found = FTSBackend(archive).search(SearchQuery("inundação", Viewer.anonymous()))
    assert {hit.story_id for hit in found.stories[:2]} == {stories["de"], stories["pl"]}
    assert all(m.why == ("meaning",) for hit in found.stories for m in hit.moments)
    assert found.by_words == 0 and found.total_stories >= 2

    # "Damm" is said in the German story: found by its words and by meaning, it comes first
    both = FTSBackend(archive).search(SearchQuery("Damm Überschwemmung", Viewer.anonymous()))
    assert both.stories[0].story_id == stories["de"]
    assert set(both.stories[0].moments[0].why) >= {"words", "meaning"}

    words_only = FTSBackend(archive).search(SearchQuery("inundação", Viewer.anonymous(), meaning=False))
    assert words_only.total_stories == 0


@pytest.mark.slow
def test_a_story_meaning_and_a_theme_both_find_is_ranked_by_fusion_with_its_theme_score(archive, stories):
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend
    from storyatlas.themes import store

    store.vocabulary(archive)
    archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 7.5)",
                         (stories["pl"],))
    found = FTSBackend(archive).search(SearchQuery("inundação", Viewer.anonymous()))
    assert found.themes == ("floods",) and found.by_words == 1
    assert {hit.story_id for hit in found.stories[:2]} == {stories["de"], stories["pl"]}
    polish = next(hit for hit in found.stories if hit.story_id == stories["pl"])
    assert polish.score == 7.5 and polish.themes == ("floods",)


def test_others_lived_this_too_from_other_places_and_languages(archive, stories, monkeypatch):
    found = {hit.story_id: hit.segment_id for hit in meaning.kindred(archive, stories["de"], Viewer.anonymous())}
    # the Polish flood for the German dam, the English bread for the German bakery
    assert found == {stories["pl"]: archive.segments(stories["pl"], KEEPER)[0].id,
                     stories["en"]: archive.segments(stories["en"], KEEPER)[0].id}

    # each beside the passage of this story it is closest to: the flood by the dam, the bread by the bakery
    beside = {hit.story_id: hit.beside for hit in meaning.kindred(archive, stories["de"], Viewer.anonymous())}
    dam, bakery = (archive.segments(stories["de"], KEEPER)[i].id for i in (1, 2))
    assert beside == {stories["pl"]: dam, stories["en"]: bakery}

    closest = meaning.kindred(archive, stories["de"], Viewer.anonymous(), limit=1)
    assert len(closest) == 1 and closest[0].story_id in found
    # a long story is compared by its first passages only: here the first, where Klaus says who he is
    with monkeypatch.context() as m:
        m.setattr(meaning, "KINDRED_PASSAGES", 1)
        assert stories["pl"] not in {h.story_id for h in meaning.kindred(archive, stories["de"], Viewer.anonymous())}
    # a passage corrected is no longer kindred as it was said, before its vector is made again
    flood = archive.segments(stories["pl"], KEEPER)[0]
    corrections.set_text(archive, stories["pl"], flood.id, "Chodziliśmy do kina w sobotę.", KEEPER, base=None)
    found = {hit.story_id: hit.segment_id for hit in meaning.kindred(archive, stories["de"], Viewer.anonymous())}
    assert found.get(stories["pl"]) != flood.id

    archive.conn.execute("UPDATE stories SET visibility = 'private' WHERE id = ?", (stories["pl"],))
    assert stories["pl"] not in [hit.story_id for hit in meaning.kindred(archive, stories["de"], Viewer.anonymous())]


def test_others_lived_this_too_takes_the_closest_in_other_languages_first(archive, stories):
    near = add_story(archive, "Hochwasser", "de", [(0.0, 4.0, "Im Frühjahr kam das Hochwasser, und der Damm hielt.")],
                     community="Passau")
    meaning.index(archive)
    closest = meaning.kindred(archive, stories["de"], Viewer.anonymous())
    assert closest[0].story_id == near  # a passage is closest to those told in its own language
    first = meaning.kindred(archive, stories["de"], Viewer.anonymous(), limit=2, other_languages=1)
    assert first[0].story_id == next(h.story_id for h in closest if h.story_id != near)
    assert first[1].story_id == near
    assert meaning.kindred(archive, stories["de"], Viewer.anonymous(), other_languages=5) == \
        [h for h in closest if h.story_id != near] + [h for h in closest if h.story_id == near]


def test_others_lived_this_too_can_take_the_stories_sharing_a_theme_first(archive, stories):
    closest = meaning.kindred(archive, stories["de"], Viewer.anonymous())
    assert [h.story_id for h in closest] == [stories["en"], stories["pl"]]  # the bread by the bakery
    tag = "INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, ?, 1)"
    archive.conn.executemany(tag, [(stories["de"], "floods"), (stories["pl"], "floods"), (stories["en"], "family")])
    first = meaning.kindred(archive, stories["de"], Viewer.anonymous(), themes_first=True)
    assert first == closest[::-1]  # the flood shares a theme with the dam story, the bread does not
    assert meaning.kindred(archive, stories["de"], Viewer.anonymous()) == closest
    # a story sharing the theme that the reader may not see is not among them
    archive.conn.execute("UPDATE stories SET visibility = 'private' WHERE id = ?", (stories["pl"],))
    assert [h.story_id for h in meaning.kindred(archive, stories["de"], Viewer.anonymous(), themes_first=True)] \
        == [stories["en"]]


def test_a_line_corrected_since_the_vectors_were_read_takes_no_place_among_a_storys_passages(archive, stories,
                                                                                             monkeypatch):
    meaning.kindred(archive, stories["de"], KEEPER)  # every vector read
    first = archive.segments(stories["de"], KEEPER)[0]
    corrections.set_text(archive, stories["de"], first.id, "Mein Name ist Klaus.", KEEPER, base=None)
    monkeypatch.setattr(meaning, "KINDRED_PASSAGES", 1)
    # its first passage with a vector is now the dam and the floods
    assert stories["pl"] in {h.story_id for h in meaning.kindred(archive, stories["de"], Viewer.anonymous())}


def test_others_lived_this_too_gives_each_storys_closest_passage_the_closest_stories_first(archive):
    told = add_story(archive, "Hochwasser", "de",
                     [(0.0, 4.0, "Das Hochwasser zerstörte unseren Keller und den Garten.")], community="Görlitz")
    river = add_story(archive, "Rzeka", "pl", [(0.0, 4.0, "Chodziliśmy do szkoły autobusem każdego ranka."),
                                               (4.0, 8.0, "Rzeka wylała po wielkim deszczu i zalała pola.")],
                      community="Wrocław")
    flood = add_story(archive, "Powódź", "pl", [(0.0, 4.0, "Nad morzem zbieraliśmy bursztyn."),
                                                (4.0, 8.0, "Powódź zniszczyła naszą piwnicę i cały ogród."),
                                                (8.0, 12.0, "Woda stała na ulicach przez tydzień.")],
                      community="Zgorzelec")
    meaning.index(archive)
    expected = [(flood, archive.segments(flood, KEEPER)[1].id), (river, archive.segments(river, KEEPER)[1].id)]
    for least in (meaning.KINDRED_MIN, -1.0):  # with every passage above the least, still the closest
        found = meaning.kindred(archive, told, KEEPER, min_score=least)
        assert [(hit.story_id, hit.segment_id) for hit in found] == expected, least
        assert found[0].score > found[1].score


def test_an_empty_query_means_nothing(archive, stories):
    assert meaning.nearest(archive, "  ", KEEPER, min_score=-1) == []


@pytest.mark.slow
def test_the_closest_passages_come_best_first_up_to_the_limit(archive, stories):
    add_story(archive, "Newest", "en", [(0.0, 4.0, "Not yet made into a vector.")])  # the highest story id
    every = meaning.nearest(archive, "flood", KEEPER, limit=50, min_score=-1)
    assert len(every) == 7 and [h.score for h in every] == sorted((h.score for h in every), reverse=True)
    assert meaning.nearest(archive, "flood", KEEPER, limit=2, min_score=-1) == every[:2]


@pytest.mark.slow
def test_the_worker_makes_the_vectors_a_round_at_a_time(archive, stories, monkeypatch):
    # a round is whole batches, until about as many as asked are made: the worker
    # comes back between rounds to the jobs waiting
    add_story(archive, "More", "en", [(float(i), i + 1.0, f"Line {i} of the harvest.") for i in range(5)])
    monkeypatch.setattr(meaning, "BATCH", 2)
    assert meaning.index(archive, limit=3) == 4
    assert meaning.index(archive, limit=3) == 1 and meaning.index(archive) == 0


@pytest.mark.slow
def test_meaning_hits_keep_to_the_search_filters(archive, stories):
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend

    found = FTSBackend(archive).search(SearchQuery("inundação", Viewer.anonymous(), language="pl"))
    assert [hit.story_id for hit in found.stories] == [stories["pl"]] and found.total_stories == 1


def test_a_query_of_stop_words_only_is_still_searched_by_meaning(archive, stories):
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend

    # every word of this German query is on spaCy's German stop-word list, "selbst" and "tun" too
    said = "Ask not what your country can do for you, ask what you can do for your country."
    country = add_story(archive, "Speech", "en", [(0.0, 5.0, said)])
    meaning.index(archive)
    query = "was können wir selbst tun"
    found = FTSBackend(archive).search(SearchQuery(query, Viewer.anonymous()))
    assert found.stories and found.stories[0].story_id == country
    assert found.by_words == 0 and found.stories[0].moments[0].why == ("meaning",)
    assert FTSBackend(archive).search(SearchQuery(query, Viewer.anonymous(), meaning=False)).total_stories == 0
    # short function words alone mean nothing, by words or by meaning
    for only_stop_words in ("the", "the of and", "der die das", "y de la que", "w i z"):
        assert FTSBackend(archive).search(SearchQuery(only_stop_words, Viewer.anonymous())).stories == ()


def scored(hits) -> list[tuple]:
    """The passages in order, each score equal but for float32 sums taken in another order."""
    return [(h.segment_id, pytest.approx(h.score, abs=1e-5)) for h in hits]


@pytest.mark.slow
def test_searched_by_lists_the_nearest_passages_are_the_exact_search_s(archive, stories, monkeypatch):
    from storyatlas.meaning import lists

    exact = meaning.nearest(archive, "flood", KEEPER)
    kindred = meaning.kindred(archive, stories["de"], KEEPER)
    monkeypatch.setattr(lists, "EXACT_UP_TO", 0)
    monkeypatch.setattr(lists, "PROBES", 64)  # every list probed: the same passages, found by lists
    monkeypatch.setattr(lists, "KINDRED_PROBED", 1.0)
    meaning._memory.forget()
    assert meaning._memory.blocks(archive, meaning.searched())[0].lists is not None
    assert [(h.segment_id, h.score) for h in meaning.nearest(archive, "flood", KEEPER)] == scored(exact) and exact
    assert [(h.segment_id, h.score) for h in meaning.kindred(archive, stories["de"], KEEPER)] == scored(kindred)
    assert kindred
    meaning._memory.forget()


def test_lists_hold_every_vector_once_and_the_closest_list_holds_its_own_centre():
    import numpy as np

    from storyatlas.meaning import lists

    rng = np.random.default_rng(1)
    centres = rng.standard_normal((20, 16))
    vectors = np.repeat(centres, 50, axis=0) + 0.05 * rng.standard_normal((1000, 16))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    order, found = lists.build(vectors)
    assert sorted(order.tolist()) == list(range(1000)) and found.offsets[-1] == 1000
    for centre in range(20):
        near = found.slices(vectors[centre * 50], probes=1)
        held = {int(order[i]) // 50 for a, b in near for i in range(a, b)}
        assert centre in held


def test_each_query_is_compared_with_its_own_closest_lists():
    import numpy as np

    from storyatlas.meaning import lists

    rng = np.random.default_rng(2)
    matrix = rng.standard_normal((3000, 16)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    order, found = lists.build(matrix)
    queries = matrix[[0, 1, 2, 3, 4, 0]]  # two alike: their lists are theirs together
    probed = found.probed(queries, 3)
    closeness = queries @ found.centroids.T
    for q in range(len(queries)):
        own = {(int(found.offsets[i]), int(found.offsets[i + 1])) for i in np.argsort(-closeness[q])[:3]}
        assert {(a, b) for a, b, who in probed if q in who} == own
    assert [(a, b) for a, b, _ in probed] == found.slices(queries, 3)
    assert len({(a, b) for a, b, _ in probed}) == len(probed)  # each list once, for all the queries it is close to


def test_lists_of_vectors_said_many_times_over_leave_no_list_out():
    import numpy as np

    from storyatlas.meaning import lists

    # many short lines alike ("Yes.", "Thank you.") are one vector: lists that no vector
    # is closest to, the last ones too, are empty, and still there to be probed
    matrix = np.repeat(np.eye(16, dtype=np.float32)[:2], 20, axis=0)
    order, found = lists.build(matrix)
    assert len(found.offsets) == len(found.centroids) + 1 == 17 and found.offsets[-1] == 40
    held = [i for a, b in found.slices(matrix[[0, -1]], probes=16) for i in range(a, b)]
    assert sorted(held) == list(range(40))


@pytest.mark.parametrize("held, probed", [(10, 10), (100, vector_lists.PROBES), (1000, 100)])
def test_a_query_is_compared_with_a_tenth_of_the_lists_and_at_least_32(held, probed):
    import numpy as np

    centroids = np.eye(held, dtype=np.float32)
    found = vector_lists.Lists(centroids, np.arange(held + 1) * 2)  # two vectors a list
    assert len(found.slices(centroids[0])) == probed


@pytest.mark.parametrize("words_weight, order", [(1.0, [4, 1, 2, 5, 3]), (fused.RELAXED_WEIGHT, [4, 5, 1, 2, 3])])
def test_fusion_adds_each_storys_reciprocal_ranks_in_the_words_and_the_meaning_rankings(archive, words_weight,
                                                                                         order):
    from storyatlas.search.fts import FTSBackend

    FTSBackend(archive)._tables()
    c = archive.conn
    # the words ranked 1, 2, 3, 4; meaning 4 (its closest passage 0.9), then 5 (0.899, as close)
    c.executemany("INSERT INTO temp.search_hits (story_id, tier, key, score) VALUES (?, 0, ?, 1)",
                  [(1, 4.0), (2, 3.0), (3, 2.0), (4, 1.0)])
    fused.fuse(c, {5: [(50, 0.899)], 4: [(40, 0.9), (41, 0.2)]}, words_weight)
    ranked = [r[0] for r in c.execute("SELECT story_id FROM temp.search_hits ORDER BY tier, fused DESC, key DESC")]
    # 4 is in both; with a relaxed words ranking (counted less) meaning's second beats words' first
    assert ranked == order
    scores = dict(c.execute("SELECT story_id, fused FROM temp.search_hits"))
    assert scores[4] == pytest.approx(words_weight / (fused.K + 4) + 1 / (fused.K + 1))
    assert scores[5] == pytest.approx(math.exp(-0.001 / fused.CLOSENESS_SCALE) / (fused.K + 2))


def test_a_place_in_meanings_ranking_counts_less_the_farther_below_the_closest(archive):
    from storyatlas.search.fts import FTSBackend

    FTSBackend(archive)._tables()
    c = archive.conn
    # "pongo dos platos por costumbre": meaning put the story it was written for (5) first,
    # clear of the rest; 3 a theme one word called up put first, and meaning 2nd, far below
    fused.fuse(c, {5: [(50, 0.135)], 3: [(30, 0.057)]}, by_theme=[3])
    ranked = [r[0] for r in c.execute("SELECT story_id FROM temp.search_hits ORDER BY tier, fused DESC, key DESC")]
    assert ranked == [5, 3]  # by ranks alone 3 was first: 1 / 62 + 1 / 61
    scores = dict(c.execute("SELECT story_id, fused FROM temp.search_hits"))
    near = math.exp(-0.078 / fused.CLOSENESS_SCALE)
    assert scores[3] == pytest.approx(near * (1 / (fused.K + 2) + 1 / (fused.K + 1)))

    # a query about the theme: its place among the theme's stories counts fully
    c.execute("DELETE FROM temp.search_hits")
    fused.fuse(c, {5: [(50, 0.135)], 3: [(30, 0.057)]}, by_theme=[3], about_themes=True)
    ranked = [r[0] for r in c.execute("SELECT story_id FROM temp.search_hits ORDER BY tier, fused DESC, key DESC")]
    assert ranked == [3, 5]


def test_fusion_counts_the_ranking_of_the_stories_a_theme_called_up_among_those_found(archive):
    from storyatlas.search.fts import FTSBackend

    FTSBackend(archive)._tables()
    c = archive.conn
    # words found 1; meaning 5, 2, 3; the theme 4 (surest, found by neither), then 2, then 3
    c.execute("INSERT INTO temp.search_hits (story_id, tier, key, score) VALUES (1, 0, 4.0, 1)")
    meant = {5: [(50, 0.95)], 2: [(20, 0.945)], 3: [(30, 0.94)]}
    near = {sid: math.exp((meant[sid][0][1] - 0.95) / fused.CLOSENESS_SCALE) for sid in meant}
    fused.fuse(c, meant, by_theme=[4, 2, 3])
    ranked = [r[0] for r in c.execute("SELECT story_id FROM temp.search_hits ORDER BY tier, fused DESC, key DESC")]
    assert ranked == [2, 3, 1, 5]  # 4 is not ranked here: it follows those found otherwise (``rank_themed``)
    scores = dict(c.execute("SELECT story_id, fused FROM temp.search_hits"))
    # each counts its place among the theme's stories found otherwise
    assert scores[2] == pytest.approx(near[2] * (1 / (fused.K + 2) + 1 / (fused.K + 1)))
    assert scores[3] == pytest.approx(near[3] * (1 / (fused.K + 3) + 1 / (fused.K + 2)))

    # a query about the theme ("powódź"): each counts its place among all of them, and 4 joins
    c.execute("DELETE FROM temp.search_hits")
    c.execute("INSERT INTO temp.search_hits (story_id, tier, key, score) VALUES (1, 0, 4.0, 1)")
    fused.fuse(c, meant, by_theme=[4, 2, 3], about_themes=True)
    scores = dict(c.execute("SELECT story_id, fused FROM temp.search_hits"))
    assert scores[4] == pytest.approx(1 / (fused.K + 1))
    assert scores[2] == pytest.approx(near[2] / (fused.K + 2) + 1 / (fused.K + 2))


@pytest.mark.slow
def test_a_story_a_theme_and_meaning_find_ranks_above_one_meaning_alone_puts_first(archive, stories):
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend
    from storyatlas.themes import store

    store.vocabulary(archive)
    order = list(dict.fromkeys(hit.story_id for hit in meaning.nearest(archive, "inundação", Viewer.anonymous())))
    assert len(order) >= 2
    # "powódź", which no story said, showed first a story meaning put first (of bad air),
    # above the flood stories that the theme called up and meaning found too
    archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 2.0)",
                         (order[1],))
    found = FTSBackend(archive).search(SearchQuery("inundação", Viewer.anonymous()))
    assert found.themes == ("floods",)
    assert [hit.story_id for hit in found.stories[:2]] == order[1::-1]
    assert found.stories[0].themes == ("floods",)


@pytest.mark.slow
def test_a_query_about_a_theme_ranks_its_stories_the_viewer_may_see_only(archive, stories):
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend
    from storyatlas.themes import store

    store.vocabulary(archive)
    public, hidden = (add_story(archive, title, "pl", [(0.0, 4.0, "Chodziliśmy do kina w sobotę.")], community="Łódź",
                                visibility=visibility)
                      for title, visibility in (("Kino", "public"), ("Ukryta", "private")))
    meaning.index(archive)
    archive.conn.executemany("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 9.0)",
                             [(public,), (hidden,)])

    def ranked(viewer):
        found = FTSBackend(archive).search(SearchQuery("inundação", viewer))
        return found.total_stories, [hit.story_id for hit in found.stories]

    # "inundação" is about floods: the theme's surest story takes a place beside meaning's first
    total, order = ranked(Viewer.anonymous())
    assert hidden not in order and public in order[:2] and total == len(order)
    assert hidden in ranked(KEEPER)[1]  # a keeper may see it


def test_a_story_found_through_a_theme_and_by_meaning_is_fused_among_those_found_by_words(archive):
    from storyatlas.search.fts import FTSBackend

    FTSBackend(archive)._tables()
    c = archive.conn
    # words found 1 and 2; 3 only through a theme (tier 1), and meaning found it first
    c.executemany("INSERT INTO temp.search_hits (story_id, tier, key, score) VALUES (?, ?, ?, 1)",
                  [(1, 0, 4.0), (2, 0, 3.0), (3, 1, 2.5)])
    fused.fuse(c, {3: [(30, 0.9)]})
    ranked = [r[0] for r in c.execute("SELECT story_id FROM temp.search_hits ORDER BY tier, fused DESC, key DESC")]
    assert ranked.index(3) < ranked.index(2)  # 1 / (60 + 1) from meaning against 1 / (60 + 2) from words
    assert c.execute("SELECT tier FROM temp.search_hits WHERE story_id = 3").fetchone()[0] == 0


def test_a_relaxed_words_ranking_counts_half_in_the_search(archive, monkeypatch):
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend

    worded = add_story(archive, "Cellar", "en", [(0.0, 4.0, "The cellar flooded."), (4.0, 8.0, "The dyke held.")])
    closest, second = (add_story(archive, title, "en", [(0.0, 4.0, text)])
                       for title, text in (("Sang", "We sang."), ("Danced", "We danced.")))
    asked = []

    def meaning_hits(archive, query, within, parsed=None):  # meaning's ranking given, not encoded: closest first
        asked.append(query.text)
        return {closest: [(archive.segments(closest, KEEPER)[0].id, 0.9)],
                second: [(archive.segments(second, KEEPER)[0].id, 0.8)]}

    monkeypatch.setattr(fused, "meaning_hits", meaning_hits)

    def order(text):
        found = FTSBackend(archive).search(SearchQuery(text, Viewer.anonymous()))
        return found.relaxed, [hit.story_id for hit in found.stories]

    # words' first is worth meaning's first (above its second); relaxed, half of it (below)
    assert order("cellar flooded")[1][2] == second
    assert order("cellar dyke") == (True, [closest, second, worded])
    # the search that found no moment holding both words asked meaning nothing: its answer is not shown
    assert asked == ["cellar flooded", "cellar dyke"]


def test_a_theme_one_word_of_a_longer_query_calls_up_counts_as_much_as_that_word(archive, monkeypatch):
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend
    from storyatlas.themes import store

    store.vocabulary(archive)
    closest, religious = (add_story(archive, title, "en", [(0.0, 4.0, text)])
                          for title, text in (("Sang", "We sang."), ("Danced", "We danced.")))
    archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'religion', 2.0)",
                         (religious,))

    def meaning_hits(archive, query, within, parsed=None):  # meaning's ranking given: the untagged story first
        return {closest: [(archive.segments(closest, KEEPER)[0].id, 0.9)],
                religious: [(archive.segments(religious, KEEPER)[0].id, 0.85)]}

    monkeypatch.setattr(fused, "meaning_hits", meaning_hits)

    def order(text):
        found = FTSBackend(archive).search(SearchQuery(text, Viewer.anonymous()))
        assert found.themes == ("religion",)
        return [hit.story_id for hit in found.stories]

    # "church" is one of the four words searched: a quarter of its theme's place counts, and
    # meaning's first stays first (counted fully, the theme put its story above it)
    assert order("the drowned church rose from the lake") == [closest, religious]
    # one of two, as in a theme's name ("Schools and education"): it counts fully
    assert order("church lake") == [religious, closest]


def test_a_themes_whole_label_brings_its_stories_that_neither_words_nor_meaning_found(archive, monkeypatch):
    from storyatlas.search import SearchQuery
    from storyatlas.search.fts import FTSBackend
    from storyatlas.themes import store

    store.vocabulary(archive)
    closest, second, war = (add_story(archive, title, "en", [(0.0, 4.0, text)])
                            for title, text in (("Sang", "We sang."), ("Danced", "We danced."), ("Ran", "We ran.")))
    archive.conn.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'war', 2.0)", (war,))

    def meaning_hits(archive, query, within, parsed=None):  # meaning found two stories, not the war one
        return {closest: [(archive.segments(closest, KEEPER)[0].id, 0.9)],
                second: [(archive.segments(second, KEEPER)[0].id, 0.89)]}

    monkeypatch.setattr(fused, "meaning_hits", meaning_hits)
    found = FTSBackend(archive).search(SearchQuery("Krieg und Erinnerung", Viewer.anonymous()))
    order = [hit.story_id for hit in found.stories]
    # war's label in German, whose "Erinnerung" calls nothing up: the query is about war,
    # and its story takes part in the ranking (by "Krieg" alone, half the words, it came last)
    assert found.themes == ("war",) and order.index(war) < order.index(second)


def test_a_story_meaning_alone_found_shows_its_closest_moments_up_to_the_limit(archive):
    story = add_story(archive, "Flut", "de", [(i * 2.0, i * 2.0 + 2.0, f"Satz {i}.") for i in range(3)])
    segments = {s.id: {"start": s.start, "end": s.end, "text": s.text, "text_en": s.text_en, "language": s.language}
                for s in archive.segments(story, Viewer.keeper())}
    ids = list(segments)
    meant = [(ids[2], 0.8), (ids[0], 0.6), (ids[1], 0.1)]
    shown = fused.shown([([], ()), (fused.closest(meant, segments, "de", 2), ids)], 2, set(ids))
    assert [(m.segment_id, m.why) for m in shown] == [(ids[2], ("meaning",)), (ids[0], ("meaning",))]


def test_vectors_made_after_a_story_is_done_change_what_a_search_may_answer(archive):
    add_story(archive, "Brot", "en", OTHER_EN)
    state, generation = archive.search_state(), archive.generation()
    assert meaning.index(archive) == 2
    # an answer cached before them would miss the story found by meaning
    assert archive.generation() == generation and archive.search_state() != state
