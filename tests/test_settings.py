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


@pytest.mark.parametrize("env, message", [
    ({"STORYATLAS_BEAM_SIZE": "0"}, "beam_size must be at least 1"),
    ({"STORYATLAS_MAX_FILE_BYTES": "0"}, "must be positive"),
    ({"STORYATLAS_MAX_DURATION_S": "nan"}, "must be positive"),  # no comparison holds for NaN: no limit
    ({"STORYATLAS_SEARCH_CACHE_SIZE": "-1"}, "search_cache_size must be 0 or more"),
    ({"STORYATLAS_CPU_THREADS": "-1"}, "cpu_threads must be 0"),
    ({"STORYATLAS_WORKERS": "0"}, "workers must be at least 1"),
    ({"STORYATLAS_BATCH_SIZE": "-1"}, "batch_size must be 0"),
    ({"STORYATLAS_MIN_FREE_BYTES": "-1"}, "min_free_bytes must be 0 or more"),
    ({"STORYATLAS_MAX_OPEN_UPLOADS": "0"}, "max_open_uploads must be at least 1"),
    ({"STORYATLAS_ALLOWED_HOSTS": " , "}, "allowed_hosts must name at least one host"),
    ({"STORYATLAS_ALLOWED_HOSTS": "archive example.org"}, "'archive example.org' is not a host name"),
    ({"STORYATLAS_ALLOWED_HOSTS": "*example.org"}, "'\\*example.org' is not a host name"),
    ({"STORYATLAS_ALLOWED_HOSTS": "archive.*.org"}, "'archive.\\*.org' is not a host name"),
])
def test_every_limit_is_checked(env, message):
    with pytest.raises(ConfigurationError, match=message):
        load_settings(env=env)


def test_values_are_read_as_people_write_them(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    env = {"STORYATLAS_VAD": "off", "STORYATLAS_TRANSLATE": "yes", "STORYATLAS_CACHE": "~/models",
           "XDG_DATA_HOME": str(tmp_path / "data"), "STORYATLAS_DEVICE": "cuda",
           "STORYATLAS_ALLOWED_HOSTS": "Archive.Example.org, *.example.org"}
    s = load_settings({"archive": "~/stories"}, env=env)
    assert (s.vad, s.translate) == (False, True)
    assert (s.archive, s.cache) == (tmp_path / "stories", tmp_path / "models")
    assert s.resolved_compute_type == "float16"  # on a GPU
    assert s.allowed_hosts == ("archive.example.org", "*.example.org")
    assert load_settings(env={"XDG_CACHE_HOME": str(tmp_path / "c")}).cache == tmp_path / "c" / "storyatlas"
    assert load_settings(env={"STORYATLAS_VAD": "on"}).vad is True


def test_serving_on_a_host_answers_to_its_name(tmp_path):
    s = load_settings({"archive": tmp_path})
    assert s.allowing_host("Archive.Local").allowed_hosts == (*s.allowed_hosts, "archive.local")
    assert s.allowing_host("[fe80::1]").allowed_hosts[-1] == "fe80::1"
    for every_interface in ("0.0.0.0", "::", ""):  # no name a browser asks for
        assert s.allowing_host(every_interface) is s
    assert s.allowing_host("[::1]") is s  # named already
    anyone = load_settings({"archive": tmp_path}, env={"STORYATLAS_ALLOWED_HOSTS": "*"})
    assert anyone.allowing_host("archive.local") is anyone
