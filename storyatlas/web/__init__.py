"""The Starlette web archive (``app.create_app``); the core never imports it."""

import re

from starlette.convertors import IntegerConvertor, register_url_convertor

# a row's id as typed: at most 18 digits. A longer number is no row's id, and SQLite
# cannot take one past 2^63-1: it raised OverflowError, a server error where the
# visitor should read "not found"
_ROW_ID = "[0-9]{1,18}"


class RowId(IntegerConvertor):
    """A row's id in a path (``{id:rowid}``)."""

    regex = _ROW_ID


register_url_convertor("rowid", RowId())


def row_id(value: str | None) -> int | None:
    """A row's id (or revision number) from a form field or a query parameter; None when
    it is not one (empty, not ASCII digits, too long)."""
    value = (value or "").strip()
    return int(value) if re.fullmatch(_ROW_ID, value) else None


def reading(request) -> bool:
    """Whether the request only reads: Starlette answers HEAD on every GET route, and a HEAD
    must not run what a POST does (sign in, upload)."""
    return request.method in ("GET", "HEAD")
