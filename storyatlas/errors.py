"""One small hierarchy of errors. Every message says what happened and what to do.

Third-party exceptions are translated into these at one place per dependency
(``ingest.probe`` for PyAV/ffmpeg, ``transcribe.whisper`` for faster-whisper,
``archive.db`` for SQLite), so the shells only ever see ``StoryAtlasError``.

A message for people is made with ``said``: English for the command line and the logs,
and its template and values kept, so that the web says it in the reader's language
(``web/locales/errors/*.json``, keyed by the English template).
"""

from __future__ import annotations

import json
from typing import Any, Callable


class Said(str):
    """A message in English that keeps the template and values it was made from."""

    template: str
    values: dict[str, Any]


class Named(str):
    """A code inside a message (a role, a visibility, a consent field), in English as the
    code itself, as the command line has always shown it; the web names it by its kind."""

    kind: str
    value: Any


def named(kind: str, value: Any, english: str | None = None) -> Named:
    """``value``, a code of ``kind`` (a consent field's name, "roles", "review"), to be
    named in the reader's language; ``english`` where its English is not ``str(value)``."""
    text = Named(str(value) if english is None else english)
    text.kind, text.value = kind, value
    return text


def said(template: str, /, **values: Any) -> Said:
    """``template.format(**values)``, remembering both. Values are numbers or text
    (another ``Said`` is said in the reader's language too; a list of them, one after the
    other; a ``Named`` code, named), never English words to be translated: those belong
    in the template."""
    text = Said(template.format(**{k: shown(v, str) for k, v in values.items()}))
    text.template, text.values = template, values
    return text


def shown(value: Any, say: Callable[[Any], str]) -> Any:
    """A value as its template shows it: a list of messages, each said, separated by "; "."""
    return "; ".join(say(v) for v in value) if isinstance(value, list) else value


def said_as_json(message: str | None) -> str | None:
    """A message's template and values, to be stored beside its English (a job's message, a
    revision's summary, an audit entry's detail)."""
    if not isinstance(message, Said):
        return None
    # default=str: a value that is not plain JSON must not stop a failure being stored
    return json.dumps(_plain(message), ensure_ascii=False, default=str)


def said_from_json(english: str | None, stored: str | None) -> str | None:
    """The message stored with ``said_as_json``; the English alone where nothing was stored."""
    if english is None or not stored:
        return english
    return _restored(json.loads(stored))


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Named):
        return {"named": value.kind, "value": value.value, "english": str(value)}
    if isinstance(value, Said):
        return {"template": value.template, "values": {k: _plain(v) for k, v in value.values.items()}}
    return value


def _restored(value: Any) -> Any:
    if isinstance(value, list):
        return [_restored(v) for v in value]
    if isinstance(value, dict) and "named" in value:
        return named(value["named"], value["value"], value["english"])
    if isinstance(value, dict):
        return said(value["template"], **{k: _restored(v) for k, v in value["values"].items()})
    return value


def reason(exc: BaseException) -> str:
    """What an error says went wrong, without the file it names (a path on the server)."""
    if isinstance(exc, MediaError):
        return exc.reason
    return exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)


class StoryAtlasError(Exception):
    """Base class: an expected failure with a one-line, actionable message."""

    exit_code = 1


class ConfigurationError(StoryAtlasError):
    """A setting is missing or wrong."""

    exit_code = 2


class MediaError(StoryAtlasError):
    """A file cannot be taken into the archive (not media, no audio, empty, too long...)."""

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path, self.reason = path, message
        super().__init__(f"{path}: {message}" if path else message)


class UploadError(MediaError):
    """An upload broke a limit or the protocol (too big, too many files, bad offset).

    ``retry_after``: the seconds to wait before asking again, where asking again will do.
    """

    def __init__(self, message: str, status: int = 400, retry_after: int | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


class ModelError(StoryAtlasError):
    """A speech model is missing, broken or not usable for the request."""


class TranscriptionError(StoryAtlasError):
    """The speech model failed on a recording."""


class SearchError(StoryAtlasError):
    """A query cannot be run, or the index cannot be reached."""


class VocabularyError(StoryAtlasError):
    """A theme cannot be added as asked (a malformed id, or one already taken)."""


class NotFound(StoryAtlasError):
    """The story (or other record) asked for does not exist."""

    exit_code = 3


class AccessDenied(StoryAtlasError):
    """The caller may not see or change this."""

    exit_code = 4


class AccountError(StoryAtlasError):
    """A person cannot be added or changed as asked (a taken name, a short password...)."""


class SignInRefused(AccessDenied):
    """A sign-in was refused: wrong name or password (403), or too many failures (429).

    ``retry_after`` is the number of seconds to wait when the attempts were rate-limited.
    """

    def __init__(self, message: str, status: int = 403, retry_after: int | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


class ConsentError(StoryAtlasError):
    """A consent choice is not one the archive knows (a visibility, a naming, a date)."""


class TranscriptError(StoryAtlasError):
    """A transcript file cannot be imported: not WebVTT, SRT or OHMS XML, malformed,
    unsafe XML, or times that do not fit the recording."""


class IndexPointError(StoryAtlasError):
    """An index point or review state cannot be stored as asked (no title, a time outside
    the recording, a theme the vocabulary does not have, an unknown review state)."""


class CorrectionError(StoryAtlasError):
    """A correction cannot be made as asked (no segment at that time, a split outside the
    segment, an empty text, an unknown speaker role)."""


class Conflict(StoryAtlasError):
    """Someone else saved a newer revision since the caller loaded theirs: reload first."""

    exit_code = 5
