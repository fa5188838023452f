"""The web archive: a Starlette app over the same core the CLI uses.

``create_app(settings)`` builds it; ``storyatlas serve`` runs it with uvicorn and a
worker thread that processes uploads in the same process.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from storyatlas import meaning
from storyatlas.archive import Archive, facets
from storyatlas.archive.erasure import sweep_tombstones
from storyatlas.archive.held import read_file_at_start
from storyatlas.errors import (
    AccessDenied,
    AccountError,
    Conflict,
    CorrectionError,
    IndexPointError,
    MediaError,
    NotFound,
    SearchError,
    SignInRefused,
    StoryAtlasError,
    UploadError,
    VocabularyError,
    said,
)
from storyatlas.ingest.store import claim_scratch
from storyatlas.jobs import Queue
from storyatlas.machine import available_cores
from storyatlas.search import known_words, vocabulary
from storyatlas.search.cache import GenerationCache
from storyatlas.settings import Settings
from storyatlas.web import accounts, api, discover, editor, keepers, moderate, pages
from storyatlas.web.hosts import AllowedHosts
from storyatlas.web.i18n import Translator, request_language
from storyatlas.web.security import SecurityHeaders
from storyatlas.web.uploads import ResumableUploads

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
SEARCHES_AT_ONCE = 2
"""Searches a server process computes at once, by default (fewer on one core): more
threads fight over the process's interpreter lock, fewer leave a core idle when one
process holds most of the connections (benchmarks/web.py; see api.cached_search)."""


class Archives:
    """One archive connection per server thread (SQLite connections are not shared)."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self._local = threading.local()

    def get(self) -> Archive:
        archive = getattr(self._local, "archive", None)
        if archive is None:
            archive = self._local.archive = Archive(self.database)
        return archive


def _status(exc: StoryAtlasError) -> int:
    if isinstance(exc, (UploadError, SignInRefused)):
        return exc.status
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, AccessDenied):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, (MediaError, SearchError, VocabularyError, AccountError, IndexPointError, CorrectionError)):
        return 422
    return 500 if exc.exit_code == 2 else 400


async def handle_error(request: Request, exc: Exception) -> Response:
    """The one place errors become responses: JSON under /api, a page elsewhere, in the
    reader's language."""
    t = Translator(request_language(request))
    if isinstance(exc, StoryAtlasError):
        status, message = _status(exc), t.error(exc)
    elif isinstance(exc, HTTPException):  # Starlette's own: no such route, or not that method
        status = exc.status_code
        known = {404: "error.not_found", 405: "error.method"}.get(status)
        message = t(known) if known else exc.detail
    else:
        log.exception("unexpected error on %s", request.url.path)
        status, message = 500, t.said(said("an unexpected error happened; it has been logged"))
    if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
        response = JSONResponse({"error": message, "status": status}, status_code=status)
    else:
        response = pages.error_page(request, status, message)
    if getattr(exc, "retry_after", None):  # a refusal that passes: the sender may ask again after it
        response.headers["retry-after"] = str(exc.retry_after)
    return response


def create_app(settings: Settings, worker: bool = False) -> Starlette:
    """The web app; with ``worker`` a thread processes queued stories while it runs."""
    settings.archive.mkdir(parents=True, exist_ok=True)
    with Archive(settings.database) as archive:
        # files of stories erased just before a crash go now
        sweep_tombstones(archive, settings.media_dir)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        # what a crashed process left half-done under media/tmp goes now, unless another is at work
        scratch = claim_scratch(settings.media_dir)
        read_file_at_start(settings.database)
        vocabulary.warm(settings.database)
        meaning.warm(settings.database)
        facets.warm(settings.database)
        known_words.warm(settings.cache)
        stop = threading.Event()
        thread = None
        if worker:
            thread = threading.Thread(target=app.state.queue.run_until, args=(stop,),
                                      name="storyatlas-worker", daemon=True)
            thread.start()
        yield
        stop.set()
        if thread:
            # a story being transcribed is not waited for: the next start takes it up again
            thread.join(timeout=2)
        scratch.release()

    app = Starlette(
        routes=[*api.routes, *pages.routes, *discover.routes, *moderate.routes, *accounts.routes,
                *keepers.routes, *editor.routes,
                Mount("/static", StaticFiles(directory=HERE / "static"), name="static")],
        middleware=[Middleware(SecurityHeaders), Middleware(AllowedHosts, allowed_hosts=settings.allowed_hosts)],
        exception_handlers={Exception: handle_error, HTTPException: handle_error,
                            StoryAtlasError: handle_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.archives = Archives(settings.database)
    app.state.queue = Queue(settings)
    app.state.uploads = ResumableUploads(settings.media_dir / "tmp" / "uploads", settings.max_file_bytes)
    app.state.search_cache = GenerationCache(settings.search_cache_size)
    app.state.searching = anyio.CapacityLimiter(settings.searches_at_once or min(SEARCHES_AT_ONCE, available_cores()))
    accounts.setup(app)  # the first admin, from STORYATLAS_ADMIN_PASSWORD
    return app


def from_environment() -> Starlette:
    """The app for each process of `storyatlas serve --workers N` (settings come by environment)."""
    import os

    from storyatlas.settings import load_settings

    return create_app(load_settings(), worker=os.environ.get("STORYATLAS_SERVE_WORKER") == "1")
