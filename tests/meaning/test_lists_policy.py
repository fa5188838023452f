"""Searched by lists, meaning finds what the viewer may see: the lists closest to the query
were probed before the policy and the filters, so a visitor who may see a few stories among
many private ones close to the query (or a search filtered to one community) got none of
their passages, though they were close, in lists not probed (storyatlas/meaning/lists.py)."""

from __future__ import annotations

import numpy as np
import pytest

from storyatlas import meaning
from storyatlas.archive import Viewer
from storyatlas.archive import vectors as rows
from storyatlas.meaning import encoding, lists, memory
from storyatlas.search import SearchQuery
from storyatlas.search.fts import FTSBackend
from tests.conftest import add_story

KEEPER = Viewer.keeper("cli:test")
FLOODS = [("Damm", "de", "Nach 1963 baute man den Damm, und die Überschwemmungen jedes Frühjahr hörten auf."),
          ("Powódź", "pl", "Powódź zniszczyła naszą piwnicę i cały ogród."),
          ("Flood", "en", "The river flooded our street and the cellar filled with water.")]
PRIVATE_STORIES, LINES = 6, 300


@pytest.fixture(scope="module")
def flood():
    return encoding.encode(["flood"], query=True)[0].astype(np.float32)


@pytest.fixture
def crowded(archive, flood, monkeypatch):
    """Three public flood stories, told in Zgorzelec, and 1,800 private passages in other
    places: half of them closer to "flood" than the public ones are, the rest about what
    those tell of (cellars, gardens), so that the public passages are in lists far down
    the query's. Cut into 42 lists, of which a query probes 2."""
    public = [add_story(archive, title, lang, [(0.0, 4.0, text)], community="Zgorzelec")
              for title, lang, text in FLOODS]
    meaning.index(archive)
    told = meaning._memory.blocks(archive, meaning.searched())[0].matrix
    for n in range(PRIVATE_STORIES):
        add_story(archive, f"Private {n}", "en", [(i * 4.0, i * 4.0 + 4.0, f"line {i} of {n}") for i in range(LINES)],
                  visibility="private", community="Görlitz")
    todo = rows.unindexed(archive, meaning.model(), limit=PRIVATE_STORIES * LINES)
    rng = np.random.default_rng(7)
    # every other one about floods, the rest each about what one of the public passages tells
    about = np.where(np.arange(len(todo)) % 2 == 0, 0, 1 + rng.integers(0, len(told), len(todo)))
    noise = rng.standard_normal((len(todo), rows.DIMENSIONS))
    noise *= rng.uniform(0.2, 0.6, (len(todo), 1)) / np.linalg.norm(noise, axis=1, keepdims=True)
    made = np.stack([flood, *told])[about] + noise
    made /= np.linalg.norm(made, axis=1, keepdims=True)
    assert rows.store(archive, meaning.model(), zip(todo, made)) == len(todo)
    exact = {(who, text): meaning.nearest(archive, text, Viewer.anonymous() if who == "anyone" else KEEPER)
             for who in ("anyone", "keeper") for text in ("flood", "inundação")}
    kindred = {story: meaning.kindred(archive, story, Viewer.anonymous()) for story in public}
    monkeypatch.setattr(lists, "EXACT_UP_TO", 0)
    monkeypatch.setattr(lists, "PROBES", 2)
    monkeypatch.setattr(lists, "PROBED", 0.0)
    meaning._memory.forget()
    block = meaning._memory.blocks(archive, meaning.searched())[0]
    assert block.lists is not None and len(block.lists.centroids) == 42
    yield public, exact, kindred
    meaning._memory.forget()


def _same(found, exact) -> bool:
    """The same passages in the same order, each score equal but for float32 sums taken in
    another order."""
    return [h.segment_id for h in found] == [h.segment_id for h in exact] \
        and np.allclose([h.score for h in found], [h.score for h in exact], atol=1e-5)


@pytest.mark.slow
def test_a_visitor_finds_by_lists_the_public_passages_the_exact_search_finds(archive, crowded):
    public, exact, _ = crowded
    for text in ("flood", "inundação"):
        assert {h.story_id for h in exact["anyone", text]} == set(public)
        assert _same(meaning.nearest(archive, text, Viewer.anonymous()), exact["anyone", text])


@pytest.mark.slow
def test_a_search_filtered_to_one_community_finds_its_stories_by_meaning(archive, crowded):
    public, _, _ = crowded
    # the keeper sees every story; the filter leaves the three public ones
    found = FTSBackend(archive).search(SearchQuery("inundação", KEEPER, community="Zgorzelec"))
    assert found.by_words == 0 and {s.story_id for s in found.stories} == set(public)
    assert all(m.why == ("meaning",) for s in found.stories for m in s.moments)
    # a visitor's search too, unfiltered
    assert {s.story_id for s in FTSBackend(archive).search(SearchQuery("inundação", Viewer.anonymous())).stories} \
        == set(public)


@pytest.mark.slow
def test_others_lived_this_too_finds_the_public_stories_by_lists(archive, crowded):
    public, _, kindred = crowded
    assert any(kindred.values())
    for story in public:
        assert _same(meaning.kindred(archive, story, Viewer.anonymous()), kindred[story])


@pytest.mark.slow
def test_a_viewer_who_may_see_every_story_probes_the_same_lists_as_before(archive, crowded):
    block = meaning._memory.blocks(archive, meaning.searched())[0]
    flood = encoding.encode(["flood"], query=True)[0]
    held = np.diff(block.lists.offsets)
    plain, asked = block.lists.chosen(flood)
    assert len(plain) == 2 and sorted(block.lists.chosen(flood, held=held)[0]) == sorted(plain)
    # and so finds the private passages closest, not the exact search's (an approximate search)
    found = meaning.nearest(archive, "flood", KEEPER)
    assert found and not {h.story_id for h in found} & set(crowded[0])


@pytest.mark.parametrize("stories_seen, by_lists", [(40, True), (2, False)])
def test_the_rows_compared_are_as_many_of_the_viewers_as_a_keeper_compares(stories_seen, by_lists):
    rng = np.random.default_rng(3)
    matrix = rng.standard_normal((3000, 16)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    order, found = lists.build(matrix)
    block = memory.Block(np.arange(3000), rng.integers(0, 100, 3000), matrix[order], np.zeros(3000), found)
    query = matrix[:3]
    every, seen = np.ones(100, bool), np.zeros(100, bool)
    seen[:stories_seen] = True

    def compared(allowed):
        parts = block.seen(query, allowed, share=0.05)
        return [sum(int(allowed[block.stories[at]].sum()) for at, who in parts if q in who) for q in range(3)], parts

    keepers, keeper_parts = compared(every)
    theirs, parts = compared(seen)
    rows_read = [sum(len(block.ids[at]) for at, _ in p) for p in (keeper_parts, parts)]
    assert all(isinstance(at, slice) for at, _ in parts) == by_lists
    if by_lists:
        # a visitor who may see 40 of 100 stories: the closest lists until they hold as
        # many of theirs as the keeper's hold rows, more lists than the keeper's, not all
        assert all(t >= k for t, k in zip(theirs, keepers)) and rows_read[0] < rows_read[1] < 3000
    else:
        # 2 of 100: their rows, every one (fewer than the lists would compare)
        assert theirs == [int(seen[block.stories].sum())] * 3 and rows_read[1] < rows_read[0]


def test_each_query_goes_on_to_its_next_lists_until_they_hold_what_its_closest_hold():
    centroids = np.eye(6, dtype=np.float32)
    found = lists.Lists(centroids, np.arange(7) * 10)  # ten rows a list
    query = np.array([[6, 5, 4, 3, 2, 1], [1, 2, 3, 4, 5, 6]], np.float32)
    held = np.array([10, 2, 3, 9, 0, 10])
    chosen, asked = found.chosen(query, 2, held)
    # each query's two closest hold 20 rows: the first's 12 to be found, on to 2 and 3 (24);
    # the second's 10, on to 3 (19) and 2 (22)
    assert chosen[asked == 0].tolist() == [0, 1, 2, 3]
    assert chosen[asked == 1].tolist() == [5, 4, 3, 2]
    # never past the last list
    assert found.chosen(query, 2, np.zeros(6, np.int64))[0].tolist() == [0, 1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 0]
