"""The typed, frozen records the archive hands out."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field, replace

from storyatlas.errors import MediaError, said
from storyatlas.text import as_kept, printed

_RECORDED = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)
_LANGUAGE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True)
class Place:
    community: str | None = None
    region: str | None = None
    country: str | None = None
    """ISO 3166-1 alpha-2 code, upper case."""

    @classmethod
    def parse(cls, text: str | None) -> Place:
        """``"Zgorzelec, Lower Silesia, PL"`` -> community, region, country code.

        The last part is taken as the country when it is a two-letter code.
        """
        if not text:
            return cls()
        # accents and spaces written one way (NFC, single spaces), as the access policy
        # compares communities bytewise with the moderators' and members' (a "Görlitz" typed
        # with a combining umlaut, or "Nowa  Wieś" with two spaces, was another community)
        parts = [" ".join(p.split()) for p in as_kept(text).split(",") if p.strip()]
        country = None
        if parts and len(parts[-1]) == 2 and parts[-1].isalpha():
            country = parts.pop().upper()
        community = parts[0] if parts else None
        region = ", ".join(parts[1:]) or None
        return cls(community, region, country)

    def __str__(self) -> str:
        return ", ".join(p for p in (self.community, self.region, self.country) if p)


LINE_MAX = 500
"""A title, a storyteller's name, a collection: as long as the web's forms let them be."""


@dataclass(frozen=True)
class StoryMetadata:
    """What a person says about a story when it is taken in."""

    title: str | None = None
    collection: str | None = None
    place: Place = field(default_factory=Place)
    recorded_on: str | None = None
    language_hint: str | None = None
    storyteller: str | None = None
    """None means the storyteller stays anonymous."""
    description: str | None = None
    visibility: str = "public"
    requested_visibility: str | None = None
    """What the teller asked for while the story waits for a moderator (it stays private)."""
    embargo_until: str | None = None
    """ISO date before which only the story's moderators see it."""
    storyteller_naming: str = "full"
    """How the storyteller is shown: "full", "first" (first name) or "anonymous"."""
    exportable: bool = True
    """Whether the story may appear in exports and collection downloads."""

    def validated(self) -> StoryMetadata:
        """The same, once its recording date is a year, month or day of the calendar, not
        after today, and its language a code (then in lower case); else MediaError."""
        if self.recorded_on:
            found = _RECORDED.fullmatch(self.recorded_on)
            if not found:
                raise MediaError(said("the recording date must look like 2026, 2026-03 or 2026-03-14"))
            try:
                datetime.date(*(int(part or 1) for part in found.groups()))
            except ValueError:
                raise MediaError(said("{date} is not a date in the calendar", date=self.recorded_on)) from None
            # tomorrow: somewhere east of this server it may be already
            if self.recorded_on > (datetime.date.today() + datetime.timedelta(days=1)).isoformat():
                raise MediaError(said("{date} is after today: give the date it was recorded",
                                      date=self.recorded_on))
        language = self.language_hint.lower() if self.language_hint else None
        if language and not _LANGUAGE.fullmatch(language):
            raise MediaError(said("the language must be a code such as de, fr or pl"))
        # a community or collection is moderated and exported by its name: written one way
        place = self.place
        return replace(self, language_hint=language, collection=_named(self.collection), title=_line(self.title),
                       storyteller=_line(self.storyteller), description=_printed(self.description, keep="\n"),
                       place=Place(_named(place.community), _printed(place.region), _printed(place.country)))


def _named(name: str | None) -> str | None:
    """A community or collection as roles name them (``accounts._typed``): NFC, single spaces."""
    return _line(" ".join(as_kept(name).split())) if name else None


def _line(text: str | None) -> str | None:
    """A title or a name as the web's forms take it: printable, at most LINE_MAX
    characters, None when nothing is left (a title then comes from the file's name)."""
    return " ".join((_printed(text) or "").split())[:LINE_MAX] or None


def _printed(text: str | None, keep: str = "") -> str | None:
    # anyone may upload a story, and its title is printed on its keepers' terminals
    return printed(text, keep) if text else text


@dataclass(frozen=True)
class Story:
    id: int
    title: str
    collection: str | None
    place: Place
    recorded_on: str | None
    language_hint: str | None
    language: str | None
    language_probability: float | None
    storyteller: str | None
    """As the storyteller asked to be named (None: anonymous); never more than that."""
    description: str | None
    visibility: str
    duration_s: float | None
    created_at: str
    requested_visibility: str | None = None
    embargo_until: str | None = None
    storyteller_naming: str = "full"
    exportable: bool = True
    declined: bool = False
    languages: tuple[str, ...] = ()
    """Every language spoken in it (people switch mid-story), the main one (``language``) first."""
    review_state: str = "draft"
    """How far people have checked its transcript: "draft" (the machine's), "corrected",
    "reviewed" or "published"; apart from ``state``, which decides who may see it."""

    @property
    def state(self) -> str:
        """Where the story stands: "waiting" for a moderator, "declined", or "published"."""
        if self.requested_visibility is not None:
            return "waiting"
        return "declined" if self.declined else "published"


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float | None = None


@dataclass(frozen=True)
class Segment:
    id: int
    idx: int
    start: float
    end: float
    text: str
    text_en: str | None
    words: tuple[Word, ...] = ()
    language: str | None = None
    """The language spoken in this segment; the story's for segments stored before
    languages were told apart per segment."""
    low_confidence: bool = False
    """The model was unsure here: a volunteer should listen."""
    speaker: str | None = None
    """Who speaks here, as a label ("S1"); the story's speakers name the labels."""
    text_en_stale: bool = False
    """The text was corrected after the English was made: the English is out of date."""


@dataclass(frozen=True)
class Job:
    id: int
    story_id: int
    state: str
    stage: str | None
    progress: float
    message: str | None
    attempts: int
    worker: str | None
    heartbeat_at: float | None


@dataclass(frozen=True)
class MediaFile:
    role: str
    sha256: str
    path: str
    container: str | None
    codec: str | None
    has_video: bool
    size_bytes: int
    duration_s: float | None
    original_filename: str | None


@dataclass(frozen=True)
class GpsPoint:
    """A place named at an index point (OHMS's ``gpspoints``)."""

    latitude: float
    longitude: float
    label: str = ""
    zoom: int = 17


@dataclass(frozen=True)
class IndexPoint:
    """A titled passage of a story, as oral historians index interviews (OHMS's ``point``).

    The archive stores those its volunteers and moderators write (``archive.index_points``);
    exports and imports carry them in the archival formats.
    """

    time: float
    """Where the passage starts, in seconds."""
    title: str
    partial_transcript: str = ""
    synopsis: str = ""
    keywords: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    gps: tuple[GpsPoint, ...] = ()
    place: str = ""
    """A place the passage is about, in words (``gps`` holds coordinates where known)."""
    themes: tuple[str, ...] = ()
    """Ids of the vocabulary's themes (``subjects`` holds the words an export shows)."""
    id: int | None = None
    """The archive's number for a stored point; None for one read from a file."""
    who: str = ""
    """Who wrote it, as the audit log names them."""
    updated_at: str = ""
