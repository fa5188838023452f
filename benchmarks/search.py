"""Uncached word search at scale, beside a bare SQLite FTS5 query on the same database.

    python benchmarks/search.py                       # 200,000 segments
    python benchmarks/search.py --segments 1000000    # and a million
    python benchmarks/search.py --segments 200000 --keep /tmp/bench.db   # keep the archive
    python benchmarks/search.py --reuse /tmp/bench.db --fused   # again on it, and the fused search
    python benchmarks/search.py --reuse /tmp/bench.db --cold read   # as a server just started (Linux, root)

Builds, in a temporary folder and from a fixed seed, an archive of synthetic but
realistic multilingual stories (sentences of each language's stop words and of real and
made-up content words, drawn with Zipf frequencies; an English line beside each
non-English one), inserted as the archive saves a transcript (``word_index.insert_segments``,
20,000 segments a transaction) so that the archive's own triggers index them: the indexing
rate is segments per second through those triggers (the words index), then with the
merge of the words index's b-trees that the worker makes after a story. The stories are
then given themes at random and the shipped vocabulary is installed, as in any archive
that has tagged a story: every query is matched against its trigger words, and a query
that names a theme reaches the stories tagged with it; and each segment its words' times,
as a transcript has them (a moment starts where its first matched word is said). Then
each kind of query is asked once per query (every one different, as most real searches
are; the answer cache is not used) by an anonymous visitor (public stories only), and timed, and
the same words are asked of a bare FTS5 top-20 query (``ORDER BY rank LIMIT 20`` on
a plain FTS5 index of the same texts, made after the indexing is timed). The kinds are
the issue's, and since 2026-12-06 the first four letters of a word typed with ``*``
(against FTS5's own prefix query).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storyatlas import meaning  # noqa: E402  (first: it sets how numpy's threads wait)
from storyatlas.archive import Archive, Viewer, held, vectors, word_index  # noqa: E402
from storyatlas.search import SearchQuery, known_words  # noqa: E402
from storyatlas.search.fts import FTSBackend  # noqa: E402
from storyatlas.search.query import parse  # noqa: E402
from storyatlas.settings import Settings  # noqa: E402
from storyatlas.themes import meaning as encoder, store  # noqa: E402

import numpy as np  # noqa: E402, I001

SEED = 20260314
SEGMENTS_PER_STORY = 40

# stop words (most said first) and real content words per language
WORDS = {
    "en": ("the and i to a of was in we it that my he there they had she with for on but were at when "
           "so our all his her not from".split(),
           "water flood cellar house river village mother father family school war work children street "
           "night morning winter summer bread farm factory church friends neighbours boat bridge rain "
           "field money train border town sandbags soup dam garden kitchen teacher soldier hospital".split()),
    "de": ("und die der ich das wir war es in zu den nicht mit sie ein dann auf so hat wie auch eine "
           "aber noch als uns".split(),
           "Wasser Hochwasser Keller Kellern Haus Fluss Dorf Mutter Vater Familie Schule Krieg Arbeit "
           "Kinder Straße Straßen Nacht Morgen Winter Sommer Brot Bauernhof Fabrik Kirche Freunde "
           "Nachbarn Boot Brücke Regen Überschwemmung Überschwemmungen Sandsäcke Damm Garten Küche "
           "Lehrer Soldat Krankenhaus Grenze".split()),
    "fr": ("de la le et je à les des on il en un une que nous était dans pas pour qui ma mon mais "
           "avec sur".split(),
           "eau inondation inondations cave maison rivière village mère père famille école guerre travail "
           "enfants rue nuit matin hiver été pain ferme usine église amis voisins bateau pont pluie sœur "
           "frère digue jardin cuisine soldat hôpital frontière".split()),
    "pl": ("i w się nie na to z że było jak do my a ale o tak po już mnie jest od za co".split(),
           "woda wody wodą powódź powodzi powodzią piwnica piwnicy piwnicę dom domu wieś matka ojciec "
           "rodzina rodziny szkoła wojna praca dzieci ulica ulicy noc rano zima lato chleb gospodarstwo "
           "fabryka kościół przyjaciele sąsiedzi łódź most deszcz Łódź wał ogród kuchnia żołnierz szpital".split()),
    "es": ("de la que el y en a los se no las un por con una mi su para como pero lo del".split(),
           "agua inundación inundaciones sótano casa río pueblo madre padre familia escuela guerra "
           "trabajo niños calle noche mañana invierno verano pan granja fábrica iglesia amigos vecinos "
           "barco puente lluvia presa huerto cocina maestro soldado hospital frontera".split()),
    "it": ("di e che il la a non per un in è era mi con ma una si le lo del da ci".split(),
           "acqua alluvione alluvioni cantina casa fiume paese madre padre famiglia scuola guerra lavoro "
           "bambini strada notte mattina inverno estate pane fattoria fabbrica chiesa amici vicini barca "
           "ponte pioggia diga orto cucina maestro soldato ospedale confine".split()),
}
LANGUAGE_SHARE = {"en": 0.25, "de": 0.2, "fr": 0.15, "pl": 0.15, "es": 0.15, "it": 0.1}
COUNTRIES = {"en": "GB", "de": "DE", "fr": "FR", "pl": "PL", "es": "ES", "it": "IT"}
MADE_UP = 20_000  # made-up content words per language: the long tail of names and rare words
_SYLLABLES = "ka lo mi ne ru ta sel bar vin dor pel gro sta mek lun fi zo ber wal tra ".split()


class Language:
    def __init__(self, lang: str, rng: random.Random) -> None:
        self.lang = lang
        stop, real = WORDS[lang]
        made_up = set()
        while len(made_up) < MADE_UP:
            made_up.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) + lang[0])
        self.stop = stop
        self.content = real + sorted(made_up)
        rng.shuffle(self.content)
        # the real words among the most said
        self.content = real + [w for w in self.content if w not in real]
        self.stop_weights = _cumulative(len(self.stop), 1.0)
        self.content_weights = _cumulative(len(self.content), 1.07)

    def sentence(self, rng: random.Random) -> str:
        n = rng.randint(8, 18)
        words = []
        for _ in range(n):
            if rng.random() < 0.45:
                words.append(rng.choices(self.stop, cum_weights=self.stop_weights)[0])
            else:
                words.append(rng.choices(self.content, cum_weights=self.content_weights)[0])
        words[0] = words[0][:1].upper() + words[0][1:]
        return " ".join(words) + "."


def _cumulative(n: int, s: float) -> list[float]:
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / rank ** s
        out.append(total)
    return out


def build(archive: Archive, segments: int, rng: random.Random) -> tuple[float, dict[str, Language]]:
    """Insert the stories and segments; returns seconds spent inserting segments."""
    languages = {lang: Language(lang, rng) for lang in WORDS}
    english = languages["en"]
    c = archive.conn
    stories = segments // SEGMENTS_PER_STORY
    langs = rng.choices(list(LANGUAGE_SHARE), weights=list(LANGUAGE_SHARE.values()), k=stories)
    c.execute("BEGIN")
    for sid, lang in enumerate(langs, 1):
        visibility = rng.choices(["public", "community", "private"], weights=[85, 10, 5])[0]
        c.execute("""INSERT INTO stories (id, title, language, languages, country, community, visibility,
                     recorded_on, review_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'published')""",
                  (sid, f"Story {sid}", lang, json.dumps([lang]), COUNTRIES[lang], f"Place {rng.randint(1, 300)}",
                   visibility, str(rng.randint(1950, 2025))))
        c.execute("""INSERT INTO transcripts (id, story_id, task, language, model, options, versions)
                     VALUES (?, ?, 'transcribe', ?, 'bench', '{}', '{}')""", (sid, sid, lang))
    c.execute("COMMIT")
    rows = []
    for sid, lang in enumerate(langs, 1):
        speaker = languages[lang]
        for idx in range(SEGMENTS_PER_STORY):
            text = speaker.sentence(rng)
            text_en = None if lang == "en" else english.sentence(rng)
            rows.append((sid, sid, idx, idx * 6.0, idx * 6.0 + 5.5, text, text_en, None, None, lang, 0))
    took = 0.0
    for at in range(0, len(rows), 20_000):
        started = time.perf_counter()
        # as a job saves a transcript: the segments in one statement, then
        # (word_index.refresh, in the archive's transaction) their stories' rows
        with archive.transaction() as t:
            word_index.insert_segments(t, rows[at: at + 20_000])
        took += time.perf_counter() - started
    return took, languages


def merge(archive: Archive) -> tuple[int, float]:
    """The worker's merge of the words index (``word_index.merge``): the b-trees the
    segments' table held, and the seconds it took (0 when it had too few to merge)."""
    btrees = word_index.btrees(archive.conn, "segment_terms")
    started = time.perf_counter()
    steps = word_index.merge(archive.conn)
    return btrees, (time.perf_counter() - started) if steps else 0.0


def bare_index(archive: Archive) -> None:
    """The baseline: a plain FTS5 index of the same texts (porter, folded), made after
    the timing of indexing, as someone would start with SQLite's full-text search."""
    c = archive.conn
    c.execute("""CREATE VIRTUAL TABLE IF NOT EXISTS bare_fts USING fts5(text, text_en, content='segments',
                 content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')""")
    c.execute("INSERT INTO bare_fts(bare_fts) VALUES ('rebuild')")
    c.commit()
    merge_bare(archive)


def merge_bare(archive: Archive) -> None:
    """The baseline's b-trees merged into one, as the worker merges the words index's
    (a rebuild at a million segments left 12): the ratio is then search against the
    same lookup, not against an index kept worse."""
    if word_index.btrees(archive.conn, "bare_fts") > 1:
        archive.conn.execute("INSERT INTO bare_fts(bare_fts) VALUES ('optimize')")


def queries(languages: dict[str, Language], archive: Archive, rng: random.Random, n: int) -> dict[str, list[str]]:
    # drawn from the seed, not by SQLite's random(): the same queries in every run on an archive
    last = archive.conn.execute("SELECT max(id) FROM segments").fetchone()[0]
    drawn = sorted({rng.randint(1, last) for _ in range(n * 4)})
    said = [r[0] for r in archive.conn.execute(
        f"SELECT text FROM segments WHERE id IN ({','.join(map(str, drawn))}) ORDER BY id")]
    rng.shuffle(said)
    picks = list(languages.values())

    every_stop = {w.casefold() for lg in picks for w in lg.stop}

    def content(segment: str) -> list[str]:
        return [w for w in segment.rstrip(".").split() if w.casefold() not in every_stop]

    def misspelled(word: str) -> str:
        vowels = "aeiou"
        i = next((i for i in range(3, len(word)) if word[i] in vowels), len(word) - 1)
        return word[:i] + ("y" if word[i] != "y" else "a") + word[i + 1:]

    kinds: dict[str, list[str]] = {k: [] for k in ("common word", "rare word", "phrase", "three words",
                                                    "misspelling", "accented word", "with stop words")}
    for i in range(n):
        lg = picks[i % len(picks)]
        kinds["common word"].append(lg.content[i % 40])
        kinds["rare word"].append(lg.content[rng.randint(5_000, len(lg.content) - 1)])
        words = said[i].rstrip(".").split()
        at = rng.randint(0, len(words) - 2)
        kinds["phrase"].append(f'"{words[at]} {words[at + 1]}"')
        chosen = content(said[n + i])[:3]
        kinds["three words"].append(" ".join(chosen) if len(chosen) == 3 else " ".join(words[:3]))
        kinds["misspelling"].append(misspelled(lg.content[rng.randint(100, 3000)]))
        accented = [w for lang in ("de", "fr", "pl", "es", "it") for w in WORDS[lang][1]
                    if any(ord(ch) > 127 for ch in w)]
        kinds["accented word"].append(accented[i % len(accented)])
        kinds["with stop words"].append(f"{lg.stop[i % 5]} {lg.content[rng.randint(20, 2000)]} {lg.stop[(i + 2) % 10]}")
    # the first four letters of a word and *, from draws of their own (the other kinds' queries
    # stay those of the runs before this kind); bare: FTS5's own prefix query
    begins = random.Random(SEED + 2)
    kinds["beginning (riv*)"] = [picks[i % len(picks)].content[begins.randint(20, 3000)][:4] + "*"
                                    for i in range(n)]
    return kinds


def _bare(text: str) -> str | None:
    parsed = parse(text)
    if parsed is None:
        return None
    return parsed.plain_fts()


def tag(archive: Archive) -> None:
    """One to three themes for every story, each with two moments as evidence, drawn at
    random (tagging a million segments would take hours: what is timed here is the search
    through them), and the shipped vocabulary; once, when the archive has no themes yet."""
    theme_ids = store.vocabulary(archive).ids()
    c = archive.conn
    if c.execute("SELECT 1 FROM story_themes LIMIT 1").fetchone():
        return
    rng = random.Random(SEED + 1)  # its own draws: the queries stay those of an untagged build
    first = c.execute("SELECT story_id, min(id), count(*) FROM segments GROUP BY story_id").fetchall()
    with archive.transaction() as t:
        for story_id, segment_id, segments in first:
            for theme_id in rng.sample(theme_ids, rng.randint(1, 3)):
                t.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, ?, ?)",
                          (story_id, theme_id, 2.0 + rng.random() * 3))
                t.executemany("""INSERT INTO theme_evidence (story_id, theme_id, segment_id, trigger, side)
                                 VALUES (?, ?, ?, 'bench', 'english')""",
                              [(story_id, theme_id, segment_id + i) for i in rng.sample(range(segments), 2)])


def time_words(archive: Archive) -> None:
    """Each segment's words with their times (spread evenly over it), as the transcriber
    stores them; once, when the archive has none yet."""
    c = archive.conn
    if c.execute("SELECT 1 FROM words LIMIT 1").fetchone():
        return
    last = c.execute("SELECT max(id) FROM segments").fetchone()[0]
    for at in range(0, last + 1, 100_000):
        rows = []
        for segment_id, start, end, text in c.execute(
                "SELECT id, start, end, text FROM segments WHERE id BETWEEN ? AND ?", (at, at + 99_999)):
            said = text.split()
            step = (end - start) / len(said)
            rows += [(segment_id, i, start + i * step, start + (i + 1) * step, f" {w}")
                     for i, w in enumerate(said)]
        with archive.transaction() as t:
            t.executemany("INSERT INTO words (segment_id, idx, start, end, word) VALUES (?, ?, ?, ?, ?)", rows)


def measure(archive: Archive, kinds: dict[str, list[str]]) -> list[tuple[str, float, float, float, float, float]]:
    backend = FTSBackend(archive, known_words.made(Settings().cache))  # as a server has them
    visitor = Viewer()
    c = archive.conn
    # warm the page cache as a running server's is: a few searches of other words (and
    # one misspelled: "did you mean" reads the index's vocabulary once per process, as a
    # server does in the background when it starts)
    for text in ("water", "Wasser", "eau", "woda", "agua", "acqua", "watr"):
        backend.search(SearchQuery(text, visitor, meaning=False))
    out = []
    for kind, texts in kinds.items():
        ours, bare, hits = [], [], []
        for text in texts:
            started = time.perf_counter()
            found = backend.search(SearchQuery(text, visitor, meaning=False))
            ours.append((time.perf_counter() - started) * 1000)
            hits.append(found.total_stories)
            match = _bare(text)
            started = time.perf_counter()
            if match:
                c.execute("SELECT rowid FROM bare_fts WHERE bare_fts MATCH ? ORDER BY rank LIMIT 20",
                          (match,)).fetchall()
            bare.append((time.perf_counter() - started) * 1000)
        out.append((kind, _p(ours, 50), _p(ours, 99), _p(bare, 50), _p(bare, 99), statistics.median(hits)))
    return out


def add_vectors(archive: Archive, rng: random.Random) -> None:
    """A meaning vector for every segment, for timing the fused search: random unit vectors
    (the exact search costs the same whatever they hold; embedding a million segments with
    e5 on two cores would take days: the embedding rate is measured apart)."""
    gen = np.random.default_rng(rng.randrange(2**32))
    c = archive.conn
    rows = c.execute("SELECT id, story_id FROM segments ORDER BY id").fetchall()
    name = meaning.model()
    for at in range(0, len(rows), 50_000):
        part = rows[at:at + 50_000]
        made = gen.standard_normal((len(part), vectors.DIMENSIONS)).astype(np.float32)
        made /= np.linalg.norm(made, axis=1, keepdims=True)
        made = made.astype(np.float16)
        with archive.transaction() as t:
            t.executemany("INSERT INTO segment_vectors (segment_id, story_id, model, vector) VALUES (?, ?, ?, ?)",
                          [(sid, story, name, made[i].tobytes()) for i, (sid, story) in enumerate(part)])


def embedding_rate(languages: dict[str, Language], rng: random.Random, n: int = 512) -> float:
    """Segments a second through the e5 encoder (the meaning index's cost per segment)."""
    picks = list(languages.values())
    texts = [picks[i % len(picks)].sentence(rng) for i in range(n)]
    encoder.encode(texts[:16])  # the model loads once
    started = time.perf_counter()
    for at in range(0, n, meaning.BATCH):
        encoder.encode(texts[at:at + meaning.BATCH])
    return n / (time.perf_counter() - started)


def save_story(archive: Archive, story_id: int, speaker: Language, rng: random.Random, segments: int) -> None:
    """A public story of ``segments`` sentences of ``speaker``'s, saved as a job saves a
    transcript (its words index made in the same transaction)."""
    with archive.transaction() as t:
        t.execute("""INSERT INTO stories (id, title, language, languages, visibility, review_state)
                     VALUES (?, 'New', ?, ?, 'public', 'published')""",
                  (story_id, speaker.lang, json.dumps([speaker.lang])))
        t.execute("""INSERT INTO transcripts (id, story_id, task, language, model, options, versions)
                     VALUES (?, ?, 'transcribe', ?, 'bench', '{}', '{}')""", (story_id, story_id, speaker.lang))
        word_index.insert_segments(t, [(story_id, story_id, i, i * 6.0, i * 6.0 + 5.5, speaker.sentence(rng), None,
                                        None, None, speaker.lang, 0) for i in range(segments)])


def new_story_vectors(archive: Archive, languages: dict[str, Language], rng: random.Random,
                      n: int = 256) -> tuple[float, float]:
    """(segments a second, the same through the encoder alone) for the vectors of a new
    story of ``n`` segments, made by ``meaning.index`` as the worker does after a story:
    the missing ones looked for among every segment of the archive. The story is taken
    out again afterwards."""
    speaker = languages[rng.choice(list(languages))]
    alone = [speaker.sentence(rng) for _ in range(n)]  # other sentences: nothing is served twice
    encoder.encode(alone[:16])
    started = time.perf_counter()
    for at in range(0, n, meaning.BATCH):
        encoder.encode(alone[at:at + meaning.BATCH])
    alone_rate = n / (time.perf_counter() - started)
    c = archive.conn
    sid = c.execute("SELECT max(id) FROM stories").fetchone()[0] + 1
    save_story(archive, sid, speaker, rng, n)
    try:
        started = time.perf_counter()
        made = meaning.index(archive)
        took = time.perf_counter() - started
        assert made == n, f"{made} vectors made for {n} new segments"
    finally:
        with archive.transaction() as t:
            t.execute("DELETE FROM segments WHERE story_id = ?", (sid,))
            t.execute("DELETE FROM transcripts WHERE story_id = ?", (sid,))
            t.execute("DELETE FROM stories WHERE id = ?", (sid,))
    return n / took, alone_rate


def search_after_a_change(archive: Archive, languages: dict[str, Language], rng: random.Random
                          ) -> tuple[float, float]:
    """Seconds of the first meaning search after a new story's vectors are written, and
    of the same search reading every vector again (what each change cost before the
    vectors held in memory followed the log of changes, meaning/memory.py)."""
    visitor = Viewer()
    meaning.nearest(archive, "water", visitor)
    new_story_vectors(archive, languages, rng)
    started = time.perf_counter()
    meaning.nearest(archive, "water", visitor)
    after = time.perf_counter() - started
    meaning._memory.forget()
    started = time.perf_counter()
    meaning.nearest(archive, "water", visitor)
    return after, time.perf_counter() - started


def measure_kindred(archive: Archive, rng: random.Random, n: int = 30) -> tuple[float, float]:
    """p50 and p99 milliseconds of a story page's "others lived this too" (the passages
    of other stories closest to its passages), for ``n`` public stories."""
    public = [r[0] for r in archive.conn.execute("SELECT id FROM stories WHERE visibility = 'public'")]
    took = []
    for story_id in rng.sample(public, min(n, len(public))):
        started = time.perf_counter()
        meaning.kindred(archive, story_id, Viewer(), limit=12)
        took.append((time.perf_counter() - started) * 1000)
    return _p(took, 50), _p(took, 99)


def measure_fused(archive: Archive, kinds: dict[str, list[str]]) -> list[tuple[str, float, float]]:
    backend = FTSBackend(archive, known_words.made(Settings().cache))  # as a server has them
    visitor = Viewer()
    started = time.perf_counter()
    backend.search(SearchQuery("water", visitor))  # the vectors are read into memory once per archive state
    print(f"meaning index read into memory in {time.perf_counter() - started:.1f} s")
    out = []
    for kind, texts in kinds.items():
        took = []
        for text in texts:
            started = time.perf_counter()
            backend.search(SearchQuery(text, visitor))
            took.append((time.perf_counter() - started) * 1000)
        out.append((kind, _p(took, 50), _p(took, 99)))
    return out


def drop_page_cache(path: Path, read: bool) -> None:
    """The archive's pages out of the system's memory, as on a machine just started; with
    ``read``, the file then read as a server reads it as it starts (``held.read_into_memory``)."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
    except OSError as e:
        sys.exit(f"--cold drops the system's page cache, which takes Linux and root: {e}")
    if read:
        started = time.perf_counter()
        size = held.read_into_memory(path)
        print(f"the archive's file read into memory: {size / 1e6:,.0f} MB in {time.perf_counter() - started:.1f} s")
    else:
        print("the system's page cache dropped: the archive is read from disk as the queries ask")


def _p(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, nargs="+", default=[200_000])
    parser.add_argument("--queries", type=int, default=60, help="queries of each kind")
    parser.add_argument("--keep", type=Path, help="build the archive here and keep it")
    parser.add_argument("--fused", action="store_true", help="time the fused search too (adds a vector per segment)")
    parser.add_argument("--reuse", type=Path, help="time the queries on an archive kept before (other queries "
                                                   "than a fresh build's: the random draws differ; the same in "
                                                   "each run on it)")
    parser.add_argument("--cold", choices=["disk", "read"],
                        help="drop the system's page cache first (Linux, as root), as on a machine just started; "
                             "read: then read the archive's file as a server does as it starts")
    args = parser.parse_args()
    for size in args.segments:
        with tempfile.TemporaryDirectory() as tmp:
            path = args.reuse or args.keep or Path(tmp) / "archive.db"
            rng = random.Random(SEED)
            with Archive(path) as archive:
                if args.reuse:
                    languages = {lang: Language(lang, rng) for lang in WORDS}
                    print(f"\n{path}: {archive.conn.execute('SELECT count(*) FROM segments').fetchone()[0]:,} segments")
                    btrees, merged = merge(archive)
                    merge_bare(archive)
                    tag(archive)
                    time_words(archive)
                    if merged:
                        print(f"its words index's {btrees} b-trees merged first, as the worker does after a story "
                              f"({merged:.1f} s)")
                else:
                    took, languages = build(archive, size, rng)
                    btrees, merged = merge(archive)
                    bare_index(archive)
                    tag(archive)
                    time_words(archive)
                    archive.conn.execute("PRAGMA optimize")
                    size_mb = path.stat().st_size / 1e6
                    print(f"\n{size:,} segments ({size // SEGMENTS_PER_STORY:,} stories): indexed at "
                          f"{size / took:,.0f} segments/s through the triggers ({took:.0f} s), "
                          f"database {size_mb:,.0f} MB; then its {btrees} b-trees merged as the worker does "
                          f"after a story ({merged:.1f} s): {size / (took + merged):,.0f} segments/s with it")
                kinds = queries(languages, archive, rng, args.queries)
                if args.cold:
                    drop_page_cache(path, args.cold == "read")
                results = measure(archive, kinds)
                print(f"{'query':<18}{'ours p50':>10}{'p99':>9}{'bare p50':>10}{'p99':>9}{'ratio p50':>11}"
                      f"{'stories':>9}")
                for kind, p50, p99, b50, b99, hits in results:
                    ratio = p50 / b50 if b50 > 0 else float("inf")
                    print(f"{kind:<18}{p50:>10.1f}{p99:>9.1f}{b50:>10.1f}{b99:>9.1f}{ratio:>10.1f}x{hits:>9.0f}")
                print("milliseconds; ours: FTSBackend.search, words only, no answer cache, an anonymous visitor; "
                      "bare: SELECT rowid FROM bare_fts WHERE MATCH ? ORDER BY rank LIMIT 20")
                if args.fused:
                    if not archive.conn.execute("SELECT 1 FROM segment_vectors LIMIT 1").fetchone():
                        add_vectors(archive, rng)
                    print(f"\nembedding: {embedding_rate(languages, rng):,.0f} segments/s through e5-small")
                    fused_results = measure_fused(archive, kinds)
                    print(f"{'fused query':<18}{'p50':>10}{'p99':>9}")
                    for kind, p50, p99 in fused_results:
                        print(f"{kind:<18}{p50:>10.1f}{p99:>9.1f}")
                    print("milliseconds: words and meaning fused (the query encoded, the nearest passages among "
                          "every segment's vector), no answer cache, an anonymous visitor")
                    print("\"others lived this too\" on a story page: p50 {:.0f} ms, p99 {:.0f}".format(
                        *measure_kindred(archive, rng)))
                    # after the searches: the story added and taken out leaves the words index's b-trees
                    made, alone = new_story_vectors(archive, languages, rng)
                    among = archive.conn.execute("SELECT count(*) FROM segments").fetchone()[0]
                    print(f"a new story's vectors made by the indexer among {among:,} segments: {made:,.0f} "
                          f"segments/s, the encoder alone {alone:,.0f} ({made / alone:.2f}x)")
                    after, again = search_after_a_change(archive, languages, rng)
                    print(f"the first meaning search after a new story's vectors: {after * 1000:.0f} ms; reading "
                          f"every vector again, as every change did before: {again:.1f} s")


if __name__ == "__main__":
    main()
