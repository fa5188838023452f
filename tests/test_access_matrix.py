"""The access matrix: one archive with a story in every state, eight real accounts signed
in through the web app, and every output of the web app checked for every (viewer, story)
pair. What a viewer may see must be there; of every other story not one of its words may
appear in any answer, and its pages, exports and media answer exactly like a story that
does not exist.

The expectation is written out below as a table, from the rules in the docstring of
``storyatlas/archive/policy.py``, not computed by the policy module.
"""

from __future__ import annotations

import contextlib
import datetime
import random
import re
from collections import Counter
from dataclasses import dataclass, field

import pytest
from starlette.testclient import TestClient

from storyatlas.archive import (
    Archive,
    MediaFile,
    Place,
    StoryMetadata,
    Viewer,
    accounts,
    consent,
)
from storyatlas import stems
from storyatlas.archive.erasure import erase
from storyatlas.archive.redaction import MARK
from storyatlas.ingest import ingest_file
from storyatlas.ingest.redact import redact
from storyatlas.search import FACETS
from storyatlas.settings import Settings
from storyatlas.themes import store
from storyatlas.themes.tagger import EntityTag, Evidence, Tagging, ThemeTag
from storyatlas.transcribe import Transcript, TranscriptSegment
from storyatlas.web.app import create_app
from tests.conftest import story_file

KEEPER = Viewer.keeper("matrix keeper")
PASSWORD = "a long enough password"
A, B = "Zgorzelec", "Porto"
THEME = "floods"
COMMON = "atlasvok"  # said in every story: a search for it finds every story one may see
MISSING = 987654  # a story number that never exists
FUTURE = (datetime.date.today() + datetime.timedelta(days=400)).isoformat()

VIEWERS = ("anonymous", "member_a", "member_b", "researcher", "volunteer", "moderator_a", "moderator_b", "admin")
ROLES = {
    "member_a": [("member", A)], "member_b": [("member", B)], "researcher": [("researcher", None)],
    "volunteer": [("volunteer", None)], "moderator_a": [("moderator", A)], "moderator_b": [("moderator", B)],
    "admin": [("admin", None)],
}

# Each story: its state, and where it stands for similar stories: the hub names the four
# anchors, each anchor names its group (members share two named places with their anchor).
STORIES = {
    "hub": {"visibility": "public", "names": ("Hubmoor",)},
    "public": {"visibility": "public", "collection": "Oral Histories",
               "names": ("Hubmoor", "Ashgrove", "Ashfield")},
    "embargo_past": {"visibility": "public", "embargo_until": "2001-02-03", "storyteller_naming": "first",
                     "names": ("Hubmoor", "Birchgrove", "Birchfield")},
    "redacted": {"visibility": "public", "media": "de", "names": ("Hubmoor", "Cedargrove", "Cedarfield")},
    "elder": {"visibility": "public", "names": ("Hubmoor", "Dunegrove", "Dunefield")},
    "waiting_a": {"community": A, "visibility": "private", "requested_visibility": "public",
                  "names": ("Ashgrove", "Ashfield")},
    "waiting_b": {"community": B, "visibility": "private", "requested_visibility": "community",
                  "names": ("Birchgrove", "Birchfield")},
    # declined by a moderator, then made public by one: it stays declined
    "declined": {"community": B, "visibility": "private", "requested_visibility": "public", "decline": True,
                 "names": ("Cedargrove", "Cedarfield")},
    "community_a": {"community": A, "visibility": "community", "names": ("Birchgrove", "Birchfield")},
    # published for its community, then its teller asked for everyone: it keeps its audience
    # while a moderator decides, and after one declines
    "widening_a": {"community": A, "visibility": "community", "asks": "public",
                   "names": ("Dunegrove", "Dunefield")},
    "widening_declined_b": {"community": B, "visibility": "community", "asks": "public", "decline_widening": True,
                            "names": ("Ashgrove", "Ashfield")},
    # asked to move from its community to researchers: heard by neither while it waits
    "moving_a": {"community": A, "visibility": "community", "asks": "researchers",
                 "names": ("Birchgrove", "Birchfield")},
    "community_b": {"community": B, "visibility": "community", "names": ("Ashgrove", "Ashfield")},
    "collection_a": {"collection": A, "visibility": "community", "names": ("Cedargrove", "Cedarfield")},
    "research": {"visibility": "researchers", "collection": "Oral Histories", "names": ("Ashgrove", "Ashfield")},
    "research_a": {"community": A, "visibility": "researchers", "names": ("Dunegrove", "Dunefield")},
    "private": {"visibility": "private", "media": "en", "names": ("Birchgrove", "Birchfield")},
    "embargoed": {"community": B, "visibility": "public", "embargo_until": FUTURE,
                  "names": ("Cedargrove", "Cedarfield")},
    "withdrawn": {"visibility": "public", "erase": True, "names": ("Dunegrove", "Dunefield")},
}
ANCHORS = {"public": "Ashgrove", "embargo_past": "Birchgrove", "redacted": "Cedargrove", "elder": "Dunegrove"}


def _table(text: str) -> dict[str, frozenset[str]]:
    rows = {}
    for line in text.strip().splitlines():
        key, *marks = line.split()
        assert len(marks) == len(VIEWERS), line
        rows[key] = frozenset(v for v, m in zip(VIEWERS, marks) if m == "x")
    assert set(rows) == set(STORIES)
    return rows


# who sees which story, by the rules in policy.py's docstring
#                 anonymous member_a member_b researcher volunteer moderator_a moderator_b admin
SEES = _table("""
hub               x  x  x  x  x  x  x  x
public            x  x  x  x  x  x  x  x
embargo_past      x  x  x  x  x  x  x  x
redacted          x  x  x  x  x  x  x  x
elder             x  x  x  x  x  x  x  x
waiting_a         .  .  .  .  .  x  .  x
waiting_b         .  .  .  .  .  .  x  x
declined          .  .  .  .  .  .  x  x
community_a       .  x  .  .  .  x  .  x
widening_a        .  x  .  .  .  x  .  x
widening_declined_b .  .  x  .  .  .  x  x
moving_a          .  .  .  .  .  x  .  x
community_b       .  .  x  .  .  .  x  x
collection_a      .  x  .  .  .  x  .  x
research          .  .  .  x  .  .  .  x
research_a        .  .  .  x  .  x  .  x
private           .  .  .  .  .  .  .  x
embargoed         .  .  .  .  .  .  x  x
withdrawn         .  .  .  .  .  .  .  .
""")
# who looks after which story (the moderators' pages for one story)
MODERATES = _table("""
hub               .  .  .  .  .  .  .  x
public            .  .  .  .  .  .  .  x
embargo_past      .  .  .  .  .  .  .  x
redacted          .  .  .  .  .  .  .  x
elder             .  .  .  .  .  .  .  x
waiting_a         .  .  .  .  .  x  .  x
waiting_b         .  .  .  .  .  .  x  x
declined          .  .  .  .  .  .  x  x
community_a       .  .  .  .  .  x  .  x
widening_a        .  .  .  .  .  x  .  x
widening_declined_b .  .  .  .  .  .  x  x
moving_a          .  .  .  .  .  x  .  x
community_b       .  .  .  .  .  .  x  x
collection_a      .  .  .  .  .  x  .  x
research          .  .  .  .  .  .  .  x
research_a        .  .  .  .  .  x  .  x
private           .  .  .  .  .  .  .  x
embargoed         .  .  .  .  .  .  x  x
withdrawn         .  .  .  .  .  .  .  .
""")
WAITING = {"waiting_a", "waiting_b", "widening_a", "moving_a"}

# invented words: eight letters, no two alike, none a stem the index would shorten
_CONSONANTS, _VOWELS, _ENDINGS = "bdfgklmnprtvz", "aiou", "kxpb"
_FIRST = "bcdfghjklmnpqrstvwxz"  # a first letter of its own for each spoken word ("did you mean")


@dataclass
class Words:
    title: str
    text: str
    """Spoken in the story (its original transcript)."""
    english: str
    region: str
    first_name: str
    last_name: str
    hidden: tuple[str, ...] = ()
    """Words of the story no one may ever be shown (redacted, or a name its teller withheld)."""

    def shown(self) -> dict[str, str]:
        """What any answer showing the story may show, by kind."""
        shown = {"title": self.title, "text": self.text, "english": self.english, "region": self.region,
                 "storyteller": self.first_name, "storyteller surname": self.last_name}
        return {kind: word for kind, word in shown.items() if word not in self.hidden}


def _invent(rng: random.Random, taken: set[str], first: str | None = None) -> str:
    # consonant, vowel, consonant, vowel, consonant, vowel, consonant, ending
    while True:
        word = (first or rng.choice(_CONSONANTS)) + "".join(
            rng.choice(_VOWELS) + rng.choice(_CONSONANTS) for _ in range(3)) + rng.choice(_ENDINGS)
        if word not in taken:
            taken.add(word)
            return word


def _misspelled(word: str) -> str:
    """One vowel changed: close enough for "did you mean"."""
    return word[:3] + next(v for v in _VOWELS if v != word[3]) + word[4:]


def _words() -> dict[str, Words]:
    rng, taken, firsts = random.Random(20260314), {COMMON}, iter(_FIRST)
    out = {}
    for key, spec in STORIES.items():
        title, text = _invent(rng, taken), _invent(rng, taken, next(firsts))
        w = Words(title, text, *(_invent(rng, taken) for _ in range(4)))
        if key == "redacted":
            w.hidden = (_invent(rng, taken, next(firsts)), _invent(rng, taken))
        if spec.get("storyteller_naming") == "first":
            w.hidden = (*w.hidden, w.last_name)
        out[key] = w
    every = [word for w in out.values() for word in (w.title, w.text, w.english, w.region, w.first_name,
                                                      w.last_name, *(h for h in w.hidden if h != w.last_name))]
    assert len(set(every)) == len(every) and all(len(word) == 8 for word in every)
    assert not {_misspelled(word) for word in every} & taken
    return out


def _attributes() -> dict[str, dict[str, str | None]]:
    """Community, country, language and year of each story."""
    countries = iter(["DE", "FR", "ES", "IT", "NL", "BE", "AT", "CZ", "SE", "DK", "NO", "FI", "IE"])
    languages = iter(["de", "fr", "es", "it", "nl", "cs", "sv", "da", "fi", "ga", "de", "fr", "es"])
    out = {}
    for n, (key, spec) in enumerate(STORIES.items()):
        community = spec.get("community") or f"Village{n}"
        country, language = {A: ("PL", "pl"), B: ("PT", "pt")}.get(community) or (next(countries), next(languages))
        out[key] = {"community": community, "country": country, "language": language, "year": str(1950 + n),
                    "collection": spec.get("collection")}
    return out


WORDS = _words()
ATTRS = _attributes()


@dataclass
class World:
    settings: Settings
    ids: dict[str, int]
    clients: dict[str, TestClient]
    teller_token: str
    app: object = None
    listen: set[str] = field(default_factory=set)
    """Stories with a listening copy on disk."""


def _transcribe(archive: Archive, story_id: int, language: str, lines: list[tuple]) -> None:
    segments = tuple(TranscriptSegment(start, end, text) for start, end, text, _ in lines)
    archive.save_transcription(story_id, Transcript("transcribe", language, 0.99, lines[-1][1], segments, "hand"),
                               None, [english for *_, english in lines])


def _build(settings: Settings) -> tuple[dict[str, int], str]:
    ids, token = {}, ""
    with Archive(settings.database) as archive:
        store.vocabulary(archive)  # the themes to tag with
        for n, (key, spec) in enumerate(STORIES.items()):
            w, attrs = WORDS[key], ATTRS[key]
            language = attrs["language"]
            meta = StoryMetadata(
                title=w.title.capitalize(), collection=spec.get("collection"),
                place=Place(attrs["community"], w.region.capitalize(), attrs["country"]),
                recorded_on=f"{attrs['year']}-05-01",
                storyteller=f"{w.first_name.capitalize()} {w.last_name.capitalize()}",
                visibility=spec["visibility"], requested_visibility=spec.get("requested_visibility"),
                embargo_until=spec.get("embargo_until"), storyteller_naming=spec.get("storyteller_naming", "full"))
            lines = [(0.5, 4.0, f"{COMMON} {w.text}", w.english)]
            if key == "redacted":
                lines.append((6.0, 9.0, f"then {w.hidden[0]}", f"then {w.hidden[1]}"))
            if spec.get("media"):
                result = ingest_file(archive, story_file(spec["media"]), meta, settings, KEEPER)
                story_id, job_id = result.story_id, result.job_id
                if key == "private":
                    token = result.teller_token
            else:
                sha = f"{n:064x}"
                story_id, job_id = archive.create_story(
                    meta, [MediaFile("original", sha, f"originals/{sha}.ogg", "ogg", "opus", False, 1, 9.0, "x.ogg")],
                    lines[-1][1])
            _transcribe(archive, story_id, language, lines)
            archive.finish_job(job_id, "done")
            store.save_tagging(archive, story_id, Tagging(
                (ThemeTag(THEME, 0.9, (Evidence(0, "flood", "original"),)),),
                tuple(EntityTag(0, "place", name, None, name) for name in spec["names"]), "matrix"))
            if spec.get("decline"):
                archive.review(story_id, publish=False, viewer=KEEPER)
                # a moderator may still widen a declined story's consent; it stays declined
                consent.change(archive, story_id, consent.Consent(visibility="public"), KEEPER)
            if spec.get("asks"):
                consent.change(archive, story_id, consent.Consent(visibility=spec["asks"]), Viewer.teller(story_id))
                if spec.get("decline_widening"):
                    archive.review(story_id, publish=False, viewer=KEEPER)
            ids[key] = story_id
        redact(archive, settings.media_dir, ids["redacted"], 6.0, 9.0, KEEPER)
        for key in (k for k, spec in STORIES.items() if spec.get("erase")):
            erase(archive, settings.media_dir, ids[key], KEEPER.label(), "withdrawn by the storyteller")
        for name, roles in ROLES.items():
            accounts.add_user(archive, name, PASSWORD, roles, KEEPER)
        # the states the table is about
        row = archive.conn.execute("SELECT visibility, declined, requested_visibility FROM stories WHERE id = ?",
                                   (ids["declined"],)).fetchone()
        assert tuple(row) == ("public", 1, None)
        for key, state in (("widening_a", ("community", 0, "public")), ("widening_declined_b", ("community", 0, None)),
                           ("moving_a", ("community", 0, "researchers"))):
            row = archive.conn.execute("SELECT visibility, declined, requested_visibility FROM stories WHERE id = ?",
                                       (ids[key],)).fetchone()
            assert tuple(row) == state, key
        assert archive.conn.execute("SELECT text FROM segments WHERE story_id = ? ORDER BY idx",
                                    (ids["redacted"],)).fetchall()[1][0] == MARK
        # every spoken word is a term of the index as it is (so "did you mean" can offer it)
        archive.conn.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, segment_terms, row)")
        terms = {r[0] for r in archive.conn.execute("SELECT term FROM temp.v")}
        for key, w in WORDS.items():
            if key != "withdrawn":
                said = {stems.term(w.text.casefold(), stems.language_key(ATTRS[key]["language"])),
                        stems.term(w.english.casefold(), "en")}
                assert said <= terms, key
    return ids, token


def _sign_in(client: TestClient, name: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"csrf_token": token, "name": name, "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture(scope="module")
def world(tmp_path_factory, model_cache):
    settings = Settings(archive=tmp_path_factory.mktemp("matrix") / "archive", cache=model_cache, model="tiny.en",
                        allowed_hosts=("testserver",))
    ids, token = _build(settings)
    app = create_app(settings)
    with contextlib.ExitStack() as stack:
        clients = {}
        for name in VIEWERS:
            clients[name] = stack.enter_context(TestClient(app, base_url="http://testserver"))
            clients[name].get("/")  # the CSRF cookie, as a browser has it
            if name != "anonymous":
                _sign_in(clients[name], name)
        yield World(settings, ids, clients, token, app=app, listen={"redacted", "private"})


class Check:
    """The checks of one viewer; every problem found is kept, so one run reports them all."""

    def __init__(self, world: World, viewer: str) -> None:
        self.world, self.viewer = world, viewer
        self.client = world.clients[viewer]
        self.sees = {key for key in STORIES if viewer in SEES[key]}
        self.problems: list[str] = []
        self._missing: dict[str, object] = {}

    def problem(self, text: str) -> None:
        self.problems.append(f"{self.viewer}: {text}")

    def id(self, key: str) -> int:
        return self.world.ids[key]

    def forbidden(self, allowed: set[str]) -> list[tuple[str, str, str]]:
        """(story, kind, word) that must not appear in an answer showing only ``allowed``."""
        out = []
        for key, w in WORDS.items():
            if key not in allowed:
                out += [(key, kind, word) for kind, word in w.shown().items()]
            out += [(key, "hidden word", word) for word in w.hidden]
        return out

    def get(self, path: str, params: dict | None = None, allowed: set[str] | None = None, echo: tuple = ()):
        """GET, and look for any word of a story the answer may not show."""
        response = self.client.get(path, params=params, follow_redirects=False)
        body = response.content.decode("utf-8", "replace").lower()
        where = path + (f"?{params}" if params else "")
        for key, kind, word in self.forbidden(self.sees if allowed is None else allowed):
            if word not in echo and word in body:
                self.problem(f"{where} leaks the {kind} of story '{key}' ({word})")
        return response

    def expect(self, response, words: dict[str, str], where: str, key: str) -> None:
        body = response.text.lower()
        for kind, word in words.items():
            if word not in body:
                self.problem(f"{where} lacks the {kind} of story '{key}' ({word}), which it should show")

    def status(self, response, wanted: int, where: str) -> bool:
        if response.status_code != wanted:
            self.problem(f"{where} answered {response.status_code}, not {wanted}: {response.text[:200]}")
            return False
        return True

    def like_missing(self, path: str, key: str) -> None:
        """The answer for this story is exactly the answer for a story that never existed."""
        story_id = self.id(key)
        if path not in self._missing:
            self._missing[path] = self.client.get(path.format(MISSING))
        missing = self._missing[path]
        response = self.get(path.format(story_id))
        where = path.format(story_id) + f" ('{key}')"
        if response.status_code != 404 or missing.status_code != 404:
            self.problem(f"{where} answered {response.status_code}, not 404 like a missing story")
        elif response.text != missing.text.replace(str(MISSING), str(story_id)) or \
                response.headers.get("content-type") != missing.headers.get("content-type"):
            self.problem(f"{where} answers differently from a story that does not exist: {response.text[:300]}")

    def count(self, response, pattern: str, wanted: int, where: str) -> None:
        found = re.search(pattern, response.text)
        if found is None:
            self.problem(f"{where}: no count matching {pattern!r}")
        elif int(found.group(1)) != wanted:
            self.problem(f"{where} counts {found.group(1)}, not {wanted}")


def _facets(keys: set[str]) -> dict[str, dict[str, int]]:
    """The search facets of these stories, from what they were made with."""
    counts: dict[str, Counter] = {name: Counter() for name in FACETS}
    for key in keys:
        values = {**ATTRS[key], "theme": THEME, "region": WORDS[key].region.capitalize(),
                  # a story sent for review stays a draft until a moderator publishes it
                  "review_state": "draft" if STORIES[key].get("requested_visibility") else "published"}
        for name in FACETS:
            if values[name]:
                counts[name][values[name]] += 1
    return {name: dict(c) for name, c in counts.items()}


def _similar_ids(page: str) -> set[int]:
    found = re.search(r'<ul class="similar">(.*?)</ul>', page, re.DOTALL)
    if not found:
        return set()
    items = re.findall(r"<li>", found.group(1))
    ids = {int(i) for i in re.findall(r'href="/stories/(\d+)"', found.group(1))}
    assert len(items) == len(ids)
    return ids


def _in_community(key: str, name: str) -> bool:
    spec = STORIES[key]
    return name in (spec.get("community"), spec.get("collection"))


@pytest.mark.slow
@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_output_shows_exactly_what_the_viewer_may_see(world, viewer):
    c = Check(world, viewer)
    sees = c.sees
    n = len(sees)

    # lists and counts --------------------------------------------------------------------
    home = c.get("/")
    c.status(home, 200, "/")
    c.count(home, r"Stories in the archive: (\d+)", n, "/")
    listed = c.get("/api/stories", {"limit": 100}).json()
    if listed["total"] != n or {s["id"] for s in listed["stories"]} != {c.id(k) for k in sees}:
        c.problem(f"/api/stories lists {sorted(s['id'] for s in listed['stories'])} (total {listed['total']}), "
                  f"not {sorted(c.id(k) for k in sees)}")
    by_id = {s["id"]: s for s in listed["stories"]}
    for key in sees:
        w = WORDS[key]
        c.expect(home, {"title": w.title}, "/", key)
        item = str(by_id.get(c.id(key), "")).lower()
        for kind, word in {"title": w.title, "region": w.region, "storyteller": w.first_name}.items():
            if word not in item:
                c.problem(f"/api/stories lacks the {kind} of story '{key}'")

    # search over every story: hits, total, each facet ------------------------------------------
    everything = c.get("/api/search", {"q": COMMON, "limit": 100}).json()
    if everything["total_stories"] != n or {h["story_id"] for h in everything["stories"]} != {c.id(k) for k in sees}:
        c.problem(f"/api/search?q={COMMON} found {sorted(h['story_id'] for h in everything['stories'])} "
                  f"(total {everything['total_stories']}), not {sorted(c.id(k) for k in sees)}")
    facets = {name: {v["value"]: v["count"] for v in values} for name, values in everything["facets"].items()}
    expected = _facets(sees)
    for name, counts in expected.items():
        if facets.get(name) != counts:
            c.problem(f"/api/search facet {name} is {facets.get(name)}, not {counts}")
    # a word of the theme's vocabulary calls up every story told of it, in any language
    themed = c.get("/api/search", {"q": "flood", "limit": 100}).json()
    if themed["total_stories"] != n or {h["story_id"] for h in themed["stories"]} != {c.id(k) for k in sees}:
        c.problem(f"/api/search?q=flood (through the theme) found {sorted(h['story_id'] for h in themed['stories'])}")
    # filters narrow within what the viewer may see
    for name, value in (("community", A), ("collection", "Oral Histories"), ("country", "PT")):
        narrowed = c.get("/api/search", {"q": COMMON, name: value, "limit": 100}).json()
        wanted = {c.id(k) for k in sees if ATTRS[k][name] == value}
        if narrowed["total_stories"] != len(wanted) or {h["story_id"] for h in narrowed["stories"]} != wanted:
            c.problem(f"/api/search?q={COMMON}&{name}={value} found "
                      f"{sorted(h['story_id'] for h in narrowed['stories'])}, not {sorted(wanted)}")
    page = c.get("/search", {"q": COMMON})
    c.count(page, r"Stories found: (\d+)", n, f"/search?q={COMMON}")
    for key in sees:
        c.expect(page, {"title": WORDS[key].title}, f"/search?q={COMMON}", key)

    # themes and comparison -----------------------------------------------------------------
    themes = c.get("/themes")
    c.count(themes, rf'href="/themes/{THEME}">[^<]*</a> <span class="count">stories: (\d+)<', n, "/themes")
    theme = c.get(f"/themes/{THEME}")
    c.count(theme, r"<p class=\"muted\">stories: (\d+)</p>", n, f"/themes/{THEME}")
    for key in sees:
        c.expect(theme, {"title": WORDS[key].title, "text": WORDS[key].text, "region": WORDS[key].region},
                 f"/themes/{THEME}", key)
    compare = c.get("/compare", {"a": A, "b": B})
    c.count(compare, rf"{A}: stories: (\d+)", len([k for k in sees if _in_community(k, A)]), "/compare A")
    c.count(compare, rf"· {B}: stories: (\d+)", len([k for k in sees if _in_community(k, B)]), "/compare B")
    places = set(re.findall(r'<option value="([^"]*)">', re.search(r'<datalist id="places">(.*?)</datalist>',
                                                                   compare.text, re.DOTALL).group(1)))
    wanted_places = {WORDS[k].region.capitalize() for k in sees} | \
                    {STORIES[k]["collection"] for k in sees if STORIES[k].get("collection")}
    if places != wanted_places:
        c.problem(f"/compare offers the places {sorted(places)}, not {sorted(wanted_places)}")

    # the atlas: each region on the map and in its table, counted from what the viewer may see
    atlas = c.get("/atlas", {"by": "region"})
    c.count(atlas, r"Stories on this map and in its table: (\d+)", n, "/atlas?by=region")
    for key in sees:
        c.expect(atlas, {"region": WORDS[key].region}, "/atlas?by=region", key)
    in_a = [k for k in sees if STORIES[k].get("community") == A]
    circles = re.findall(rf'aria-label="{A}, Poland: stories: (\d+)"', c.get("/atlas").text)
    if circles != ([str(len(in_a))] if in_a else []):
        c.problem(f"/atlas shows {A} with {circles} stories, not {len(in_a)}")
    listed = c.get("/atlas", {"community": A, "country": "PL"})
    c.count(listed, r"<h2 id=\"stories-h\">[^<]*</h2>\s*<p class=\"muted\">stories: (\d+)", len(in_a), "/atlas listing")
    for key in in_a:
        c.expect(listed, {"title": WORDS[key].title}, f"/atlas?community={A}", key)

    # similar stories: the hub names the anchors, each anchor its group -------------------------------
    hub = c.get(f"/stories/{c.id('hub')}")
    shown = _similar_ids(hub.text)
    if not {c.id(k) for k in ANCHORS} <= shown or len(shown) != min(5, n - 1):
        c.problem(f"similar stories on the hub's page: {sorted(shown)}")
    for anchor, place in ANCHORS.items():
        shown = _similar_ids(c.get(f"/stories/{c.id(anchor)}").text)
        group = {c.id(k) for k in sees if k not in ANCHORS and place in STORIES[k]["names"]}
        if not (group | {c.id("hub")}) <= shown or len(shown) != min(5, n - 1):
            c.problem(f"similar stories on the page of '{anchor}': {sorted(shown)}, its group {sorted(group)}")
        if not shown <= {c.id(k) for k in sees}:
            c.problem(f"similar stories on the page of '{anchor}' name stories the viewer may not see")

    # one story at a time ---------------------------------------------------------------------
    for key in STORIES:
        w, story_id = WORDS[key], c.id(key)
        allowed = key in sees
        every = w.shown()
        # search for its own spoken word, and for that word misspelled
        found = c.get("/api/search", {"q": w.text}, echo=(w.text,)).json()
        if found["total_stories"] != int(allowed) or [h["story_id"] for h in found["stories"]] != \
                ([story_id] if allowed else []):
            c.problem(f"/api/search?q={w.text} ('{key}') found {found['total_stories']}")
        if allowed and w.title not in str(found).lower():
            c.problem(f"/api/search?q={w.text} lacks the title of '{key}'")
        page = c.get("/search", {"q": w.text}, echo=(w.text,))
        c.count(page, r"Stories found: (\d+)", int(allowed), f"/search?q={w.text} ('{key}')")
        if allowed:
            c.expect(page, {"title": w.title}, f"/search?q={w.text}", key)
        typo = c.get("/api/search", {"q": _misspelled(w.text)}).json()
        if (w.text in typo["suggestions"]) != allowed or typo["total_stories"] != 0:
            c.problem(f"/api/search?q={_misspelled(w.text)} suggests {typo['suggestions']} "
                      f"({'should' if allowed else 'must not'} offer {w.text} of '{key}')")
        for hidden in w.hidden:
            c.get("/api/search", {"q": _misspelled(hidden)})
            gone = c.get("/api/search", {"q": hidden}, echo=(hidden,)).json()
            if gone["total_stories"]:
                c.problem(f"/api/search finds the hidden word {hidden} of '{key}'")
        # comparing its place with another
        compared = c.get("/compare", {"a": w.region, "b": A}, echo=(w.region,))
        c.count(compared, rf"(?i){w.region}: stories: (\d+)", int(allowed), f"/compare?a={w.region} ('{key}')")
        # its page, its document, its exports, its media, its progress
        paths = ["/stories/{}", "/api/stories/{}", "/media/{}/captions.vtt", "/api/stories/{}/progress",
                 *(f"/api/stories/{{}}/export.{fmt}" for fmt in ("vtt", "srt", "txt", "json"))]
        if not allowed:
            for path in [*paths, "/media/{}/listen.webm", "/media/{}/original", "/media/{}/video",
                         "/moderate/stories/{}", "/stories/{}/edit"]:
                c.like_missing(path, key)
            continue
        for path in paths:
            response = c.get(path.format(story_id))
            where = path.format(story_id) + f" ('{key}')"
            if not c.status(response, 200, where):
                continue
            if path in ("/stories/{}", "/api/stories/{}", "/api/stories/{}/export.json"):
                c.expect(response, every, where, key)
            elif path.endswith("/progress"):
                answer = response.json()
                if answer["story_id"] != story_id or answer["job"]["state"] != "done":
                    c.problem(f"{where} answered {answer}")
            else:
                c.expect(response, {"text": w.text}, where, key)
        listen = c.get(f"/media/{story_id}/listen.webm")
        if key in world.listen:
            if c.status(listen, 200, f"/media/{story_id}/listen.webm ('{key}')") and \
                    (listen.headers["content-type"] != "audio/webm" or len(listen.content) < 1000):
                c.problem(f"/media/{story_id}/listen.webm ('{key}') is not the listening copy")
            if "private" not in listen.headers.get("cache-control", ""):  # a shared cache must not keep it
                c.problem(f"/media/{story_id}/listen.webm ('{key}') may be kept by shared caches")
        elif listen.status_code != 404:
            # a story made without a recording on disk has no listening copy: 404 (also the
            # answer to a story one may not see, below, but only here is the story itself shown)
            c.problem(f"/media/{story_id}/listen.webm ('{key}') answered {listen.status_code}: {listen.text[:200]}")
        # the untouched original (which still holds what a redaction silenced): admins only
        if key in world.listen:
            original = c.get(f"/media/{story_id}/original")
            if c.status(original, 200 if viewer == "admin" else 404, f"/media/{story_id}/original ('{key}')") \
                    and viewer == "admin" and original.headers["content-type"] != "application/octet-stream":
                c.problem(f"/media/{story_id}/original ('{key}') is served to be shown, not downloaded")
        c.status(c.get(f"/media/{story_id}/video"), 404, f"/media/{story_id}/video ('{key}')")
        looked_after = c.get(f"/moderate/stories/{story_id}")
        if viewer in MODERATES[key]:
            if c.status(looked_after, 200, f"/moderate/stories/{story_id} ('{key}')"):
                c.expect(looked_after, {"title": w.title, "text": w.text}, f"/moderate/stories/{story_id}", key)
        else:
            c.status(looked_after, 403, f"/moderate/stories/{story_id} ('{key}')")
        # the correction editor: volunteers and the story's moderators; anonymous visitors sign in first
        editor = c.get(f"/stories/{story_id}/edit")
        corrects = viewer == "volunteer" or viewer in MODERATES[key]
        if c.status(editor, 200 if corrects else 303 if viewer == "anonymous" else 403,
                    f"/stories/{story_id}/edit ('{key}')") and corrects:
            c.expect(editor, {"title": w.title, "text": w.text}, f"/stories/{story_id}/edit", key)

    # the moderators' pages -------------------------------------------------------------------------
    moderated = {key for key in STORIES if viewer in MODERATES[key]}
    review = c.get("/moderate/review", allowed=moderated & WAITING)
    themes_page = c.get("/moderate/themes", allowed=set())
    c.get("/moderate/suggestions", allowed=moderated)
    if viewer in ("moderator_a", "moderator_b", "admin"):
        c.status(review, 200, "/moderate/review")
        shown = set(map(int, re.findall(r'id="review-(\d+)"', review.text)))
        if shown != {c.id(k) for k in moderated & WAITING}:
            c.problem(f"/moderate/review lists {sorted(shown)}, not {sorted(c.id(k) for k in moderated & WAITING)}")
        for key in moderated & WAITING:
            c.expect(review, {"title": WORDS[key].title, "text": WORDS[key].text}, "/moderate/review", key)
        c.count(themes_page, rf'href="/moderate/themes/{THEME}">{THEME}</a></td><td>[^<]*</td><td>(\d+)<', n,
                "/moderate/themes")
    else:
        c.status(review, 403, "/moderate/review")
        c.status(themes_page, 403, "/moderate/themes")

    # what only a story's moderators may do, tried by everyone else: refused, nothing changed
    token = _form_token(c.client, "/upload")
    for key in STORIES:
        if viewer in MODERATES[key] or key == "withdrawn":
            continue
        story_id = c.id(key)
        before = _state(world, story_id)
        wanted = 404 if key not in sees else 403
        if key in WAITING:
            review = c.client.post("/moderate/review", data={"csrf_token": token, "story": str(story_id),
                                                             "action": "publish"})
            if review.status_code not in ((404,) if viewer in ("moderator_a", "moderator_b") else (403,)):
                c.problem(f"publishing '{key}' answered {review.status_code}")
            _no_leak(c, review, "POST /moderate/review", moderated & WAITING)
        changed = c.client.post(f"/moderate/stories/{story_id}", data={
            "csrf_token": token, "action": "consent", "visibility": "public", "embargo_until": "",
            "exportable": "yes", "storyteller_naming": "full"})
        c.status(changed, wanted, f"POST /moderate/stories/{story_id} ('{key}')")
        _no_leak(c, changed, f"POST /moderate/stories/{story_id}", sees)
        if _state(world, story_id) != before:
            c.problem(f"'{key}' was changed by a viewer who does not moderate it")

    # the admins' pages name people and actions, never what a story says
    for path in ("/admin/users", "/admin/audit"):
        c.status(c.get(path, allowed=set()), {"admin": 200, "anonymous": 303}.get(viewer, 403), path)

    # the storyteller's private link opens their own story, and only it ------------------------------------
    if viewer == "anonymous":
        token = world.teller_token
        mine = c.get(f"/mine/{token}", allowed={"private"})
        if c.status(mine, 200, "/mine/<token>"):
            c.expect(mine, {"title": WORDS["private"].title, "text": WORDS["private"].text}, "/mine/<token>", "private")
        progress = c.get(f"/api/stories/{c.id('private')}/progress", {"receipt": token}, allowed={"private"})
        c.status(progress, 200, "progress by receipt")
        for key in STORIES:
            if key != "private" and key not in sees:
                c.status(c.get(f"/api/stories/{c.id(key)}/progress", {"receipt": token}), 404,
                         f"progress of '{key}' by another story's receipt")

    assert not c.problems, "\n".join(c.problems)


def _form_token(client: TestClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def _state(world: World, story_id: int) -> tuple:
    row = world.app.state.archives.get().conn.execute(
        "SELECT visibility, requested_visibility, declined, embargo_until, exportable FROM stories WHERE id = ?",
        (story_id,)).fetchone()
    return tuple(row) if row else ()


def _no_leak(c: Check, response, where: str, allowed: set[str]) -> None:
    body = response.text.lower()
    for key, kind, word in c.forbidden(allowed):
        if word in body:
            c.problem(f"{where} leaks the {kind} of story '{key}' ({word})")


# uploads ------------------------------------------------------------------------------------------

def _upload(client: TestClient, lang: str, **fields):
    path = story_file(lang)
    return client.post("/api/stories", files=[("files", (path.name, path.read_bytes(), "audio/ogg"))], data=fields)


def test_an_upload_reveals_only_stories_the_sender_may_see(settings, model_cache):
    from dataclasses import replace

    settings = replace(settings, allowed_hosts=("testserver",))
    secret, public = WORDS["private"], WORDS["public"]
    with Archive(settings.database) as archive:
        hidden = ingest_file(archive, story_file("en"), StoryMetadata(
            title=secret.title, place=Place(A, secret.region, "PL"), storyteller=secret.first_name,
            visibility="private"), settings, KEEPER).story_id
        shared = ingest_file(archive, story_file("de"), StoryMetadata(title=public.title), settings, KEEPER).story_id
        accounts.add_user(archive, "admin", PASSWORD, [("admin", None)], KEEPER)
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as anonymous, \
            TestClient(app, base_url="http://testserver") as admin:
        fresh = _upload(anonymous, "fr")  # a recording the archive has never had
        again = _upload(anonymous, "en")  # the private story's recording
        for response in (fresh, again):
            assert response.status_code == 201
            body = response.text.lower()
            assert secret.title not in body and secret.region not in body and secret.first_name not in body
        [new], [old] = fresh.json()["stories"], again.json()["stories"]
        assert set(old) == set(new) == {"filename", "story_id", "job_state", "duplicate", "receipt", "link",
                                        "awaiting_review"}
        assert old["duplicate"] is new["duplicate"] is False
        assert old["story_id"] not in (hidden, shared, new["story_id"]) and old["story_id"] > hidden
        assert (old["job_state"], old["awaiting_review"]) == (new["job_state"], new["awaiting_review"]) \
            == ("queued", True)
        assert old["receipt"] and old["receipt"] != new["receipt"] and old["link"] == f"/mine/{old['receipt']}"
        # a recording of a story the sender may see is recognised
        [seen] = _upload(anonymous, "de").json()["stories"]
        assert seen["duplicate"] is True and seen["story_id"] == shared and "receipt" not in seen
        _sign_in(admin, "admin")
        response = _upload(admin, "en")
        assert response.status_code == 201
        [dup] = response.json()["stories"]
        assert dup["duplicate"] is True and dup["story_id"] == hidden and "receipt" not in dup


# changes ------------------------------------------------------------------------------------------

def test_a_story_made_private_or_a_membership_taken_away_is_gone_at_once(settings):
    """Answers are remembered (search, similar stories) until the archive changes: a story
    narrowed to private, or a person no longer a member, must not be served from them."""
    from dataclasses import replace

    settings = replace(settings, allowed_hosts=("testserver",))
    anchor, narrowed, member_only = WORDS["hub"], WORDS["public"], WORDS["community_a"]
    with Archive(settings.database) as archive:
        store.vocabulary(archive)
        ids = {}
        for n, (key, w, community, visibility) in enumerate([("anchor", anchor, "Village0", "public"),
                                                            ("narrowed", narrowed, "Village1", "public"),
                                                            ("member_only", member_only, A, "community")]):
            sha = f"{n:064x}"
            story_id, job_id = archive.create_story(
                StoryMetadata(title=w.title.capitalize(), place=Place(community, w.region.capitalize(), "PL"),
                              storyteller=w.first_name.capitalize(), visibility=visibility),
                [MediaFile("original", sha, f"originals/{sha}.ogg", "ogg", "opus", False, 1, 4.0, "x.ogg")], 4.0)
            _transcribe(archive, story_id, "pl", [(0.5, 4.0, f"{COMMON} {w.text}", w.english)])
            archive.finish_job(job_id, "done")
            store.save_tagging(archive, story_id, Tagging(
                (ThemeTag(THEME, 0.9, (Evidence(0, "flood", "original"),)),),
                (EntityTag(0, "place", "Hubmoor", None, "Hubmoor"),), "matrix"))
            ids[key] = story_id
        for name, roles in (("admin", ROLES["admin"]), ("member_a", ROLES["member_a"])):
            accounts.add_user(archive, name, PASSWORD, roles, KEEPER)
    app = create_app(settings)

    def answers(client: TestClient) -> dict[str, str]:
        """Every answer that shows other stories, as its text (lower case)."""
        paths = {"/": None, "/api/stories": None, "/api/search": {"q": COMMON},
                 "/search": {"q": COMMON}, "typo": {"q": _misspelled(narrowed.text)},
                 f"/stories/{ids['anchor']}": None, "/themes": None, f"/themes/{THEME}": None,
                 "/compare": {"a": "PL", "b": A}}
        out = {}
        for path, params in paths.items():
            response = client.get("/api/search" if path == "typo" else path, params=params)
            assert response.status_code == 200, (path, response.text[:300])
            out[path] = response.text.lower()
        return out

    def shown(client: TestClient, w: Words, story_id: int) -> set[str]:
        """Which answers show anything of the story."""
        found = {path for path, text in answers(client).items() if any(word in text for word in w.shown().values())}
        if client.get(f"/api/stories/{story_id}").status_code == 200:
            found.add("its own page")
        return found

    with TestClient(app, base_url="http://testserver") as anonymous, \
            TestClient(app, base_url="http://testserver") as member, \
            TestClient(app, base_url="http://testserver") as admin:
        _sign_in(member, "member_a")
        _sign_in(admin, "admin")
        everywhere = {"/", "/api/stories", "/api/search", "/search", "typo", f"/stories/{ids['anchor']}",
                      f"/themes/{THEME}", "/compare", "its own page"}
        assert shown(anonymous, narrowed, ids["narrowed"]) == everywhere
        assert shown(member, member_only, ids["member_only"]) == everywhere - {"typo"}
        assert anonymous.get("/api/search", params={"q": COMMON}).json()["total_stories"] == 2
        assert member.get("/api/search", params={"q": COMMON}).json()["total_stories"] == 3

        # a moderator narrows a public story to private: it leaves every answer at once
        page = f"/moderate/stories/{ids['narrowed']}"
        response = admin.post(page, data={"csrf_token": _form_token(admin, page), "action": "consent",
                                          "visibility": "private", "embargo_until": "", "exportable": "yes",
                                          "storyteller_naming": "full"})
        assert response.status_code == 200, response.text[:300]
        assert app.state.archives.get().conn.execute("SELECT visibility FROM stories WHERE id = ?",
                                                     (ids["narrowed"],)).fetchone()[0] == "private"
        assert not shown(anonymous, narrowed, ids["narrowed"])
        assert not shown(member, narrowed, ids["narrowed"])
        assert anonymous.get("/api/search", params={"q": COMMON}).json()["total_stories"] == 1
        assert narrowed.title in admin.get("/api/search", params={"q": COMMON}).text.lower()

        # an admin takes the membership away: the member's next request no longer shows its stories
        response = admin.post("/admin/users", data={"csrf_token": _form_token(admin, "/admin/users"),
                                                    "action": "roles", "name": "member_a"})
        assert response.status_code == 200, response.text[:300]
        assert not shown(member, member_only, ids["member_only"])
        assert member.get("/api/search", params={"q": COMMON}).json()["total_stories"] == 1
        assert member.get(f"/stories/{ids['member_only']}").status_code == 404
