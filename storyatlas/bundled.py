"""Arrays shipped beside the code (``.npz``), read whole, or why they cannot be.

Each is made by a command from texts and an encoder (the background passages, the
labelled examples, the languages' directions), stamped with what made it. A file cut
short, damaged, or made by another encoder is not an error for a search or the tagger:
its reader makes the arrays again or goes on without them, and says so once in the log.
Before, a truncated file raised ``zipfile.BadZipFile`` through every meaning search.
"""

from __future__ import annotations

import zipfile
import zlib
from importlib import resources

import numpy as np


def arrays(package: str, name: str, key: str, stamp: str) -> tuple[dict[str, np.ndarray] | None, str]:
    """The arrays of ``name`` beside ``package``'s modules when its ``key`` says ``stamp``;
    else None and why not (for the log)."""
    try:
        with resources.files(package).joinpath(name).open("rb") as f, np.load(f) as saved:
            made_by = str(saved[key])
            if made_by != stamp:
                return None, f"made by {made_by}, not {stamp}"
            return {k: saved[k] for k in saved.files}, ""
    # a member is read (and unzipped) only when asked for: every way a file breaks is here
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        return None, f"{type(e).__name__}: {e}"
