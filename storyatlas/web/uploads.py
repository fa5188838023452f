"""Uploads streamed to disk, never buffered whole in memory, with the size limit enforced
as the bytes arrive. Two ways in:

- ``read_multipart``: one multipart/form-data request with many files (the upload page
  and ``POST /api/stories``);
- resumable uploads (the recorder): create, then append chunks at a stated offset, so a
  dropped mobile connection resumes where it stopped instead of starting again.

Files get generated names; the client's file name is kept only as data. What one request
or one client can hold is bounded: form fields in number and size, resumable uploads per
client address in number and bytes, and nothing is taken in while the archive's disk is
nearly full. Each resumable upload takes one piece at a time; once finished, the answer
it was given takes its place for a while, so a finish sent again gets that answer again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from storyatlas.errors import UploadError, said

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 100
MAX_FIELDS_TOTAL_BYTES = 1024 * 1024
"""A form's fields (not its files) together: 6,000 large fields once held 350 MB in memory."""
MAX_PART_HEADER_BYTES = 16 * 1024
MAX_FILES = 50
# how often, in bytes written, a long upload looks again at the free space and its client's total
_RECHECK_BYTES = 1024 * 1024
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")  # fullmatch: "$" let a line end follow
FINISH_RETRY_S = 5
"""How long a finish sent again while the first still takes the file in is told to wait."""
Answer = tuple[int, dict]
"""A finish's HTTP status and JSON body."""
NEW_LINK = "new_link"
"""In a kept answer: the story's teller is to be given a new private link with it."""


@dataclass
class UploadedFile:
    filename: str
    """As the sender named it: data, never a path."""
    path: Path


@dataclass
class UploadForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def discard(self) -> None:
        for f in self.files:
            f.path.unlink(missing_ok=True)


def client_address(request: Request) -> str:
    """Whom limits per client count against: the address the request came from."""
    return request.client.host if request.client else "unknown"


def _too_big(limit: int) -> UploadError:
    return UploadError(
        said("the upload is bigger than the {limit:g} GiB limit; split the recording "
             "or ask the archive's keepers to raise STORYATLAS_MAX_FILE_BYTES", limit=limit / 1024**3),
        status=413)


def check_free_space(folder: Path, min_free_bytes: int, incoming: int = 0) -> None:
    """Refuse (507) when taking ``incoming`` more bytes would leave less than ``min_free_bytes``
    free on the disk holding ``folder``."""
    if min_free_bytes <= 0:
        return
    free = shutil.disk_usage(folder).free
    if free - incoming < min_free_bytes:
        raise UploadError(
            said("the archive's disk is nearly full ({free:,.0f} MB free, {kept:,.0f} MB are kept free); "
                 "no upload can be taken until its keepers make room: try again later",
                 free=free / 1024**2, kept=min_free_bytes / 1024**2), status=507)


def _declared_length(request: Request) -> int:
    try:
        return max(0, int(request.headers.get("content-length", "0")))
    except ValueError:
        return 0


def _min_free(request: Request, min_free_bytes: int | None) -> int:
    if min_free_bytes is not None:
        return min_free_bytes
    # callers that do not say (the upload page) get the archive's setting
    settings = getattr(getattr(getattr(request, "app", None), "state", None), "settings", None)
    return getattr(settings, "min_free_bytes", 0)


async def read_multipart(request: Request, scratch: Path, max_file_bytes: int, *,
                         max_fields: int = MAX_FIELDS, max_fields_bytes: int = MAX_FIELDS_TOTAL_BYTES,
                         min_free_bytes: int | None = None) -> UploadForm:
    """Stream a multipart/form-data body: fields into memory (at most ``max_fields`` of
    them, ``max_fields_bytes`` in all), files onto disk while at least ``min_free_bytes``
    stay free there (default: the app's ``min_free_bytes`` setting)."""
    content_type, params = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise UploadError(said("send the form as multipart/form-data"), status=415)
    scratch.mkdir(parents=True, exist_ok=True)
    min_free = _min_free(request, min_free_bytes)
    declared = _declared_length(request)
    # every part may bring its headers and boundary besides its bytes
    per_part = 2 * MAX_PART_HEADER_BYTES + len(params[b"boundary"]) + 16
    if declared > MAX_FILES * (max_file_bytes + per_part) + max_fields * per_part + max_fields_bytes:
        raise _too_big(max_file_bytes)  # said before the disk is looked at: no disk would be big enough
    check_free_space(scratch, min_free, declared)
    form = UploadForm()
    state: dict = {}
    totals = {"fields": 0, "field_bytes": 0, "written": 0, "ended": 0}

    def on_part_begin() -> None:
        state.update(headers={}, field=b"", value=b"", name=None, file=None, out=None, size=0, header_bytes=0)

    def count_header(length: int) -> None:
        state["header_bytes"] += length
        if state["header_bytes"] > MAX_PART_HEADER_BYTES:
            raise UploadError(said("a part of the form has headers that are too long; "
                                   "send the form as a browser does"), status=413)

    def on_header_field(data: bytes, start: int, end: int) -> None:
        count_header(end - start)
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        count_header(end - start)
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].decode("latin-1").lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(state["headers"].get("content-disposition"))
        state["name"] = disposition.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in disposition:
            if len(form.files) >= MAX_FILES:
                raise UploadError(said("at most {count} files in one upload", count=MAX_FILES), status=413)
            path = scratch / f"{secrets.token_hex(16)}.part"
            state["file"] = UploadedFile(disposition[b"filename"].decode("utf-8", "replace"), path)
            state["out"] = path.open("wb")
            form.files.append(state["file"])
        else:
            totals["fields"] += 1
            if totals["fields"] > max_fields:
                raise UploadError(said("the form has more than {count} fields; send the story's fields "
                                       "(title, place, language...) and its files, nothing more",
                                       count=max_fields), status=413)
            state["data"] = bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        state["size"] += len(chunk)
        if state["file"] is not None:
            if state["size"] > max_file_bytes:
                raise _too_big(max_file_bytes)
            state["out"].write(chunk)
            totals["written"] += len(chunk)
            if totals["written"] >= _RECHECK_BYTES:
                totals["written"] = 0
                check_free_space(scratch, min_free)
        else:
            if state["size"] > MAX_FIELD_BYTES:
                raise UploadError(said("a form field is too long"), status=413)
            totals["field_bytes"] += len(chunk)
            if totals["field_bytes"] > max_fields_bytes:
                raise UploadError(said("the form's fields hold more than {size} KB in all; "
                                       "shorten the description or the other texts", size=max_fields_bytes // 1024),
                                  status=413)
            state["data"] += chunk

    def on_part_end() -> None:
        if state["file"] is not None:
            state["out"].close()
        elif state["name"]:
            form.fields[state["name"]] = state["data"].decode("utf-8", "replace")

    parser = MultipartParser(params[b"boundary"], {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end, "on_end": lambda: totals.update(ended=1),
    })
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        if not totals["ended"]:  # the parser takes a body cut off mid-part as complete
            raise UploadError(said("the upload ended before the form did, so its last file is incomplete; "
                                   "send it again"))
    except BaseException as e:
        if state.get("out"):
            state["out"].close()
        form.discard()
        if isinstance(e, UploadError):
            raise
        if isinstance(e, Exception):
            raise UploadError(said("the upload arrived incomplete or malformed ({detail}); send it again",
                                   detail=str(e))) from e
        raise
    return form


def _lock(f: IO[bytes], busy: str) -> None:
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise UploadError(busy, status=409) from None


def _still_there(f: IO[bytes], path: Path) -> bool:
    # finished (and removed) while this request waited to open it
    try:
        return os.fstat(f.fileno()).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False


class ResumableUploads:
    """Uploads sent in pieces; each piece says at which offset it starts.

    An upload is ``<id>.part`` in ``folder``, with ``<id>.client`` naming the address that
    opened it. A piece being written holds an exclusive lock on the file (across server
    processes too), so a second piece, or finishing, waits for it rather than mixing in.
    A finish holds the lock of ``<id>.client`` too, so one sent again meanwhile is told
    so; once done, ``<id>.done`` keeps its answer as long as the upload would have been kept.
    """

    def __init__(self, folder: Path, max_bytes: int, max_age_s: float = 86400,
                 max_client_bytes: int | None = None, max_open_total: int = 1000) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s
        self.max_client_bytes = max_bytes if max_client_bytes is None else max_client_bytes
        """What one address's unfinished uploads may hold together."""
        self.max_open_total = max_open_total
        self._swept: float | None = None

    def _path(self, upload_id: str) -> Path:
        if not _UPLOAD_ID.fullmatch(upload_id):
            raise UploadError(said("unknown upload"), status=404)
        path = self.folder / f"{upload_id}.part"
        if not path.exists():
            raise UploadError(said("unknown or expired upload; start it again"), status=404)
        return path

    @contextlib.contextmanager
    def _folder_locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _owners(self) -> dict[str, str]:
        owners = {}
        for marker in self.folder.glob("*.client"):
            with contextlib.suppress(OSError):
                owners[marker.stem] = marker.read_text(encoding="utf-8")
        return owners

    def _client_bytes(self, client: str, but: str) -> int:
        total = 0
        for upload_id, owner in self._owners().items():
            if owner == client and upload_id != but:
                with contextlib.suppress(OSError):
                    total += (self.folder / f"{upload_id}.part").stat().st_size
        return total

    def _check_free(self, min_free_bytes: int, incoming: int = 0) -> None:
        try:
            check_free_space(self.folder, min_free_bytes, incoming)
        except UploadError:
            self.sweep()  # uploads abandoned long ago may be what holds the space
            check_free_space(self.folder, min_free_bytes, incoming)

    def create(self, client: str = "unknown", max_open: int = 10, min_free_bytes: int = 0) -> str:
        """A new upload for ``client``, who may hold at most ``max_open`` unfinished ones."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sweep()
        check_free_space(self.folder, min_free_bytes)
        with self._folder_locked():
            owners = self._owners()
            mine = sum(1 for owner in owners.values() if owner == client)
            if mine >= max_open:
                raise UploadError(
                    said("{count} unfinished uploads are already open from your address (at most {limit}); "
                         "finish them, or wait until they expire ({hours:g} h after their last "
                         "piece), before starting another", count=mine, limit=max_open,
                         hours=self.max_age_s / 3600), status=429)
            if len(owners) >= self.max_open_total:
                raise UploadError(said("the archive is taking in too many uploads at once; "
                                       "try again in a few minutes"), status=503)
            upload_id = secrets.token_urlsafe(18)
            (self.folder / f"{upload_id}.client").write_text(client, encoding="utf-8")
            (self.folder / f"{upload_id}.part").touch()
        return upload_id

    def offset(self, upload_id: str) -> int:
        return self._path(upload_id).stat().st_size

    async def append(self, upload_id: str, offset: int, request: Request, min_free_bytes: int = 0) -> int:
        """Write the request's body at ``offset``; answers 409 while another piece is being written."""
        path = self._path(upload_id)
        self.sweep(every=60)
        try:
            # never O_CREAT: an upload finished a moment ago must not come back empty
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:
            raise UploadError(said("unknown or expired upload; start it again"), status=404) from None
        with open(fd, "ab") as out:
            _lock(out, said("another piece of this upload is being sent right now; wait until it has arrived, "
                            "then ask for the offset (GET) and go on from there"))
            if not _still_there(out, path):
                raise UploadError(said("unknown or expired upload; start it again"), status=404)
            current = os.fstat(out.fileno()).st_size
            if offset != current:
                raise UploadError(said("this upload continues at byte {current}, not {offset}", current=current,
                                       offset=offset), status=409)
            declared = _declared_length(request)
            if current + declared > self.max_bytes:  # no disk would be big enough: not a full disk's fault
                raise _too_big(self.max_bytes)
            self._check_free(min_free_bytes, declared)
            client = (self.folder / f"{upload_id}.client").read_text(encoding="utf-8") \
                if (self.folder / f"{upload_id}.client").exists() else "unknown"
            others = self._client_bytes(client, but=upload_id)
            size, unchecked = current, 0
            try:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _too_big(self.max_bytes)
                    if others + size > self.max_client_bytes:
                        others = self._client_bytes(client, but=upload_id)  # some may have finished
                        if others + size > self.max_client_bytes:
                            raise UploadError(
                                said("the unfinished uploads from your address would hold more than "
                                     "{limit:g} GiB together; finish those already sent before sending more",
                                     limit=self.max_client_bytes / 1024**3), status=413)
                    out.write(chunk)
                    unchecked += len(chunk)
                    if unchecked >= _RECHECK_BYTES:
                        unchecked = 0
                        self._check_free(min_free_bytes)
                        others = self._client_bytes(client, but=upload_id)
            except BaseException:
                # keep only whole pieces: the client resends this one from `current`
                out.flush()
                out.truncate(current)
                raise
        return size

    def answer(self, upload_id: str) -> Answer | None:
        """What finishing the upload answered, while it is kept (``max_age_s``): the answer
        may have been lost on its way, and only it held the storyteller's private link
        (not kept: ``NEW_LINK`` says the teller is to get a new one)."""
        if not _UPLOAD_ID.fullmatch(upload_id):
            return None
        done = self.folder / f"{upload_id}.done"
        try:
            if done.stat().st_mtime < time.time() - self.max_age_s:
                return None
            kept = json.loads(done.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return kept["status"], kept["answer"]

    async def finish(self, upload_id: str, take_in: Callable[[Path], Awaitable[Answer]]) -> Answer:
        """Take the finished file in with ``take_in`` while no piece can be added (409 while
        one is still arriving, or while another finish runs), and answer as it did. Once
        ``take_in`` has answered, the upload gives way to its answer, which a finish sent
        again gets; when ``take_in`` fails (bad metadata, a database busy for a moment),
        the upload stays to be finished again."""
        kept = self.answer(upload_id)
        if kept is not None:
            return kept
        with contextlib.ExitStack() as held:
            try:
                path = self._held_for_finishing(upload_id, held)
            except UploadError as e:
                if e.status == 404 and (kept := self.answer(upload_id)) is not None:
                    return kept  # finished by another request since the look above
                raise
            answer = await take_in(path)
            self._keep(upload_id, answer)  # before the upload goes, so that one of them is always there
            path.unlink(missing_ok=True)
            (self.folder / f"{upload_id}.client").unlink(missing_ok=True)
        return answer

    def _held_for_finishing(self, upload_id: str, held: contextlib.ExitStack) -> Path:
        path = self._path(upload_id)
        try:
            marker = held.enter_context((self.folder / f"{upload_id}.client").open("rb"))
        except FileNotFoundError:
            pass  # being removed by a finish just done: the file's own lock and look below say so
        else:
            try:
                fcntl.flock(marker.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UploadError(said("this upload is being finished right now; ask again in a few seconds "
                                       "to get its answer"), status=409, retry_after=FINISH_RETRY_S) from None
        try:
            part = held.enter_context(path.open("rb"))
        except FileNotFoundError:
            raise UploadError(said("unknown or expired upload; start it again"), status=404) from None
        _lock(part, said("a piece of this upload is still being sent; finish the upload once it has arrived"))
        if not _still_there(part, path):
            raise UploadError(said("unknown or expired upload; start it again"), status=404)
        return path

    def _keep(self, upload_id: str, answer: Answer) -> None:
        # never the storyteller's private link, of which the archive keeps only the hash:
        # a finish sent again is given a new one (NEW_LINK)
        status, body = answer
        kept = {k: v for k, v in body.items() if k not in ("receipt", "link")}
        if "receipt" in body:
            kept[NEW_LINK] = True
        done = self.folder / f"{upload_id}.done"
        partial = self.folder / f"{upload_id}.done-{secrets.token_hex(4)}"
        try:
            with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w",
                           encoding="utf-8") as out:
                json.dump({"status": status, "answer": kept}, out)
            os.replace(partial, done)  # whole or not at all, for a finish sent again reading it
        finally:
            partial.unlink(missing_ok=True)

    def sweep(self, every: float = 0) -> None:
        """Forget uploads abandoned for longer than max_age_s, and answers kept as long; with
        ``every``, only if the last sweep (of this process) was at least that many seconds ago."""
        now = time.monotonic()
        if every and self._swept is not None and now - self._swept < every:
            return
        self._swept = now
        if not self.folder.exists():
            return
        cutoff = time.time() - self.max_age_s
        with self._folder_locked():
            for part in self.folder.glob("*.part"):
                with contextlib.suppress(OSError):
                    if part.stat().st_mtime >= cutoff:  # most are: only the old ones are opened
                        continue
                    with part.open("rb") as held:
                        try:
                            fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                        except BlockingIOError:
                            continue  # a piece is arriving, or it is being finished, right now
                        if part.stat().st_mtime < cutoff:  # no piece came since the first look
                            part.unlink(missing_ok=True)
            for done in self.folder.glob("*.done"):
                with contextlib.suppress(OSError):
                    if done.stat().st_mtime < cutoff:
                        done.unlink(missing_ok=True)
            for marker in self.folder.glob("*.client"):
                if not marker.with_suffix(".part").exists():
                    marker.unlink(missing_ok=True)
