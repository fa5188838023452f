"""What says a text's language, taken out of the meaning vectors (``meaning.languages``)."""

from __future__ import annotations

import json
import logging
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from storyatlas import meaning
from storyatlas.archive import Viewer
from storyatlas.meaning import languages
from tests.conftest import add_story

HELD_APART = Path(__file__).parents[1] / "data" / "themes" / "held-apart-12.jsonl"


def _told(archive, story_id: str) -> int:
    """A held-apart labelled story, a sentence a line, each beside its English."""
    story = next(s for line in HELD_APART.read_text(encoding="utf-8").splitlines()
                 if (s := json.loads(line))["id"] == story_id)
    said, english = (re.split(r"(?<=[.!?…])\s+", story[key].strip()) for key in ("text", "english"))
    english = english[:len(said) - 1] + [" ".join(english[len(said) - 1:])]
    lines = [(4.0 * i, 4.0 * i + 4, s, e) for i, (s, e) in enumerate(zip(said, english))]
    return add_story(archive, story_id, story["language"], lines)


@pytest.mark.slow
def test_a_query_finds_the_story_in_another_language_before_one_in_its_own_about_something_else(archive):
    # Italian "canaries and horses in the mine": a Polish miner's story tells of both; an
    # Italian one of a school's dialect came first, the two vectors' language alike
    mine = _told(archive, "pl-q09")
    _told(archive, "it-q03")
    assert meaning.index(archive) > 10
    hits = meaning.nearest(archive, "canarini e cavalli in miniera", Viewer.keeper("cli:test"), min_score=-1)
    assert hits[0].story_id == mine, [(h.story_id, round(h.score, 3)) for h in hits[:3]]


def test_a_vector_loses_its_languages_directions_and_keeps_unit_length():
    along = languages.directions()
    assert along.shape == (9, 384)  # ten languages' means, less their own mean
    assert np.allclose(along @ along.T, np.eye(9), atol=1e-5)
    vectors = np.random.default_rng(1).normal(size=(5, 384)).astype(np.float32)
    kept = vectors.copy()
    made = languages.neutral(vectors)
    assert np.array_equal(vectors, kept)  # a copy unless asked
    assert np.allclose(made @ along.T, 0, atol=1e-5)
    assert np.allclose(np.linalg.norm(made, axis=1), 1, atol=1e-5)
    assert languages.neutral(vectors, in_place=True) is vectors and np.allclose(vectors, made)


@pytest.mark.slow
def test_the_shipped_directions_match_the_theme_names_and_the_encoder():
    # a stale languages.npz is not wrong, but costs the first search seconds:
    # `python scripts/encode_background.py` writes it again
    with resources.files("storyatlas.meaning").joinpath("languages.npz").open("rb") as f:
        saved = np.load(f)
        assert str(saved["stamp"]) == languages.stamp()
        shipped, now = saved["directions"], languages.made()
        assert np.allclose(shipped.T @ shipped, now.T @ now, atol=1e-2)  # the same directions, signs aside


@pytest.mark.slow
def test_a_broken_or_stale_shipped_file_is_made_again_and_said(tmp_path, monkeypatch, caplog):
    shipped = languages.directions()
    broken = tmp_path / "languages.npz"
    broken.write_bytes(b"PK\x03\x04 cut short")  # a zip's first bytes, then nothing
    monkeypatch.setattr(languages, "_FILE", str(broken))  # an absolute path joined to the package's
    with caplog.at_level(logging.WARNING, logger="storyatlas.meaning.languages"):
        made = languages.directions.__wrapped__()
        np.savez(broken, directions=shipped, stamp=np.array("another encoder"))
        languages.directions.__wrapped__()
    assert np.allclose(made.T @ made, shipped.T @ shipped, atol=1e-2)
    said = [r.getMessage() for r in caplog.records]
    assert "BadZipFile" in said[0] and "made by another encoder" in said[1], said
