"""Consent as data: who may hear a story, until when it is embargoed, how its teller is
named, whether it may be exported; the teller's private link; every change recorded
(who, when, old, new) and shown to the story's moderators."""

from __future__ import annotations

import datetime
import re
import secrets
from dataclasses import dataclass

from storyatlas.archive import Archive, Story, audit, token_hash
from storyatlas.archive.policy import Viewer, may_moderate
from storyatlas.errors import AccessDenied, ConsentError, named, said

VISIBILITIES = ("public", "community", "researchers", "private")
NAMINGS = ("full", "first", "anonymous")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # whole (fullmatch): "$" let a line end follow


@dataclass(frozen=True)
class Consent:
    """What the storyteller agreed to; None in a change means "leave as it is"."""

    visibility: str | None = None
    embargo_until: str | None = None
    """ISO date, or "" to lift the embargo."""
    storyteller_naming: str | None = None
    exportable: bool | None = None

    def validated(self) -> Consent:
        if self.visibility is not None and self.visibility not in VISIBILITIES:
            raise ConsentError(said("who may hear the story must be one of {visibilities}",
                                    visibilities=", ".join(VISIBILITIES)))
        if self.storyteller_naming is not None and self.storyteller_naming not in NAMINGS:
            raise ConsentError(said("the storyteller is named in one of these ways: {namings}",
                                    namings=", ".join(NAMINGS)))
        if self.embargo_until:
            if not _DATE.fullmatch(self.embargo_until):
                raise ConsentError(said("an embargo date looks like 2030-01-31"))
            try:
                datetime.date.fromisoformat(self.embargo_until)
            except ValueError:
                raise ConsentError(said("{date} is not a date in the calendar", date=self.embargo_until)) from None
        return self


@dataclass(frozen=True)
class ConsentChange:
    at: str
    who: str
    field: str
    old: str | None
    new: str | None


def teller_viewer(archive: Archive, token: str) -> Viewer:
    """The storyteller whose private link this is; AccessDenied for a link that is not
    (or no longer) one, so a wrong link and a withdrawn story look the same."""
    row = archive.conn.execute("SELECT id FROM stories WHERE teller_token = ?", (token_hash(token),)).fetchone()
    if not token or row is None:
        raise AccessDenied(said("this link does not open any story: it may be mistyped, or the story was withdrawn"))
    return Viewer.teller(row[0])


def new_teller_link(archive: Archive, story_id: int) -> str | None:
    """A new private link for the story's teller, the one before it opening nothing more;
    None once the story is gone (withdrawn). Only for the sender of the upload that made
    the story, who lost the answer that held the first: the archive keeps no link it could
    give again (only its hash)."""
    token = secrets.token_urlsafe(24)
    with archive.transaction() as c:
        renewed = c.execute("UPDATE stories SET teller_token = ? WHERE id = ? AND teller_token IS NOT NULL",
                            (token_hash(token), story_id)).rowcount
    return token if renewed else None


def _may_change(viewer: Viewer, story: Story) -> bool:
    return story.id in viewer.tells or may_moderate(viewer, story.place.community, story.collection)


def change(archive: Archive, story_id: int, wanted: Consent, viewer: Viewer) -> list[ConsentChange]:
    """Apply a change of consent by the story's teller (by their link) or one of its
    moderators; record each field changed, and audit it. Returns the changes made.

    When the teller widens who may hear a story already published, the new choice waits
    for a moderator, like a new story; narrowing applies at once.
    """
    wanted = wanted.validated()
    story = archive.story(story_id, viewer)
    if not _may_change(viewer, story):
        raise AccessDenied(said("only the storyteller (by their link) or the story's moderators may change its "
                                "consent"))
    row = archive.conn.execute("SELECT * FROM stories WHERE id = ?", (story_id,)).fetchone()
    updates: dict[str, object] = {}
    if wanted.visibility is not None:
        updates.update(_visibility(row, wanted.visibility,
                                   may_moderate(viewer, story.place.community, story.collection)))
    if wanted.embargo_until is not None and (wanted.embargo_until or None) != row["embargo_until"]:
        updates["embargo_until"] = wanted.embargo_until or None
    if wanted.storyteller_naming is not None and wanted.storyteller_naming != row["storyteller_naming"]:
        updates["storyteller_naming"] = wanted.storyteller_naming
    if wanted.exportable is not None and int(wanted.exportable) != row["exportable"]:
        updates["exportable"] = int(wanted.exportable)
    if not updates:
        return []
    who = viewer.label()
    made = []
    with archive.transaction() as c:
        c.execute(f"UPDATE stories SET {', '.join(f'{k} = ?' for k in updates)} WHERE id = ?",
                  (*updates.values(), story_id))
        for name, new in updates.items():
            old = row[name]
            if old == new:  # made private, nothing was waiting: no change to record
                continue
            c.execute("INSERT INTO consent_changes (story_id, who, field, old, new) VALUES (?, ?, ?, ?, ?)",
                      (story_id, who, name, _text(old), _text(new)))
            audit.record(c, who, "consent", story_id, said("{field}: {before} -> {after}", field=named(
                "consent field", name), before=named(name, _text(old)), after=named(name, _text(new))))
            made.append(ConsentChange("", who, name, _text(old), _text(new)))
    return made


def _visibility(row, wanted: str, moderator: bool) -> dict[str, object]:
    """The columns to change so that ``wanted`` is who may hear the story: at once when
    it narrows the audience (or a moderator asks, on a published story); otherwise it
    waits for a moderator's review, like a new story."""
    waiting = row["requested_visibility"] is not None
    if wanted == (row["requested_visibility"] if waiting else row["visibility"]):
        return {}
    if wanted == "private":
        return {"visibility": "private", "requested_visibility": None}
    if waiting:
        return {"requested_visibility": wanted}
    narrower = row["visibility"] == "public" and not row["declined"]
    if moderator or narrower:
        return {"visibility": wanted}
    return {"requested_visibility": wanted}


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def changes(archive: Archive, story_id: int, viewer: Viewer) -> list[ConsentChange]:
    """The story's consent history, for its moderators and its teller."""
    story = archive.story(story_id, viewer)
    if not _may_change(viewer, story):
        raise AccessDenied(said("only the story's moderators see its consent history"))
    return [ConsentChange(*r) for r in archive.conn.execute(
        "SELECT at, who, field, old, new FROM consent_changes WHERE story_id = ? ORDER BY id", (story_id,))]
