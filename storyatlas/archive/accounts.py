"""People, their roles, signing in, and sessions.

- Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's low-memory
  profile), their accents written one way (NFC, as RFC 8265 asks), and must be at least
  ``MIN_PASSWORD`` characters long.
- No two people's names look alike (case, full-width or look-alike letters, characters
  that show nothing), and none is a name the audit log gives the archive's own tools.
- Signing in is rate-limited per name and per address: after ``NAME_LIMIT`` failures
  for a name, or ``ADDRESS_LIMIT`` from an address, within ``FAILURE_WINDOW_S``, every
  attempt is refused (the right password too) until the oldest of them is older than
  the window. An attempt is counted *before* its password is checked, so parallel
  guesses cannot slip past the limit; a success forgives the name's failures.
- A session is a random token (the cookie) of which the archive keeps only the
  SHA-256, so a copy of the database gives no working cookie. It lasts ``IDLE_S``
  (12 hours) after its last use, and never more than ``ABSOLUTE_S`` (7 days) after
  signing in. Roles are read afresh on every use, so a change applies at once; removing
  a person, changing their roles or their password also ends their sessions.
- Changing people takes a ``Viewer`` who must be an admin (the CLI acts as the archive
  keeper, an admin), and every change is written to the audit log in its transaction.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
import secrets
import sqlite3
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storyatlas.archive import audit
from storyatlas.archive.policy import COMMUNITY_ROLES, ROLES, Viewer
from storyatlas.errors import (
    AccessDenied,
    AccountError,
    ConfigurationError,
    Named,
    NotFound,
    SignInRefused,
    named,
    said,
)
from storyatlas.text import as_kept

if TYPE_CHECKING:
    from storyatlas.archive import Archive

MIN_PASSWORD = 10
# far above any real password; bounds the work an attacker can ask of the hasher
MAX_PASSWORD = 1024
MAX_NAME = 64
IDLE_S = 12 * 3600
ABSOLUTE_S = 7 * 86400
# a session's expiry moves forward at most this often, so reading pages is not a write each time
SLIDE_EVERY_S = 300
FAILURE_WINDOW_S = 15 * 60
NAME_LIMIT = 5
ADDRESS_LIMIT = 20

Role = tuple[str, "str | None"]
_hasher = PasswordHasher()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    created_at: str
    roles: tuple[tuple[str, str | None], ...]
    """(role, community) pairs; the community is None for archive-wide roles."""

    def roles_text(self) -> str:
        return roles_text(self.roles)

    def role_names(self) -> set[str]:
        return {role for role, _ in self.roles}

    def communities(self, role: str) -> list[str]:
        """The communities (or collections) this person holds ``role`` for."""
        return [community for r, community in self.roles if r == role and community]


def roles_text(roles: Iterable[Role]) -> str:
    """``admin, moderator of Zgorzelec`` (or ``no role``), for lists and the audit log."""
    parts = [f"{role} of {community}" if community else role for role, community in roles]
    return ", ".join(parts) or "no role"


def _named_roles(roles: Iterable[Role]) -> Named:
    """Roles in an audit entry: in English as ``roles_text``, and named in the reader's language."""
    pairs = [(role, community) for role, community in roles]
    return named("roles", pairs, roles_text(pairs))


# validation ----------------------------------------------------------------------

def _typed(name: str | None) -> str:
    """A name as typed, its spaces tidied and its accents written one way (NFC): "Zoë"
    typed with a combining diaeresis is the same person as "Zoë"."""
    return as_kept(" ".join((name or "").split()))


# Two names that differ only in these read the same in every list and in the audit log:
# characters that show nothing, and letters of other alphabets drawn like Latin ones
# (casefolded: "А" is "а"). NFKC already folds full-width and mathematical letters.
_BLANK = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2800\u3164\ufe00-\ufe0f\uffa0"
                    "\U000e0100-\U000e01ef]")
_LOOKALIKE = str.maketrans("аԁеһіјӏорԛѕԝхусвкмнт" "αβεζηικμνορτυχ",
                           "adehijlopqswxycbkmht" "abezhikmnoptyx")


def _likeness(name: str) -> str:
    """What a name looks like: two people whose names look alike cannot be told apart."""
    folded = unicodedata.normalize("NFKC", _typed(name)).casefold()
    return " ".join(_BLANK.sub("", folded).translate(_LOOKALIKE).split())


# how the audit log names the archive's own tools and its visitors (``Viewer.label``, and the
# command line's ``cli:<system user>``): a person of that name passed for them there
_NOT_PEOPLE = ("anonymous", "storyteller (private link)", "(no such person)", "archive keeper", "worker", "tagger",
               "storyatlas_admin_password")


def _clean_name(name: str) -> str:
    name = _typed(name)
    likeness = _likeness(name)
    if not likeness:  # nothing but characters that show nothing
        raise AccountError(said("a person needs a name"))
    if len(name) > MAX_NAME or not name.isprintable():
        raise AccountError(said("a name is at most {count} printable characters: choose a shorter one", count=MAX_NAME))
    if likeness in _NOT_PEOPLE or likeness.startswith("cli:"):
        raise AccountError(said("the audit log names the archive's own tools {name!r}: choose another name",
                                name=name))
    return name


def _hash(password: str) -> str:
    # accents typed either way are one password (RFC 8265): keyboards and systems differ
    return _hasher.hash(as_kept(password))


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(said("a password needs at least {count} characters: "
                                "a few unrelated words make a good one", count=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise AccountError(said("a password is at most {count} characters", count=MAX_PASSWORD))


def _clean_roles(roles: Iterable[Role]) -> list[tuple[str, str]]:
    """Checked, de-duplicated (role, community) pairs, community '' for archive-wide roles."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for role, community in roles:
        role = (role or "").strip().lower()
        if role not in ROLES:
            raise AccountError(said("unknown role {role!r}: choose from {roles}", role=role, roles=", ".join(ROLES)))
        community = _typed(community)  # compared with the stories' places, written the same way
        if not community.isprintable():  # an escape would work on the keeper's terminal (`users list`)
            raise AccountError(said("a community name is written in printable characters only: type it again"))
        if role in COMMUNITY_ROLES and not community:
            raise AccountError(said("the {role} role is held for a community or collection: name it", role=role))
        if role not in COMMUNITY_ROLES and community:
            *others, last = COMMUNITY_ROLES
            raise AccountError(said("the {role} role is for the whole archive, not for {community!r}: "
                                    "only {roles} and {last_role} take a community", role=role,
                                    community=community, roles=" and ".join(others), last_role=last))
        if len(community) > 200:
            raise AccountError(said("a community name is at most {count} characters", count=200))
        found.setdefault((role, community.casefold()), (role, community))
    return sorted(found.values())


def _require_admin(by: Viewer) -> None:
    if not isinstance(by, Viewer) or not by.is_admin:
        raise AccessDenied(said("only the archive's admins may change people and roles: sign in as an admin"))


# people ----------------------------------------------------------------------------

def _find(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    """The person of this name however it is typed: spaces, accents written either way,
    upper or lower case in any script (the column's NOCASE folds only ASCII letters, so
    "ZOË" and "Zoë" were two people)."""
    typed = _typed(name)
    row = conn.execute("SELECT * FROM users WHERE name = ?", (typed,)).fetchone()
    if row is None:
        key = typed.casefold()
        row = next((r for r in conn.execute("SELECT * FROM users") if _typed(r["name"]).casefold() == key), None)
    return row


def _user(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    row = _find(conn, name)
    if row is None:
        raise NotFound(said("there is no person named {name!r}: `storyatlas users list` lists them", name=name))
    return row


def _roles(conn: sqlite3.Connection, user_id: int) -> tuple[tuple[str, str | None], ...]:
    rows = conn.execute("SELECT role, community FROM user_roles WHERE user_id = ? ORDER BY role, community",
                        (user_id,)).fetchall()
    return tuple((r["role"], r["community"] or None) for r in rows)


def _insert_roles(conn: sqlite3.Connection, user_id: int, roles: list[tuple[str, str]]) -> None:
    conn.executemany("INSERT INTO user_roles (user_id, role, community) VALUES (?, ?, ?)",
                     [(user_id, role, community) for role, community in roles])


def _refuse_losing_last_admin(conn: sqlite3.Connection, user_id: int, name: str) -> None:
    others = conn.execute("SELECT count(*) FROM user_roles WHERE role = 'admin' AND user_id != ?",
                          (user_id,)).fetchone()[0]
    is_admin = conn.execute("SELECT 1 FROM user_roles WHERE role = 'admin' AND user_id = ?",
                            (user_id,)).fetchone()
    if is_admin and not others:
        # without an admin nobody could manage people from the web any more
        raise AccountError(said("{name} is the archive's last admin: make someone else an admin first", name=name))


def add_user(archive: Archive, name: str, password: str, roles: Iterable[Role], by: Viewer) -> int:
    """Add a person with these roles; returns their id."""
    _require_admin(by)
    name, cleaned = _clean_name(name), _clean_roles(roles)
    _check_password(password)
    hashed = _hash(password)  # slow on purpose: done before the write lock is taken
    with archive.transaction() as c:
        likeness = _likeness(name)
        taken = _find(c, name) or next((r for r in c.execute("SELECT name FROM users")
                                        if _likeness(r["name"]) == likeness), None)
        if taken:
            raise AccountError(said("there is already a person named {name!r}: choose another name, "
                                    "or change their roles", name=taken["name"]))
        user_id = c.execute("INSERT INTO users (name, password_hash) VALUES (?, ?)", (name, hashed)).lastrowid
        _insert_roles(c, user_id, cleaned)
        audit.record(c, by, "user added", detail=said("{name}: {roles}", name=name, roles=_named_roles(cleaned)))
    return user_id


def remove_user(archive: Archive, name: str, by: Viewer) -> str:
    """Remove a person; their roles and sessions go with them. Returns the name as stored."""
    _require_admin(by)
    with archive.transaction() as c:
        row = _user(c, name)
        _refuse_losing_last_admin(c, row["id"], row["name"])
        c.execute("DELETE FROM users WHERE id = ?", (row["id"],))  # cascades to roles and sessions
        audit.record(c, by, "user removed", detail=row["name"])
    return row["name"]


def set_roles(archive: Archive, name: str, roles: Iterable[Role], by: Viewer) -> None:
    """Replace a person's roles, and end their sessions so they sign in again under them."""
    _require_admin(by)
    cleaned = _clean_roles(roles)
    with archive.transaction() as c:
        row = _user(c, name)
        old = _roles(c, row["id"])
        if not any(role == "admin" for role, _ in cleaned):
            _refuse_losing_last_admin(c, row["id"], row["name"])
        c.execute("DELETE FROM user_roles WHERE user_id = ?", (row["id"],))
        _insert_roles(c, row["id"], cleaned)
        c.execute("DELETE FROM sessions WHERE user_id = ?", (row["id"],))
        audit.record(c, by, "roles changed", detail=said("{name}: {before} -> {after}", name=row["name"],
                                                              before=_named_roles(old), after=_named_roles(cleaned)))


def set_password(archive: Archive, name: str, password: str, by: Viewer) -> None:
    """Give a person a new password, and end their sessions."""
    _require_admin(by)
    _check_password(password)
    hashed = _hash(password)
    with archive.transaction() as c:
        row = _user(c, name)
        c.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hashed, row["id"]))
        c.execute("DELETE FROM sessions WHERE user_id = ?", (row["id"],))
        audit.record(c, by, "password changed", detail=row["name"])


def sign_out_everywhere(archive: Archive, name: str, by: Viewer) -> int:
    """End every session of a person (a lost phone, a shared computer); returns how many."""
    _require_admin(by)
    with archive.transaction() as c:
        row = _user(c, name)
        ended = c.execute("DELETE FROM sessions WHERE user_id = ?", (row["id"],)).rowcount
        audit.record(c, by, "sessions ended", detail=f"{row['name']}: {ended}")
    return ended


def list_users(archive: Archive, by: Viewer) -> list[Person]:
    """Everyone, by name; admins only."""
    _require_admin(by)
    rows = archive.conn.execute("SELECT id, name, created_at FROM users ORDER BY name COLLATE NOCASE").fetchall()
    return [Person(r["id"], r["name"], r["created_at"], _roles(archive.conn, r["id"])) for r in rows]


def count_users(archive: Archive) -> int:
    return archive.conn.execute("SELECT count(*) FROM users").fetchone()[0]


def ensure_first_admin(archive: Archive, password: str, name: str = "admin",
                       source: str = "STORYATLAS_ADMIN_PASSWORD") -> bool:
    """Create the admin ``name`` with ``password`` if the archive has nobody at all.

    Returns whether it was created. Safe when several server processes start at once:
    the check and the insert are one transaction.
    """
    if not password or count_users(archive):
        return False
    if len(password) < MIN_PASSWORD:
        raise ConfigurationError(said("{source} must be at least {count} characters long: choose a longer one",
                                      source=source, count=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:  # a sign-in refuses it unhashed: the admin could never sign in
        raise ConfigurationError(said("{source} must be at most {count} characters long: choose a shorter one",
                                      source=source, count=MAX_PASSWORD))
    hashed = _hash(password)
    with archive.transaction() as c:
        if c.execute("SELECT count(*) FROM users").fetchone()[0]:
            return False  # another process was first
        user_id = c.execute("INSERT INTO users (name, password_hash) VALUES (?, ?)", (name, hashed)).lastrowid
        _insert_roles(c, user_id, [("admin", "")])
        audit.record(c, source, "user added",
                     detail=said("{name}: {roles}", name=name, roles=_named_roles([("admin", "")])))
    return True


# signing in -----------------------------------------------------------------------

@functools.cache
def _dummy_hash() -> str:
    # checked against when the name is unknown, so the answer takes as long either way
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify_one(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _verify(hashed: str, password: str) -> str | None:
    """The form of ``password`` that ``hashed`` was made from: with its accents written one
    way (NFC), or as typed (a hash made before passwords were written one way), or None."""
    return next((p for p in dict.fromkeys((as_kept(password), password)) if _verify_one(hashed, p)), None)


def _wait(conn: sqlite3.Connection, key: str, limit: int, now: float) -> float:
    """Seconds until ``key`` has fewer than ``limit`` failures in the window (0: not blocked)."""
    rows = conn.execute("SELECT at FROM sign_in_failures WHERE key = ? AND at > ? ORDER BY at DESC LIMIT ?",
                        (key, now - FAILURE_WINDOW_S, limit)).fetchall()
    if len(rows) < limit:
        return 0.0
    return rows[-1][0] + FAILURE_WINDOW_S - now


def _too_many(wait: float, now: float, what: str) -> SignInRefused:
    at = time.strftime("%H:%M UTC", time.gmtime(now + wait))
    minutes = max(1, math.ceil(wait / 60))
    if minutes > 1:
        message = said("too many failed sign-ins {what}: try again in {minutes} minutes (after {at})",
                       what=what, minutes=minutes, at=at)
    else:
        message = said("too many failed sign-ins {what}: try again in 1 minute (after {at})", what=what, at=at)
    return SignInRefused(message, status=429, retry_after=math.ceil(wait))


def authenticate(archive: Archive, name: str, password: str, address: str | None,
                 now: float | None = None) -> Viewer:
    """The person signing in with this name and password, or ``SignInRefused``: status
    403 for a wrong name or password, 429 (with ``retry_after``) while rate-limited."""
    now = time.time() if now is None else now
    name = _typed(name)[:200]
    address = (address or "unknown")[:100]
    name_key, address_key = f"name:{name.casefold()}", f"address:{address}"
    with archive.transaction() as c:
        c.execute("DELETE FROM sign_in_failures WHERE at <= ?", (now - FAILURE_WINDOW_S,))
        # refused attempts are logged, not audited: a flood of them must not flood the audit log
        wait = _wait(c, name_key, NAME_LIMIT, now)
        if wait > 0:
            log.warning("sign-in as %r from %s refused: too many failures for the name", name, address)
            raise _too_many(wait, now, said("for this name"))
        wait = _wait(c, address_key, ADDRESS_LIMIT, now)
        if wait > 0:
            log.warning("sign-in as %r from %s refused: too many failures from the address", name, address)
            raise _too_many(wait, now, said("from this address"))
        # counted now, forgiven below on success: parallel guesses all see each other
        c.execute("INSERT INTO sign_in_failures (key, at) VALUES (?, ?)", (name_key, now))
        attempt = c.execute("INSERT INTO sign_in_failures (key, at) VALUES (?, ?)", (address_key, now)).lastrowid
    row = _find(archive.conn, name)
    password = password or ""
    matched = None if len(password) > MAX_PASSWORD else _verify(row["password_hash"] if row else _dummy_hash(),
                                                                 password)
    if not (row and matched is not None):
        # a name no one has is kept out of the log: it may be a password typed in the wrong box
        audit.record(archive, row["name"] if row else "(no such person)", "sign-in failed",
                     detail=said("from {address}", address=address) if row
                     else said("from {address}; no such person", address=address))
        raise SignInRefused(said("wrong name or password: check both and try again"))
    with archive.transaction() as c:
        c.execute("DELETE FROM sign_in_failures WHERE key = ? OR rowid = ?", (name_key, attempt))
        if _hasher.check_needs_rehash(row["password_hash"]) or matched != as_kept(password):
            c.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_hash(password), row["id"]))
        audit.record(c, row["name"], "sign-in", detail=said("from {address}", address=address))
    return _viewer(archive.conn, row["id"], row["name"])


def _viewer(conn: sqlite3.Connection, user_id: int, name: str) -> Viewer:
    roles = _roles(conn, user_id)
    moderates = {community for role, community in roles if role == "moderator" and community}
    members = {community for role, community in roles if role == "member" and community}
    return Viewer(name=name, roles=frozenset(role for role, _ in roles), member_of=members | moderates,
                  moderates=moderates, user_id=user_id)


# sessions --------------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(archive: Archive, user_id: int, address: str | None, now: float | None = None) -> str:
    """A new session for this person; returns the token for the cookie (shown only now)."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    with archive.transaction() as c:
        c.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))  # tidy up old ones
        c.execute("INSERT INTO sessions (id, user_id, created_at, expires_at, address) VALUES (?, ?, ?, ?, ?)",
                  (_digest(token), user_id, now, now + IDLE_S, (address or "")[:100] or None))
    return token


def viewer_for_session(archive: Archive, token: str | None, now: float | None = None) -> Viewer:
    """Who holds this session token: anonymous when it is missing, unknown (another
    archive's, ended, revoked) or expired. Extends the session's idle expiry."""
    if not token or len(token) > 200:
        return Viewer()
    now = time.time() if now is None else now
    digest = _digest(token)
    row = archive.conn.execute(
        "SELECT s.user_id, s.created_at, s.expires_at, u.name FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.id = ?", (digest,)).fetchone()
    if row is None or row["expires_at"] <= now or row["created_at"] <= now - ABSOLUTE_S:
        return Viewer()
    expires = min(now + IDLE_S, row["created_at"] + ABSOLUTE_S)
    if expires - row["expires_at"] > SLIDE_EVERY_S:
        # made on the web server's event loop: waiting there for another writer (up to the
        # connection's busy timeout) held up every request, so it slides at a later one
        waits = archive.conn.execute("PRAGMA busy_timeout").fetchone()[0]
        archive.conn.execute("PRAGMA busy_timeout = 0")
        try:
            archive.conn.execute("UPDATE sessions SET expires_at = ? WHERE id = ?", (expires, digest))
        except sqlite3.OperationalError:  # the archive is busy writing
            pass
        finally:
            archive.conn.execute(f"PRAGMA busy_timeout = {int(waits)}")
    return _viewer(archive.conn, row["user_id"], row["name"])


def end_session(archive: Archive, token: str | None) -> None:
    """Sign out: the session ends on the server, whatever the browser keeps."""
    if not token or len(token) > 200:
        return
    with archive.transaction() as c:
        row = c.execute("SELECT u.name FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?",
                        (_digest(token),)).fetchone()
        if row is None:
            return
        c.execute("DELETE FROM sessions WHERE id = ?", (_digest(token),))
        audit.record(c, row["name"], "sign-out")


def revoke_sessions(archive: Archive, user_id: int) -> int:
    """End every session of this person; returns how many there were."""
    return archive.conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,)).rowcount
