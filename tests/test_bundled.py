"""The arrays shipped beside the code: a file cut short, damaged or made by another
encoder is said in the log and made again (or done without), never an error that a
search or the tagger passes on."""

import logging

import numpy as np
import pytest

from storyatlas import bundled
from storyatlas.themes import examples, meaning


def _damaged(path) -> None:
    """A valid zip whose one member's compressed bytes are spoiled."""
    np.savez_compressed(path, vectors=np.arange(4000, dtype=np.float32).reshape(-1, 4), stamp=np.array("s"))
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("spoil", ["cut short", "damaged", "empty", "missing"])
def test_a_file_that_cannot_be_read_says_why_instead_of_raising(tmp_path, spoil):
    at = tmp_path / "made.npz"
    if spoil == "cut short":
        np.savez_compressed(at, vectors=np.ones((50, 4), dtype=np.float32), stamp=np.array("s"))
        at.write_bytes(at.read_bytes()[:100])
    elif spoil == "damaged":
        _damaged(at)
    elif spoil == "empty":
        at.write_bytes(b"")
    saved, why = bundled.arrays("storyatlas", str(at), "stamp", "s")  # an absolute path joined to the package's
    assert saved is None and why, why


def test_a_file_is_read_whole_when_its_stamp_is_asked_for(tmp_path):
    at = tmp_path / "made.npz"
    np.savez_compressed(at, vectors=np.ones((3, 4), dtype=np.float32), stamp=np.array("encoder 1"))
    saved, _ = bundled.arrays("storyatlas", str(at), "stamp", "encoder 1")
    assert saved["vectors"].shape == (3, 4)  # still there after the file is closed
    assert bundled.arrays("storyatlas", str(at), "stamp", "encoder 2") == (None, "made by encoder 1, not encoder 2")
    assert bundled.arrays("storyatlas", str(at), "model", "encoder 1")[0] is None  # no such stamp


@pytest.mark.slow
def test_a_broken_background_file_is_encoded_again_and_said(tmp_path, monkeypatch, caplog):
    broken = tmp_path / "background.npz"
    broken.write_bytes(b"PK\x03\x04 cut short")  # a zip's first bytes, then nothing
    monkeypatch.setattr(meaning, "_BACKGROUND", str(broken))
    monkeypatch.setattr(meaning, "background_texts", lambda: ["One ordinary line."])
    with caplog.at_level(logging.WARNING, logger="storyatlas.themes.meaning"):
        vectors = meaning.background_vectors.__wrapped__()
    assert np.allclose(vectors, meaning.encode(["One ordinary line."]))
    assert "background.npz not usable (BadZipFile" in caplog.text
    assert "scripts/encode_background.py" in caplog.text  # what writes it again


def test_broken_examples_leave_the_tagger_without_them_and_say_so(tmp_path, monkeypatch, caplog):
    broken = tmp_path / "examples.npz"
    _damaged(broken)
    monkeypatch.setattr(examples, "_FILE", str(broken))
    with caplog.at_level(logging.WARNING, logger="storyatlas.themes.examples"):
        assert len(examples.shipped.__wrapped__()) == 0
    assert "examples.npz not usable" in caplog.text and "--write-examples" in caplog.text
