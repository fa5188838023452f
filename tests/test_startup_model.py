"""A speech model cache the machine does not let the archive write (a folder through a
file, a full disk) and a compute type CTranslate2 does not know are said with what to do:
on the command line at start, and as the reason a story's processing failed."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from storyatlas.archive import StoryMetadata, Viewer
from storyatlas.cli import cli
from storyatlas.errors import ConfigurationError, ModelError
from storyatlas.ingest import ingest_file
from storyatlas.jobs import process_job
from storyatlas.settings import COMPUTE_TYPES, load_settings
from storyatlas.transcribe.models import resolve_model
from tests.conftest import story_file


@pytest.fixture
def cache_under_a_file(tmp_path) -> Path:
    (tmp_path / "cache").write_text("a file where the cache folder was meant to be")
    return tmp_path / "cache" / "storyatlas"


def test_a_cache_folder_under_a_file_is_said_with_what_to_do(cache_under_a_file):
    with pytest.raises(ModelError) as refused:
        resolve_model("base", cache_under_a_file)
    assert str(refused.value) == (
        f"cannot keep the speech model in {cache_under_a_file} (Not a directory): set STORYATLAS_CACHE to a "
        "folder this user may write to, with 150 MB free")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full to stand for a full disk")
def test_a_full_disk_is_said_and_leaves_no_half_model(tmp_path):
    target = tmp_path / "whisper-base"
    target.mkdir()
    partial = target / f"model.bin.{os.getpid()}.partial"
    partial.symlink_to("/dev/full")  # every write there: "No space left on device"
    with pytest.raises(ModelError, match=r"\(No space left on device\): set STORYATLAS_CACHE"):
        resolve_model("base", tmp_path)
    assert not partial.is_symlink() and sorted(p.name for p in target.iterdir()) == []


def test_a_story_whose_model_cannot_be_kept_fails_with_that_reason(archive, base_settings, cache_under_a_file):
    """The worker's job failed with "internal error: NotADirectoryError", and the worker
    was left with the exception."""
    settings = dataclasses.replace(base_settings, cache=cache_under_a_file)
    result = ingest_file(archive, story_file("en"), StoryMetadata(), settings, Viewer.keeper("cli:test"))
    job = process_job(settings, result.job_id, archive=archive)
    assert job.state == "failed"
    assert job.message.startswith("cannot keep the speech model in ") and "STORYATLAS_CACHE" in job.message


@pytest.mark.slow
def test_every_compute_type_allowed_is_one_ctranslate2_knows(settings):
    """Each loads the model here or is refused for this machine only, never as unknown."""
    import ctranslate2

    model = str(resolve_model("tiny.en", settings.cache).path)
    for compute_type in COMPUTE_TYPES:
        try:
            ctranslate2.models.Whisper(model, device="cpu", compute_type=compute_type)
        except ValueError as e:  # float16 and the like on a CPU
            assert "Invalid compute type" not in str(e), compute_type
        assert load_settings(env={"STORYATLAS_COMPUTE_TYPE": compute_type}).compute_type == compute_type
    with pytest.raises(ValueError, match="Invalid compute type"):  # what the check refuses, CTranslate2 does
        ctranslate2.models.Whisper(model, device="cpu", compute_type="int4")


@pytest.mark.parametrize("compute_type", ["int4", "fp16", "FLOAT16", "float16 "])
def test_a_compute_type_ctranslate2_does_not_know_is_refused_at_start(compute_type, tmp_path, monkeypatch):
    with pytest.raises(ConfigurationError, match=f"STORYATLAS_COMPUTE_TYPE must be one of {', '.join(COMPUTE_TYPES)}"):
        load_settings(env={"STORYATLAS_COMPUTE_TYPE": compute_type})
    monkeypatch.setenv("STORYATLAS_COMPUTE_TYPE", compute_type)
    result = CliRunner().invoke(cli, ["worker", "--archive", str(tmp_path / "archive")])
    assert result.exit_code == 2 and f"not {compute_type!r}" in result.output, result.output
    assert not (tmp_path / "archive").exists()  # refused before anything was made
