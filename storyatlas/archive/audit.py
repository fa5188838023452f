"""The audit log: who did what, when (sign-ins, people and roles, consent, publication).

Entries never hold a story's words, title or place, nor a password: only who acted,
the action, the story's number and a short detail. Only admins may read the log.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storyatlas.archive.policy import Viewer
from storyatlas.errors import AccessDenied, said, said_as_json, said_from_json

if TYPE_CHECKING:
    from storyatlas.archive import Archive


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    who: str
    action: str
    story_id: int | None
    detail: str | None


def record(conn_or_archive: sqlite3.Connection | Archive, who: str | Viewer, action: str,
           story_id: int | None = None, detail: str | None = None) -> None:
    """Write one entry. Pass the connection of an open transaction so the entry is
    committed (or rolled back) with the change it records."""
    conn = conn_or_archive if isinstance(conn_or_archive, sqlite3.Connection) else conn_or_archive.conn
    if isinstance(who, Viewer):
        who = who.label()
    conn.execute("INSERT INTO audit (who, action, story_id, detail, detail_said) VALUES (?, ?, ?, ?, ?)",
                 (who, action, story_id, detail, said_as_json(detail)))


def entries(archive: Archive, viewer: Viewer, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
    """The newest entries first; admins only."""
    _admins_only(viewer)
    rows = archive.conn.execute(
        f"SELECT {_COLUMNS} FROM audit ORDER BY id DESC LIMIT ? OFFSET ?",
        (max(0, int(limit)), max(0, int(offset)))).fetchall()
    return [_entry(row) for row in rows]


def count(archive: Archive, viewer: Viewer) -> int:
    """How many entries the log holds; admins only."""
    _admins_only(viewer)
    return archive.conn.execute("SELECT count(*) FROM audit").fetchone()[0]


def last(archive: Archive, viewer: Viewer, action: str) -> AuditEntry | None:
    """The newest entry of ``action`` (when the last backup was made); admins only."""
    _admins_only(viewer)
    row = archive.conn.execute(
        f"SELECT {_COLUMNS} FROM audit WHERE action = ? ORDER BY id DESC LIMIT 1", (action,)).fetchone()
    return _entry(row) if row else None


def _admins_only(viewer: Viewer) -> None:
    if not isinstance(viewer, Viewer) or not viewer.is_admin:
        raise AccessDenied(said("only the archive's admins may read the audit log: sign in as an admin"))


_COLUMNS = "id, at, who, action, story_id, detail, detail_said"


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(*row[:5], said_from_json(row[5], row[6]))
