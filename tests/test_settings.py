from pathlib import Path

import pytest

from storyatlas.errors import ConfigurationError
from storyatlas.settings import load_settings


def test_defaults_live_in_the_users_data_folder(tmp_path):
    s = load_settings(env={"XDG_DATA_HOME": str(tmp_path)})
    assert s.archive == tmp_path / "storyatlas"
    assert s.database == tmp_path / "storyatlas" / "archive.db"
    assert (s.model, s.resolved_compute_type) == ("base", "int8")


def test_flags_beat_the_environment_which_beats_defaults(tmp_path):
    env = {"STORYATLAS_ARCHIVE": str(tmp_path / "env"), "STORYATLAS_MODEL": "tiny.en",
           "STORYATLAS_MAX_DURATION_S": "60", "STORYATLAS_TRANSLATE": "no", "STORYATLAS_SEARCHES_AT_ONCE": "3"}
    s = load_settings({"archive": tmp_path / "flag", "model": None}, env=env)
    assert s.archive == Path(tmp_path / "flag")
    assert (s.model, s.max_duration_s, s.translate, s.searches_at_once) == ("tiny.en", 60.0, False, 3)


@pytest.mark.parametrize("env, message", [
    ({"STORYATLAS_BEAM_SIZE": "five"}, "STORYATLAS_BEAM_SIZE='five' is not a valid int"),
    ({"STORYATLAS_VAD": "maybe"}, "STORYATLAS_VAD='maybe' is not a valid bool"),
    ({"STORYATLAS_DEVICE": "tpu"}, "device must be cpu, cuda or auto"),
    ({"STORYATLAS_MAX_DURATION_S": "-1"}, "must be positive"),
    ({"STORYATLAS_SEARCHES_AT_ONCE": "-2"}, "searches_at_once must be 0"),
])
def test_bad_values_are_named(env, message):
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(")):
        load_settings(env=env)
