"""Uploads streamed to disk, never buffered whole in memory, with the size limit enforced
as the bytes arrive. Two ways in:

- ``read_multipart``: one multipart/form-data request with many files (the upload page
  and ``POST /api/stories``);
- resumable uploads (the recorder): create, then append chunks at a stated offset, so a
  dropped mobile connection resumes where it stopped instead of starting again.

Files get generated names; the client's file name is kept only as data.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from storyatlas.errors import UploadError

MAX_FIELD_BYTES = 64 * 1024
MAX_FILES = 50
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass
class UploadedFile:
    filename: str
    path: Path
    size: int = 0
    content_type: str = ""


@dataclass
class UploadForm:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def discard(self) -> None:
        for f in self.files:
            f.path.unlink(missing_ok=True)


def _too_big(limit: int) -> UploadError:
    return UploadError(
        f"the upload is bigger than the {limit / 1024**3:g} GiB limit; split the recording "
        "or ask the archive's keepers to raise STORYATLAS_MAX_FILE_BYTES", status=413)


async def read_multipart(request: Request, scratch: Path, max_file_bytes: int) -> UploadForm:
    """Stream a multipart/form-data body: fields into memory (small), files onto disk."""
    content_type, params = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise UploadError("send the form as multipart/form-data", status=415)
    scratch.mkdir(parents=True, exist_ok=True)
    form = UploadForm()
    state: dict = {}

    def on_part_begin() -> None:
        state.update(headers={}, field=b"", value=b"", name=None, file=None, out=None, size=0)

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].decode("latin-1").lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(state["headers"].get("content-disposition"))
        state["name"] = disposition.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in disposition:
            if len(form.files) >= MAX_FILES:
                raise UploadError(f"at most {MAX_FILES} files in one upload", status=413)
            path = scratch / f"{secrets.token_hex(16)}.part"
            state["file"] = UploadedFile(
                filename=disposition[b"filename"].decode("utf-8", "replace"), path=path,
                content_type=state["headers"].get("content-type", b"").decode("latin-1"))
            state["out"] = path.open("wb")
            form.files.append(state["file"])
        else:
            state["data"] = bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        state["size"] += len(chunk)
        if state["file"] is not None:
            if state["size"] > max_file_bytes:
                raise _too_big(max_file_bytes)
            state["out"].write(chunk)
        else:
            if state["size"] > MAX_FIELD_BYTES:
                raise UploadError("a form field is too long", status=413)
            state["data"] += chunk

    def on_part_end() -> None:
        if state["file"] is not None:
            state["out"].close()
            state["file"].size = state["size"]
        elif state["name"]:
            form.fields[state["name"]] = state["data"].decode("utf-8", "replace")

    parser = MultipartParser(params[b"boundary"], {
        "on_part_begin": on_part_begin, "on_header_field": on_header_field,
        "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    })
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except BaseException as e:
        if state.get("out"):
            state["out"].close()
        form.discard()
        if isinstance(e, UploadError):
            raise
        if isinstance(e, Exception):
            raise UploadError(f"the upload arrived incomplete or malformed ({e}); send it again") from e
        raise
    return form


class ResumableUploads:
    """Uploads sent in pieces; each piece says at which offset it starts."""

    def __init__(self, folder: Path, max_bytes: int, max_age_s: float = 86400) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s

    def _path(self, upload_id: str) -> Path:
        if not _UPLOAD_ID.match(upload_id):
            raise UploadError("unknown upload", status=404)
        path = self.folder / f"{upload_id}.part"
        if not path.exists():
            raise UploadError("unknown or expired upload; start it again", status=404)
        return path

    def create(self) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sweep()
        upload_id = secrets.token_urlsafe(18)
        (self.folder / f"{upload_id}.part").touch()
        return upload_id

    def offset(self, upload_id: str) -> int:
        return self._path(upload_id).stat().st_size

    async def append(self, upload_id: str, offset: int, request: Request) -> int:
        path = self._path(upload_id)
        current = path.stat().st_size
        if offset != current:
            raise UploadError(f"this upload continues at byte {current}, not {offset}", status=409)
        with path.open("ab") as out:
            size = current
            try:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _too_big(self.max_bytes)
                    out.write(chunk)
            except BaseException:
                # keep only whole pieces: the client resends this one from `current`
                out.truncate(current)
                raise
        return size

    def take(self, upload_id: str) -> Path:
        """The finished file; the caller ingests and then deletes it."""
        return self._path(upload_id)

    def sweep(self) -> None:
        """Forget uploads abandoned for longer than max_age_s."""
        cutoff = time.time() - self.max_age_s
        for part in self.folder.glob("*.part"):
            if part.stat().st_mtime < cutoff:
                part.unlink(missing_ok=True)
