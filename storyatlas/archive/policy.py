"""Who may see what: the one module that decides.

Every read of a story, or of anything made from one, takes a ``Viewer`` and no
default, so forgetting it is an error, never "everything". The decision is one SQL
condition over ``stories`` (``story_condition``), used by every query that reads
stories or what hangs off them, so a list, a count, a facet and a single page can
never disagree.

The rules:

- the archive's admins see every story;
- a moderator sees every story of the communities (or collections) they moderate,
  whatever its state: waiting for review, declined, private, embargoed;
- the storyteller, by their private link, sees their own story in every state;
- anyone else sees a story only once it is published (a new story waits, private, for
  a moderator; one declined stays with its moderators) and past its embargo date, and
  then: a public story; a community story when they are a member of its community; a
  research story when they are a researcher. A published story whose teller asks for
  everyone keeps the audience it has until a moderator decides; one asked to change to
  another audience (community to researchers) is heard by neither meanwhile.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

ROLES = ("admin", "moderator", "volunteer", "researcher", "member")
# roles that only make sense for named communities (or collections)
COMMUNITY_ROLES = ("moderator", "member")


def _names(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().casefold() for v in values if v and v.strip())


@dataclass(frozen=True)
class Viewer:
    """Who is looking: anonymous (no name), or a person with roles and communities."""

    name: str | None = None
    roles: frozenset[str] = frozenset()
    member_of: frozenset[str] = field(default_factory=frozenset)
    """Communities (or collections) whose "community" stories this person may hear."""
    moderates: frozenset[str] = field(default_factory=frozenset)
    """Communities (or collections) this person moderates."""
    user_id: int | None = None
    tells: frozenset[int] = frozenset()
    """Stories this viewer told, opened by their private link."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))
        object.__setattr__(self, "member_of", _names(self.member_of))
        object.__setattr__(self, "moderates", _names(self.moderates))
        object.__setattr__(self, "tells", frozenset(int(i) for i in self.tells))
        unknown = self.roles - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}: choose from {', '.join(ROLES)}")

    @classmethod
    def anonymous(cls) -> Viewer:
        return cls()

    @classmethod
    def keeper(cls, name: str = "archive keeper") -> Viewer:
        """The archive's own tools (the command line, the worker): an admin."""
        return cls(name=name, roles=frozenset({"admin"}))

    @classmethod
    def teller(cls, story_id: int) -> Viewer:
        """The storyteller of one story, come by their private link."""
        return cls(tells=frozenset({story_id}))

    @property
    def signed_in(self) -> bool:
        return self.name is not None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_researcher(self) -> bool:
        return "researcher" in self.roles

    @property
    def is_moderator(self) -> bool:
        """Moderates something (or is an admin, who moderates everything)."""
        return self.is_admin or bool(self.moderates)

    def label(self) -> str:
        """How this viewer is named in the audit log."""
        if self.name:
            return self.name
        return "storyteller (private link)" if self.tells else "anonymous"


def _require(viewer: object) -> Viewer:
    if not isinstance(viewer, Viewer):
        # fail closed: a caller that forgot the viewer gets an error, never every story
        raise TypeError(f"a Viewer is required to read stories, not {viewer!r}")
    return viewer


def today() -> str:
    return datetime.date.today().isoformat()


def _in(column: str, values: frozenset[str]) -> tuple[str, list]:
    if not values:
        return "0", []
    return f"casefold({column}) IN ({','.join('?' * len(values))})", sorted(values)


def moderated_condition(viewer: Viewer, alias: str = "st") -> tuple[str, list]:
    """SQL: the stories this viewer moderates (every story for an admin)."""
    viewer = _require(viewer)
    if viewer.is_admin:
        return "1", []
    community, p1 = _in(f"{alias}.community", viewer.moderates)
    collection, p2 = _in(f"{alias}.collection", viewer.moderates)
    return f"({community} OR {collection})", p1 + p2


def story_condition(viewer: Viewer, alias: str = "st") -> tuple[str, list]:
    """SQL (and its parameters) that keeps the stories ``viewer`` may see today (embargoes);
    ``alias`` is the name of ``stories`` in the query."""
    viewer = _require(viewer)
    if viewer.is_admin:
        return "1", []
    moderated, params = moderated_condition(viewer, alias)
    if viewer.tells:
        moderated = f"({moderated} OR {alias}.id IN ({','.join('?' * len(viewer.tells))}))"
        params = [*params, *sorted(viewer.tells)]
    allowed = [f"{alias}.visibility = 'public'"]
    community, p1 = _in(f"{alias}.community", viewer.member_of)
    collection, p2 = _in(f"{alias}.collection", viewer.member_of)
    if p1:
        allowed.append(f"({alias}.visibility = 'community' AND ({community} OR {collection}))")
    if viewer.is_researcher:
        allowed.append(f"{alias}.visibility = 'researchers'")
    published = (f"{alias}.declined = 0 AND coalesce({alias}.requested_visibility, 'public') = 'public' "
                 f"AND ({alias}.embargo_until IS NULL OR {alias}.embargo_until <= ?)")
    return (f"({moderated} OR ({published} AND ({' OR '.join(allowed)})))",
            [*params, today(), *p1, *p2])


def may_moderate(viewer: Viewer, community: str | None, collection: str | None) -> bool:
    """Whether ``viewer`` moderates a story of this community and collection."""
    viewer = _require(viewer)
    if viewer.is_admin:
        return True
    return bool({(community or "").casefold(), (collection or "").casefold()} & viewer.moderates)


def shown_storyteller(name: str | None, naming: str) -> str | None:
    """The storyteller as they asked to be named: in full, by first name, or not at all."""
    if not name or naming == "anonymous":
        return None
    if naming == "first":
        return name.split()[0]
    return name
