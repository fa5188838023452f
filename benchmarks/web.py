"""Requests per second and latency of the web archive under load, on loopback.

    python benchmarks/web.py [--stories 10000] [--segments 20] [--clients 20] [--seconds 15]
                             [--workers 2] [--no-cache] [--searches-at-once N]

Builds (once, cached under --archive) an archive of N stories with M segments each,
written through the archive's own API, starts `storyatlas serve` in its own process,
and drives it with C concurrent clients for each kind of request: the search page,
the search API and a story page. The load comes from `wrk` (Debian package wrk) when it
is installed, which costs the server little CPU; otherwise from httpx in this process.
A baseline run against a static file in the same run shows what the server and the load
generator cost by themselves. `--workers` sets the server's processes.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storyatlas.archive import Archive, MediaFile, Place, StoryMetadata, Viewer, Word, word_index  # noqa: E402
from storyatlas.themes import EntityTag, Evidence, Tagging, ThemeTag, store  # noqa: E402
from storyatlas.transcribe import Transcript, TranscriptSegment  # noqa: E402

# words in several languages, some common and some rare, so queries match many or few moments
COMMON = ("water river street house school work family neighbours city village winter summer "
          "children mother father night morning years town flood rain").split()
RARE = ("sandbags cellar eviction landlord factory strike refugee border harvest mine chapel "
        "tram bakery hospital nurse teacher bridge dam Überschwemmung Keller eksmisja powódź "
        "inondation école desahucio vecinos alluvione scuola despejo cheia").split()
FILLER = "we the and our was in of to a they it had there when came all".split()
LANGS = ["en", "de", "fr", "es", "it", "pl", "pt", "nl"]
PLACES = ["Zgorzelec, Lower Silesia, PL", "Görlitz, Saxony, DE", "Lyon, Auvergne-Rhône-Alpes, FR",
          "Valencia, Valencian Community, ES", "Bologna, Emilia-Romagna, IT", "Porto, Norte, PT",
          "Gdańsk, Pomerania, PL", "Dresden, Saxony, DE", "Liège, Wallonia, BE", "Utrecht, Utrecht, NL"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(FILLER) for _ in range(rng.randint(8, 16))]
    words[rng.randrange(len(words))] = rng.choice(COMMON)
    if rng.random() < 0.15:
        words[rng.randrange(len(words))] = rng.choice(RARE)
    return " ".join(words).capitalize() + "."


def _timed(start: float, end: float, text: str) -> tuple[Word, ...]:
    """The words' times, spread evenly, as a transcript has them."""
    said = text.split()
    step = (end - start) / len(said)
    return tuple(Word(start + i * step, start + (i + 1) * step, f" {w}") for i, w in enumerate(said))


def build(database: Path, stories: int, segments: int) -> None:
    """Stories with transcripts (their words timed), translations and (drawn at random, not tagged: tagging
    200,000 segments would take minutes) themes and named places."""
    rng = random.Random(7)
    with Archive(database) as archive:
        theme_ids = store.vocabulary(archive).ids()
        have = archive.count_stories(Viewer.keeper())
        for n in range(have, stories):
            sha = hashlib.sha256(f"bench-{n}".encode()).hexdigest()
            lang = rng.choice(LANGS)
            story_id, job_id = archive.create_story(
                StoryMetadata(title=f"Story {n}", collection=rng.choice(["Flood memories", "Housing", "Schools"]),
                              place=Place.parse(rng.choice(PLACES)), recorded_on=str(rng.randint(1990, 2026))),
                [MediaFile("original", sha, f"originals/{sha[:2]}/{sha}.ogg", "ogg", "opus", False, 1, 60.0, "x.ogg")],
                segments * 5.0)
            segs = tuple(TranscriptSegment(i * 5.0, i * 5.0 + 4.5, text, _timed(i * 5.0, i * 5.0 + 4.5, text))
                         for i, text in enumerate(_sentence(rng) for _ in range(segments)))
            english = [None if lang == "en" else _sentence(rng) for _ in segs]
            archive.save_transcription(story_id, Transcript("transcribe", lang, 0.9, segments * 5.0, segs, "bench"),
                                       None, english)
            chosen = rng.sample(theme_ids, rng.randint(1, 3))
            store.save_tagging(archive, story_id, Tagging(
                tuple(ThemeTag(t, 2.0 + rng.random() * 3, tuple(Evidence(rng.randrange(segments), "bench", "english")
                                                                for _ in range(3))) for t in chosen),
                (EntityTag(0, "place", place := rng.choice(PLACES).split(",")[0], None, place),),
                "bench", {}))
            archive.finish_job(job_id, "done")
            if n % 1000 == 999:
                print(f"  built {n + 1} stories", flush=True)
        word_index.merge(archive.conn)  # as the worker does after a story (the server here runs none)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _load(base: str, paths: list[str], clients: int, seconds: float) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        async def worker(k: int) -> None:
            nonlocal errors
            i = k
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                response = await client.get(paths[i % len(paths)])
                latencies.append(time.perf_counter() - start)
                errors += response.status_code != 200
                i += clients
        await asyncio.gather(*(worker(k) for k in range(clients)))
    return len(latencies), latencies, errors


_WRK_SCRIPT = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def _wrk(base: str, paths: list[str], clients: int, seconds: float) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, errors) measured by wrk."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_WRK_SCRIPT % ", ".join(f'"{p}"' for p in paths))
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "10s", "-s", f.name, base],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    requests, duration_us, p50, p99, errors = map(int, re.search(r"RESULT (.*)", out).group(1).split())
    return requests / (duration_us / 1e6), p50 / 1000, p99 / 1000, errors


def _httpx(base: str, paths: list[str], clients: int, seconds: float) -> tuple[float, float, float, int]:
    count, latencies, errors = asyncio.run(_load(base, paths, clients, seconds))
    return count / seconds, _percentile(latencies, 0.5) * 1000, _percentile(latencies, 0.99) * 1000, errors


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=10_000)
    parser.add_argument("--segments", type=int, default=20)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--no-cache", action="store_true",
                        help="turn the server's search cache off: every search is computed")
    parser.add_argument("--searches-at-once", type=int, default=0,
                        help="searches one server process computes at once (default 0: the server's default)")
    parser.add_argument("--archive", type=Path, default=Path(tempfile.gettempdir()) / "storyatlas-bench-web")
    args = parser.parse_args()

    archive_dir = args.archive / f"v3-{args.stories}x{args.segments}"
    print(f"archive: {archive_dir} ({args.stories} stories x {args.segments} segments)")
    started = time.perf_counter()
    build(archive_dir / "archive.db", args.stories, args.segments)
    print(f"ready in {time.perf_counter() - started:.1f} s")

    port = _free_port()
    env = {**os.environ, "STORYATLAS_ARCHIVE": str(archive_dir),
           "STORYATLAS_SEARCH_CACHE_SIZE": "0" if args.no_cache else "1024",
           "STORYATLAS_SEARCHES_AT_ONCE": str(args.searches_at_once)}
    server = subprocess.Popen([sys.executable, "-m", "storyatlas", "serve", "--port", str(port), "--no-worker",
                               "--workers", str(args.workers)], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/static/app.css")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        rng = random.Random(3)
        queries = [rng.choice(COMMON + RARE + RARE) + ("" if rng.random() < 0.7 else " " + rng.choice(COMMON))
                   for _ in range(200)]
        story_ids = [rng.randint(1, args.stories) for _ in range(200)]
        runs = {
            "baseline: static file": ["/static/app.css"],
            "search page": [f"/search?{urlencode({'q': q})}" for q in queries],
            "search API": [f"/api/search?{urlencode({'q': q})}" for q in queries],
            "story page": [f"/stories/{i}" for i in story_ids],
        }
        load = _wrk if shutil.which("wrk") else _httpx
        print(f"\n{args.clients} concurrent clients, {args.seconds:g} s each, load from "
              f"{'wrk' if load is _wrk else 'httpx'}, server: {args.workers} uvicorn process(es), "
              f"search cache {'off' if args.no_cache else 'on'}, "
              f"searches at once per process: {args.searches_at_once or 'the default'}")
        print(f"{'request':24} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99/base':>9} {'errors':>7}")
        base_p99 = None
        for name, paths in runs.items():
            # warm up, untimed: every path several times on fresh connections, so that each
            # server process has seen it (with the cache on, the measured run shows the
            # answers to searches people repeat; --no-cache shows every search computed)
            for path in paths:
                for _ in range(2 * args.workers + 2):
                    httpx.get(base + path, timeout=120)
            rps, p50, p99, errors = load(base, paths, args.clients, args.seconds)
            base_p99 = base_p99 or p99
            print(f"{name:24} {rps:8.1f} {p50:8.1f} {p99:8.1f} {p99 / base_p99:9.2f} {errors:7d}", flush=True)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
