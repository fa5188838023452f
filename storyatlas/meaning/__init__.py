"""Search by meaning, across languages: each segment's text, in the language spoken, and
its English line where it has one, as a multilingual-e5-small vector (the encoder the
themes use), and a query's nearest segments among the stories its reader may see.

Exact search over the vectors held in memory (float32, kept in step with the archive by
``memory``) up to 200,000 segments (300 MB, about 17 ms a query on 2 cores), by lists
above (``lists``). Vectors are made by ``index`` (the worker after each story,
`storyatlas reindex`), not on the ingest path, so a story is found by its words at once
and by meaning a little later. Closeness is read with what says a text's language taken
out of the vectors (``languages``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storyatlas.archive import Archive
from storyatlas.archive import vectors as rows
from storyatlas.archive.policy import Viewer
from storyatlas.errors import SearchError
from storyatlas.meaning import encoding, languages
from storyatlas.meaning import lists as vector_lists
from storyatlas.meaning.memory import Memory, k_mean
from storyatlas.themes import meaning as encoder

BATCH = 64
MIN_SCORE = 0.0
"""The least corrected closeness (below) taken to mean what the query means."""

# e5-small's cosines are crowded (0.70-0.85 for unrelated texts) and some passages sit
# close to everything ("Thank you." scored 0.80-0.84 against every query tried). So
# closeness is corrected as in CSLS (Conneau et al., 2018): 2 cos(q, p) - r(q) - r(p),
# where r(p) is the passage's mean closeness to its 10 nearest theme descriptions (read
# as queries) and r(q) the query's to its 10 nearest background passages. On German,
# Polish and English test sentences, "flood" and "inundação" then scored the flood
# passages -0.01 to 0.04 and every other -0.03 to -0.17: the threshold was set between.
# Measured since on 648 labelled stories (`benchmarks/discovery.py --sets 4 ... 11
# --thresholds`: 204 theme queries, a story relevant when labelled with the theme): from
# -0.015 a query keeps 72 % of its relevant stories in other languages at precision 0.10
# (the base rate is 0.05); precision and recall balance best from 0.01 (0.19 / 0.36), but
# there the rankings lose what they list: recall at 10 of the fused ranking fell from
# 0.156 to 0.146 on those sets, and from 0.310 to 0.264 on the judged sets 1-3 (the
# recordings: the same 50 of 52). Kept at -0.015: a search is read from its top.
# With the languages' directions taken out (``languages``) every closeness across
# languages runs higher: from -0.015 a query kept 94 % of its relevant stories at
# precision 0.070; from 0.0 it keeps 86 % at 0.098, both more than -0.015 kept before
# (81 % at 0.089, the vectors reading the English), so the threshold moved there.


@dataclass(frozen=True)
class MeaningHit:
    segment_id: int
    story_id: int
    score: float
    beside: int | None = None
    """For ``kindred``: the segment of the story asked about that this one is closest to."""


def model() -> str:
    """What made the vectors, stored with each: those made otherwise are made again. Since
    migration 0028 a segment's vector reads its English line too (``index``)."""
    return f"{encoder.model_version()}+english"


def searched() -> tuple[str, ...]:
    """The vectors a search reads: ``model``'s, and those the same encoder made of a line's
    words alone before migration 0028, until ``index`` makes them again. Both are the
    encoder's reading of the line as it is now (a change to its words or its English drops
    its vector). Read only ``model``'s, an upgraded archive found nothing by meaning until
    every line had been encoded again: at the held-apart stories' rate (1,008 passages in
    55 s) about 15 hours for a million."""
    return model(), encoder.model_version()


def index(archive: Archive, progress: Callable[[int, int], None] | None = None, limit: int | None = None) -> int:
    """Make the vectors that are missing (about ``limit`` of them at most); returns how
    many were written."""
    name, written = model(), 0
    # one pass through the segments, each look starting where the last one ended: looked
    # for from the start each time, a new story's missing vectors at the end of a million
    # segments cost 0.8 s of scanning for every batch of 64 (1.1 s to encode). A segment
    # changed behind the pass meanwhile is made by the next call, which its change asks for.
    after = (-1, -1)
    done = total = 0
    if progress:
        done, total = rows.counts(archive, name)
    while limit is None or written < limit:
        todo = rows.unindexed(archive, name, BATCH, after)
        if not todo:
            break
        after = (todo[-1].story_id, todo[-1].idx)
        stored = rows.store(archive, name, zip(todo, _vectors(todo)))
        written += stored
        if progress:
            progress(min(done + written, total), total)
    if written:
        with archive.transaction() as c:
            rows.prune_changes(c)
    return written


def _vectors(todo: list[rows.Unindexed]) -> np.ndarray:
    """Each segment's meaning: of its words, and where it has an English line, the mean of
    the two (made unit length again). e5-small brings a query closer to a passage in
    English than in the language it was said in: on 72 queries about one moment of a
    held-apart story, each in another language than the story's, meaning alone put the
    story first for 10 by its words' vectors, for 27 with its English beside them (the
    stories' translations written by people); on the 52 queries of the real recordings,
    Whisper's English, for 39 and 43 (``benchmarks/discovery.py --moments``,
    ``benchmarks/recordings_discovery.py``). A translation that lost what was said (a
    German dam and its floods as "the sediments were distributed to the state") still
    brought "flood" closer than the words alone."""
    english = [(i, said) for i, s in enumerate(todo) if (said := s.english)]
    made = encoding.encode([s.said for s in todo] + [text for _, text in english])
    vectors = made[:len(todo)].astype(np.float32)
    if english:
        at = [i for i, _ in english]
        vectors[at] += made[len(todo):]
        vectors[at] /= np.linalg.norm(vectors[at], axis=1, keepdims=True)
    return vectors


_memory = Memory()


def warm(path: Path) -> None:
    """Read the archive's vectors in the background, as a server starts."""
    _memory.warm(path, searched())


def nearest(archive: Archive, query: str, viewer: Viewer, limit: int = 50,
            min_score: float = MIN_SCORE, within: np.ndarray | None = None) -> list[MeaningHit]:
    """The segments closest in meaning to ``query``, best first, from stories the viewer
    may see only; ``within``: the ids of those stories (the policy and any filters),
    when the caller has them already."""
    blocks = [b for b in _memory.blocks(archive, searched()) if len(b.ids)]
    if not blocks or not query.strip():
        return []
    reachable = rows.visible_stories(archive, viewer) if within is None else within
    allowed = _allowed(reachable, max(int(b.stories.max()) for b in blocks))
    q = languages.neutral(encoding.encode([query], query=True))[0]
    r_q = float(k_mean((encoding.loaded(_background) @ q)[None, :])[0])
    ids, stories, scores = [], [], []
    for block in blocks:
        # the rows the viewer may see, chosen before they are compared: the lists closest
        # to the query, probed first and filtered after, held none of a few public stories
        for at, _ in block.seen(q, allowed):
            part = 2 * (block.matrix[at] @ q) - r_q - block.hubness[at]
            # never a hit, whatever the least score asked for
            part[~(block.alive(at) & allowed[block.stories[at]])] = -np.inf
            ids.append(block.ids[at])
            stories.append(block.stories[at])
            scores.append(part)
    if not scores:
        return []
    ids, stories, scores = np.concatenate(ids), np.concatenate(stories), np.concatenate(scores)
    top = np.argpartition(-scores, limit)[:limit] if len(scores) > limit else np.arange(len(scores))
    top = top[np.argsort(-scores[top])]
    return [MeaningHit(int(ids[i]), int(stories[i]), float(scores[i]))
            for i in top if scores[i] >= min_score and scores[i] > -np.inf]


@functools.cache
def _background() -> np.ndarray:
    """The background passages as the held vectors are compared (``languages``)."""
    return languages.neutral(encoder.background_vectors())


def _allowed(reachable: np.ndarray, top: int) -> np.ndarray:
    """A table by story id (up to ``top`` at least) of the stories in ``reachable``:
    numpy.isin sorted the reachable ids again on each call (thousands of calls, one a
    list, for a story's kindred passages)."""
    allowed = np.zeros(max(top, int(reachable.max(initial=0))) + 1, bool)
    allowed[reachable] = True
    return allowed


KINDRED_PASSAGES = 64
"""A story's passages compared with the others' (the first ones, for a long story)."""
KINDRED_MIN = 0.1
"""Passage to passage, the corrected closeness runs higher than query to passage: on the
test sentences the same subject in two languages scored 0.11-0.19 (a dam and a flood,
baking and bread), unrelated ones 0.03-0.09. Measured since on 648 labelled stories (see
MIN_SCORE; kindred when they share a labelled theme): from 0.1 precision 0.081 and
recall 0.83 (the base rate 0.071); the best balance, from 0.14, 0.100 / 0.43. The proxy
is weak (two stories of one theme need not have lived the same thing), the gain small,
and a story page shows the five closest: kept at 0.1."""


def kindred(archive: Archive, story_id: int, viewer: Viewer, limit: int = 5,
            min_score: float = KINDRED_MIN, apart_from: str | None = None,
            other_languages: int = 0, themes_first: bool = False) -> list[MeaningHit]:
    """Passages of other stories the viewer may see closest in meaning to any passage of
    this one, one per story, best first: where others lived the same thing; none when the
    encoder cannot load (the story page is shown without them). ``apart_from``: a
    community whose stories are left out before the closest are taken (the story's own:
    taken after, a dozen of its own stories hid every other place's). ``other_languages``:
    how many are first the closest told in another language than this story's, best
    first, before the closest of the rest. A passage is closer to those told in its own
    language: of the five closest to each labelled story held apart, 3 % were told in
    another language and 19 % shared a labelled theme with it; with three taken first from
    other languages 60 % and 26 % (``benchmarks/discovery.py --held-apart --kindred``).
    ``themes_first``: the stories tagged with a theme this one is tagged with come before
    the rest (in either part): then 70 % and 74 %; since the vectors read the English too,
    75 % and 80 % (without: 63 % and 33 %); since the languages' directions are taken out
    (``languages``), 79 % and 81 % (without: 74 % and 35 %; taking none first, 68 % told
    in another language where 39 % were, on the same machine). Closeness alone matched "I lived
    thirty-five years in the same flat" with "for thirty years I thought school wasn't for
    me", a story of housing with one of schools."""
    try:
        blocks = _memory.blocks(archive, searched())
    except SearchError as e:
        encoding.told_once(e)
        return []
    own = [(b, b.rows_of(story_id)) for b in blocks]
    # the first as told: in memory a line corrected since the vectors were read comes after
    # the rest, and by lists every line in its list's place, so which were compared
    # depended on when the process read them
    told = {segment_id: i for i, segment_id in enumerate(rows.story_segments(archive, story_id))}
    first = np.argsort([told.get(int(i), len(told)) for b, at in own for i in b.ids[at]],
                       kind="stable")[:KINDRED_PASSAGES]
    mine = np.concatenate([b.matrix[at] for b, at in own])[first]
    mine_ids = np.concatenate([b.ids[at] for b, at in own])[first]
    if not len(mine):
        return []
    mine_hubness = np.concatenate([b.hubness[at] for b, at in own])[first]
    allowed = _allowed(rows.visible_stories(archive, viewer), max(int(b.stories.max(initial=0)) for b in blocks))
    allowed[story_id] = False
    if apart_from:
        here = rows.told_in(archive, apart_from)
        allowed[here[here < len(allowed)]] = False
    ids, stories, scores, beside = [], [], [], []
    for block in blocks:
        # each passage with its own closest lists (holding rows of the stories allowed: see
        # ``nearest``): the union of forty passages' lists was nearly every vector (1.3-1.8 s
        # at a million segments)
        for at, who in block.seen(mine, allowed, vector_lists.KINDRED_PROBED):
            part = block.matrix[at] @ mine[who].T
            # corrected both ways: a passage's own hubness stands for the query's
            part = 2 * part - block.hubness[at][:, None] - mine_hubness[who][None, :]
            closest = part.argmax(axis=1)
            part = part[np.arange(len(part)), closest]
            kept = np.flatnonzero((part >= min_score) & block.alive(at) & allowed[block.stories[at]])
            ids.append(block.ids[at][kept])
            stories.append(block.stories[at][kept])
            scores.append(part[kept])
            beside.append(mine_ids[np.asarray(who)[closest[kept]]])
    if not scores:
        return []
    ids, stories, scores, beside = (np.concatenate(x) for x in (ids, stories, scores, beside))
    # each story's closest passage, then the stories closest first
    order = np.lexsort((ids, -scores))
    _, first = np.unique(stories[order], return_index=True)
    best = order[first]
    best = best[np.lexsort((stories[best], -scores[best]))]
    if themes_first:
        shares = np.isin(stories[best], rows.sharing_a_theme(archive, story_id))
        best = np.concatenate([best[shares], best[~shares]])
    if other_languages:
        elsewhere = best[~np.isin(stories[best], rows.told_in_language_of(archive, story_id))][:other_languages]
        best = np.concatenate([elsewhere, best[~np.isin(best, elsewhere)]])
    return [MeaningHit(int(ids[i]), int(stories[i]), float(scores[i]), int(beside[i])) for i in best[:limit]]
