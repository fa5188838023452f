"""How long the atlas pages take to render, in-process, on an archive of N stories.

    python benchmarks/atlas.py [--stories 3000] [--rounds 30]

Builds a temporary archive of N stories from M communities (real towns from the
gazetteer, a few unknown ones, some stories with no place), a third of them tagged with a
theme, then fetches /atlas (by community, region, country, filtered by theme, language
and year), the home page and a compare page through Starlette's test client, as an
anonymous visitor: every count goes through the access policy and nothing is cached
between requests but the country outlines and the gazetteer. Prints the first request
(which reads the gazetteer) and p50 / p95 of the others.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starlette.testclient import TestClient  # noqa: E402

from storyatlas.archive import Archive, MediaFile, Place, StoryMetadata  # noqa: E402
from storyatlas.atlas import gazetteer  # noqa: E402
from storyatlas.settings import DEFAULT_ALLOWED_HOSTS, Settings  # noqa: E402
from storyatlas.web.app import create_app  # noqa: E402

COUNTRIES = ("PL", "PT", "DE", "AT", "FR", "IT", "ES", "CZ", "NL", "SE", "GR", "RO", "IE", "HU")
LANGUAGES = {"PL": "pl", "PT": "pt", "DE": "de", "AT": "de", "FR": "fr", "IT": "it", "ES": "es", "CZ": "cs",
             "NL": "nl", "SE": "sv", "GR": "el", "RO": "ro", "IE": "en", "HU": "hu"}


def build(database: Path, n: int, communities: int, rng: random.Random) -> None:
    towns = [(key, towns[0][0]) for key, towns in gazetteer.towns().items() if towns[0][0] in COUNTRIES]
    rng.shuffle(towns)
    places = [(name.capitalize(), country) for name, country in towns[:communities - 10]]
    places += [(f"Unknownville{i}", rng.choice(COUNTRIES)) for i in range(10)]
    with Archive(database) as archive:
        for i in range(n):
            community, country = rng.choice(places) if rng.random() > 0.03 else (None, None)
            meta = StoryMetadata(title=f"Story {i}", place=Place(community, f"Region {hash(community) % 7}", country),
                                 recorded_on=f"{rng.randint(1990, 2026)}-01-01",
                                 visibility=rng.choice(("public", "public", "public", "community", "private")))
            sha = f"{i:064x}"
            story_id, _ = archive.create_story(
                meta, [MediaFile("original", sha, f"originals/{sha}.ogg", "ogg", "opus", False, 1, 9.0, "x.ogg")], 9.0)
            language = LANGUAGES.get(country or "", "en")
            with archive.transaction() as c:
                c.execute("UPDATE stories SET language = ?, languages = json_array(?) WHERE id = ?",
                          (language, language, story_id))
                if i % 3 == 0:
                    c.execute("INSERT INTO story_themes (story_id, theme_id, score) VALUES (?, 'floods', 0.9)",
                              (story_id,))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stories", type=int, default=3000)
    parser.add_argument("--communities", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(10)
    folder = Path(tempfile.mkdtemp(prefix="atlas-bench-"))
    settings = Settings(archive=folder / "archive", allowed_hosts=(*DEFAULT_ALLOWED_HOSTS, "testserver"))
    started = time.perf_counter()
    gazetteer.warm()
    print(f"gazetteer read in {time.perf_counter() - started:.2f} s")
    build(settings.database, args.stories, args.communities, rng)
    paths = ["/atlas", "/atlas?by=region", "/atlas?by=country", "/atlas?theme=floods&language=pl&year=2001",
             "/atlas?community=Unknownville1&by=community", "/", "/compare?a=PL&b=PT"]
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        started = time.perf_counter()
        first = client.get("/atlas")
        print(f"first /atlas (country outlines drawn): {(time.perf_counter() - started) * 1000:.1f} ms, "
              f"{len(first.content) // 1024} KB")
        for path in paths:
            times = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            times.sort()
            print(f"{path:50} p50 {statistics.median(times):6.1f} ms  p95 {times[int(len(times) * 0.95) - 1]:6.1f} ms"
                  f"  {len(response.content) // 1024} KB")


if __name__ == "__main__":
    main()
