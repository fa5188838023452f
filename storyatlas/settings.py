"""Settings are built once (CLI flags > STORYATLAS_* environment > defaults),
validated, and passed in. Nothing reads the environment at import time."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyatlas.errors import ConfigurationError

ENV_PREFIX = "STORYATLAS_"
# old variable names still read (with a warning): old name -> setting
_DEPRECATED = {"MODERATOR_PASSWORD": "admin_password"}
log = logging.getLogger(__name__)
# the names a browser on this machine uses; `storyatlas serve --host` adds the one it binds to
DEFAULT_ALLOWED_HOSTS = ("127.0.0.1", "localhost", "::1")
# CTranslate2's compute types (faster-whisper passes the setting on): anything else failed
# every story's job when the model was loaded, long after the server had started
COMPUTE_TYPES = ("auto", "default", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16",
                 "float16", "bfloat16", "float32")


def _home(setting: str) -> Path:
    try:
        return Path.home()
    except RuntimeError:  # no HOME and no entry in the password file (a container's own user id)
        raise ConfigurationError(f"there is no home folder to keep the {setting} in: set {ENV_PREFIX}"
                                 f"{setting.upper()} (or HOME)") from None


def _default_archive(env: Mapping[str, str]) -> Path:
    data_home = env.get("XDG_DATA_HOME") or str(_home("archive") / ".local" / "share")
    return Path(data_home) / "storyatlas"


def _default_cache(env: Mapping[str, str]) -> Path:
    cache_home = env.get("XDG_CACHE_HOME") or str(_home("cache") / ".cache")
    return Path(cache_home) / "storyatlas"


def _path(raw: str | Path, said_as: str) -> Path:
    try:
        return Path(raw).expanduser()
    except RuntimeError:  # "~someone/..." of nobody on this machine: Python cannot tell where it is
        raise ConfigurationError(f"{said_as}: there is no home folder for {str(raw).split('/')[0]!r} on this "
                                 "machine; give the folder's full path") from None


@dataclass(frozen=True)
class Settings:
    """Everything that can be configured, with its default."""

    archive: Path = field(default_factory=lambda: _default_archive(os.environ))
    """Folder holding the database, the media store and the queue."""
    cache: Path = field(default_factory=lambda: _default_cache(os.environ))
    """Where the joined model weights are kept (shared by all archives of a user)."""
    model: str = "base"
    """`base`, `tiny.en`, or a path to a CTranslate2 Whisper model directory."""
    device: str = "cpu"
    compute_type: str = "auto"
    """`auto` means int8 on CPU, float16 on GPU."""
    cpu_threads: int = 0
    """Threads of one job; 0: the cores shared out among the jobs run at once (``workers``)."""
    workers: int = 1
    """Jobs one worker process runs at once (`storyatlas worker --workers`); the model is
    loaded once and CTranslate2 keeps this many replicas of it, sharing the weights."""
    beam_size: int = 5
    batch_size: int = 0
    """Speech chunks decoded together; 0: by device (8 on a CPU, 16 on a GPU)."""
    vad: bool = True
    translate: bool = True
    """Translate non-English stories into English (the pivot)."""
    max_duration_s: float = 4 * 3600.0
    """Longest recording accepted."""
    max_file_bytes: int = 4 * 1024**3
    """Largest file accepted."""
    admin_password: str = ""
    """When set and the archive has nobody yet, the web app creates the admin `admin` with
    this password at start (`storyatlas users add NAME --role admin` is the other way)."""
    search_cache_size: int = 1024
    """Search answers the web server remembers until the archive changes (0: none)."""
    searches_at_once: int = 0
    """Searches one web server process computes at once, the others waiting their turn;
    0: two, or one on a single core (see storyatlas/web/app.py: SEARCHES_AT_ONCE)."""
    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    """Host names the web archive answers to (`*.example.org` for subdomains, `*` for any);
    a request naming another host is refused, so a foreign site cannot reach it through DNS."""
    min_free_bytes: int = 1024**3
    """Uploads are refused (507) while the archive's disk has less than this free."""
    max_open_uploads: int = 10
    """Unfinished resumable uploads one client address may hold at once."""

    @property
    def resolved_compute_type(self) -> str:
        if self.compute_type != "auto":
            return self.compute_type
        return "float16" if self.device == "cuda" else "int8"

    @property
    def database(self) -> Path:
        return self.archive / "archive.db"

    @property
    def media_dir(self) -> Path:
        return self.archive / "media"

    @property
    def queue_file(self) -> Path:
        return self.archive / "queue.db"

    def validate(self) -> Settings:
        if self.device not in ("cpu", "cuda", "auto"):
            raise ConfigurationError(f"device must be cpu, cuda or auto, not {self.device!r}")
        if self.compute_type not in COMPUTE_TYPES:
            raise ConfigurationError(f"{ENV_PREFIX}COMPUTE_TYPE must be one of {', '.join(COMPUTE_TYPES)} (the "
                                     f"compute types of CTranslate2), not {self.compute_type!r}")
        if self.beam_size < 1:
            raise ConfigurationError("beam_size must be at least 1")
        if not (self.max_duration_s > 0 and self.max_file_bytes > 0):  # not NaN either
            raise ConfigurationError("max_duration_s and max_file_bytes must be positive")
        if self.search_cache_size < 0:
            raise ConfigurationError("search_cache_size must be 0 or more")
        if self.searches_at_once < 0:
            raise ConfigurationError("searches_at_once must be 0 (automatic) or more")
        if self.cpu_threads < 0:
            raise ConfigurationError("cpu_threads must be 0 (automatic) or more")
        if self.workers < 1:
            raise ConfigurationError("workers must be at least 1")
        if self.batch_size < 0:
            raise ConfigurationError("batch_size must be 0 (by device) or more")
        if not self.allowed_hosts:
            raise ConfigurationError("allowed_hosts must name at least one host, or * for any")
        for host in self.allowed_hosts:
            if not host or any(c.isspace() or c in "/@" for c in host) or "*" in host[1:] \
                    or (host.startswith("*") and host != "*" and not host.startswith("*.")):
                raise ConfigurationError(
                    f"allowed_hosts: {host!r} is not a host name; give names such as archive.example.org, "
                    "*.example.org or 192.168.1.20, separated by commas, or * for any")
            # a browser's Host header is compared without its port: with one, no request was answered
            named, colon, port = host.rpartition(":")
            if colon and port.isdigit() and (":" not in named or named.startswith("[")):
                raise ConfigurationError(f"allowed_hosts: {host!r} names a port; give the host name alone "
                                         f"({named.strip('[]')}): it is answered on every port")
        if self.min_free_bytes < 0:
            raise ConfigurationError("min_free_bytes must be 0 or more")
        if self.max_open_uploads < 1:
            raise ConfigurationError("max_open_uploads must be at least 1")
        return self

    def allowing_host(self, host: str) -> Settings:
        """These settings, also answering to ``host`` (what `storyatlas serve --host` binds to)."""
        host = host.strip().strip("[]").lower()
        if host in ("", "0.0.0.0", "::") or "*" in self.allowed_hosts or host in self.allowed_hosts:
            return self  # all interfaces is no name a browser asks for
        return dataclasses.replace(self, allowed_hosts=(*self.allowed_hosts, host))


def host_list(raw: str) -> tuple[str, ...]:
    """``STORYATLAS_ALLOWED_HOSTS``: host names separated by commas."""
    return tuple(h.strip().lower() for h in raw.split(",") if h.strip())


def _coerce(name: str, raw: str, kind: Any) -> Any:
    try:
        if kind is bool:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind is Path:
            return _path(raw, f"{ENV_PREFIX}{name.upper()}={raw!r}")
        return kind(raw)
    except ValueError:
        raise ConfigurationError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {kind.__name__}")


def load_settings(
    overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, then ``STORYATLAS_*`` variables, then explicit overrides (CLI flags)."""
    env = os.environ if env is None else env
    types = {"archive": Path, "cache": Path, "model": str, "device": str, "compute_type": str,
             "cpu_threads": int, "workers": int, "beam_size": int, "batch_size": int, "vad": bool, "translate": bool,
             "max_duration_s": float, "max_file_bytes": int, "search_cache_size": int, "searches_at_once": int,
             "admin_password": str,
             "allowed_hosts": host_list, "min_free_bytes": int, "max_open_uploads": int}
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw:
            values[f.name] = _coerce(f.name, raw, types[f.name])
    for old, new in _DEPRECATED.items():
        if env.get(ENV_PREFIX + old) and new not in values:
            log.warning("%s%s is deprecated: set %s%s instead", ENV_PREFIX, old, ENV_PREFIX, new.upper())
            values[new] = env[ENV_PREFIX + old]
    for key, value in (overrides or {}).items():
        if value is not None:
            values[key] = _path(value, f"--{key}") if types[key] is Path else value
    # only when not given: with no home folder, naming the folders is the way out
    if "archive" not in values:
        values["archive"] = _default_archive(env)
    if "cache" not in values:
        values["cache"] = _default_cache(env)
    return Settings(**values).validate()
