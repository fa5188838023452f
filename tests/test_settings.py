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
    # the Host header is compared without its port: every request was refused, the name seemingly allowed
    ({"STORYATLAS_ALLOWED_HOSTS": "archive.example.org:8000"},
     "'archive.example.org:8000' names a port; give the host name alone \\(archive.example.org\\)"),
    ({"STORYATLAS_ALLOWED_HOSTS": "[::1]:8000"}, "'\\[::1\\]:8000' names a port"),
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


@pytest.mark.parametrize("env, flags, message", [
    ({"STORYATLAS_ARCHIVE": "~nobody-here-at-all/stories"}, {},
     "STORYATLAS_ARCHIVE='~nobody-here-at-all/stories': there is no home folder for '~nobody-here-at-all'"),
    ({}, {"archive": "~nobody-here-at-all/stories"}, "--archive: there is no home folder for '~nobody-here-at-all'"),
])
def test_a_folder_in_the_home_of_nobody_here_is_named(tmp_path, env, flags, message):
    # Python cannot expand "~name" of no user of this machine: a RuntimeError's traceback before
    with pytest.raises(ConfigurationError, match=message):
        load_settings(flags, env={"XDG_DATA_HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path), **env})


def test_with_no_home_folder_the_folders_can_still_be_named(tmp_path, monkeypatch):
    # a container's user id with no HOME and no entry in the password file
    def homeless(cls):
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", classmethod(homeless))
    with pytest.raises(ConfigurationError, match="no home folder to keep the archive in: set STORYATLAS_ARCHIVE"):
        load_settings(env={})
    s = load_settings(env={"STORYATLAS_ARCHIVE": str(tmp_path / "a"), "STORYATLAS_CACHE": str(tmp_path / "c")})
    assert (s.archive, s.cache) == (tmp_path / "a", tmp_path / "c")


@pytest.mark.parametrize("where", ["a-file/archive", "a-file"])
def test_serving_an_archive_folder_that_cannot_be_made_says_so(tmp_path, monkeypatch, where):
    # a path through a file (or a disk not mounted, or read-only) was an OSError's traceback
    import uvicorn
    from click.testing import CliRunner

    from storyatlas.cli import cli

    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("STORYATLAS_ARCHIVE", str(tmp_path / where))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: pytest.fail("served an archive it cannot have"))
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1
    assert f"Error: cannot make the folder of the archive database {tmp_path / where / 'archive.db'}" in result.output
    assert "Story Atlas on http" not in result.output


def test_ipv6_addresses_are_no_ports(tmp_path):
    assert load_settings(env={"STORYATLAS_ALLOWED_HOSTS": "::1, fe80::1"}).allowed_hosts == ("::1", "fe80::1")


def test_serving_with_processes_says_once_what_stops_them_from_starting(tmp_path, monkeypatch):
    # each of `serve --workers 2`'s processes failed on its own, a traceback each, started again and again
    import uvicorn
    from click.testing import CliRunner

    from storyatlas.cli import cli

    monkeypatch.setenv("STORYATLAS_ARCHIVE", str(tmp_path / "archive"))
    monkeypatch.setenv("STORYATLAS_ADMIN_PASSWORD", "short")
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: pytest.fail("served processes that cannot start"))
    result = CliRunner().invoke(cli, ["serve", "--workers", "2", "--no-worker"])
    assert result.exit_code == 2
    assert "Error: STORYATLAS_ADMIN_PASSWORD must be at least 10 characters long" in result.output
    assert "Story Atlas on http" not in result.output


@pytest.mark.parametrize("env, message", [
    ({"STORYATLAS_MODEL": "small"}, "Error: 'small' is not a model name (base, tiny.en) nor a CTranslate2"),
    ({"STORYATLAS_MODEL": "base", "STORYATLAS_CACHE": "{tmp}/a-file/cache"},
     "Error: cannot keep the speech model in {tmp}/a-file/cache (Not a directory): set STORYATLAS_CACHE"),
])
def test_serving_with_a_worker_finds_its_speech_model_first(tmp_path, monkeypatch, env, message):
    # the server started, and each upload failed afterwards ("internal error: NotADirectoryError ...")
    import uvicorn
    from click.testing import CliRunner

    from storyatlas.cli import cli

    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("STORYATLAS_ARCHIVE", str(tmp_path / "archive"))
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: pytest.fail("served with no speech model"))
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1 and message.format(tmp=tmp_path) in result.output
    assert "Story Atlas on http" not in result.output


def test_serving_on_an_ipv6_address_gives_a_link_that_opens(tmp_path, monkeypatch):
    # "http://::1:8000/" opens nothing
    import uvicorn
    from click.testing import CliRunner

    from storyatlas.cli import cli

    monkeypatch.setenv("STORYATLAS_ARCHIVE", str(tmp_path / "archive"))
    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(kw))
    result = CliRunner().invoke(cli, ["serve", "--host", "::1", "--no-worker"])
    assert result.exit_code == 0 and "Story Atlas on http://[::1]:8000/ " in result.output
    assert served["host"] == "::1"
