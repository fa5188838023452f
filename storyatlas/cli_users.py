"""`storyatlas users ...` and `storyatlas audit`: people, roles and the audit log from the
command line. The command line acts as the archive keeper (an admin), named in the audit
log as ``cli:<the system user>``."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import click

from storyatlas.archive import Archive, accounts, audit as audit_log
from storyatlas.archive.policy import COMMUNITY_ROLES, ROLES
from storyatlas.cli_options import LIMIT, OFFSET, archive_option, keeper, opened
from storyatlas.errors import AccountError
from storyatlas.settings import load_settings


def _archive(archive: Path | None, make: bool = False) -> Archive:
    """The archive named; ``make``: made when it is not there (its first admin is added first)."""
    settings = load_settings({"archive": archive})
    return Archive(settings.database) if make else opened(settings)


def _roles(roles: tuple[str, ...], communities: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """`--role admin --role moderator --community A --community B` -> the (role, community) pairs:
    each community role is held for every --community given."""
    chosen = [r.lower() for r in roles]
    if communities and not any(r in COMMUNITY_ROLES for r in chosen):
        raise AccountError(f"--community is for the {' and '.join(COMMUNITY_ROLES)} roles: add --role moderator "
                           "or --role member, or leave out --community")
    pairs: list[tuple[str, str | None]] = []
    for role in dict.fromkeys(chosen):
        if role in COMMUNITY_ROLES:
            if not communities:
                raise AccountError(f"--role {role} is held for a community or collection: add --community NAME")
            pairs.extend((role, community) for community in communities)
        else:
            pairs.append((role, None))
    return pairs


def _password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            text = sys.stdin.read() if str(password_file) == "-" else password_file.read_text(encoding="utf-8")
        except OSError as e:
            raise AccountError(f"cannot read the password file {password_file}: {e.strerror}") from e
        # Notepad's "UTF-8" starts the file with a byte order mark, which is no part of the password
        text = text.removeprefix("\ufeff")
        return text.splitlines()[0] if text else ""  # the first line, without its line break
    if not sys.stdin.isatty():
        raise AccountError("no terminal to ask for the password on: pass --password-file FILE (or - for stdin)")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


_role_option = click.option("--role", "roles", multiple=True, type=click.Choice(ROLES, case_sensitive=False),
                            help="A role (repeat for several). moderator and member need --community.")
_community_option = click.option("--community", "communities", multiple=True, metavar="NAME",
                                 help="Community or collection the moderator/member roles are held for (repeatable).")
_password_option = click.option("--password-file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
                                help="Read the password from the first line of this file (- for stdin) "
                                     "instead of asking for it.")


@click.group()
def users() -> None:
    """People who sign in to the web archive, and their roles."""


@users.command(name="add")
@click.argument("name")
@_role_option
@_community_option
@_password_option
@archive_option
def add(name, roles, communities, password_file, archive) -> None:
    """Add a person. The first admin: `storyatlas users add NAME --role admin`."""
    pairs = _roles(roles, communities)
    password = _password(password_file)
    with _archive(archive, make=True) as a:
        accounts.add_user(a, name, password, pairs, keeper())
    click.echo(f"added {name} ({accounts.roles_text(pairs)})")


@users.command(name="list")
@archive_option
def list_command(archive) -> None:
    """Everyone who may sign in, with their roles."""
    with _archive(archive) as a:
        people = accounts.list_users(a, keeper())
    if not people:
        click.echo("nobody yet: `storyatlas users add NAME --role admin` adds the first admin")
    for person in people:
        click.echo(f"{person.name}\t{person.roles_text()}\t(since {person.created_at})")


@users.command()
@click.argument("name")
@archive_option
def remove(name, archive) -> None:
    """Remove a person; their sessions end at once."""
    with _archive(archive) as a:
        removed = accounts.remove_user(a, name, keeper())
    click.echo(f"removed {removed}")


@users.command(name="signout")
@click.argument("name")
@archive_option
def signout(name, archive) -> None:
    """End every session of a person, wherever they signed in."""
    with _archive(archive) as a:
        ended = accounts.sign_out_everywhere(a, name, keeper())
    click.echo(f"ended {ended} session(s) of {name}")


@users.command(name="roles")
@click.argument("name")
@_role_option
@_community_option
@archive_option
def roles_command(name, roles, communities, archive) -> None:
    """Replace a person's roles (none given: no role); their sessions end at once."""
    pairs = _roles(roles, communities)
    with _archive(archive) as a:
        accounts.set_roles(a, name, pairs, keeper())
    click.echo(f"{name} now has: {accounts.roles_text(pairs)}")


@users.command(name="password")
@click.argument("name")
@_password_option
@archive_option
def password_command(name, password_file, archive) -> None:
    """Give a person a new password; their sessions end at once."""
    password = _password(password_file)
    with _archive(archive) as a:
        accounts.set_password(a, name, password, keeper())
    click.echo(f"new password set for {name}")


@click.command()
@click.option("--limit", type=LIMIT, default=50, show_default=True, help="Entries to show, newest first.")
@click.option("--offset", type=OFFSET, default=0, help="Skip this many of the newest entries.")
@archive_option
def audit(limit, offset, archive) -> None:
    """The audit log: sign-ins, people and roles, consent, publication; newest first."""
    with _archive(archive) as a:
        entries = audit_log.entries(a, keeper(), limit, offset)
    if not entries:
        click.echo(f"the audit log has no entries past its newest {offset}" if offset else "the audit log is empty")
    for e in entries:
        story = f"story {e.story_id}" if e.story_id is not None else "-"
        click.echo("\t".join(map(_shown, (e.at, e.who, e.action, story, e.detail or ""))))


_HIDDEN = {"Cc", "Cf", "Zl", "Zp"}


def _shown(field: str) -> str:
    """A field of the log as one line of text: a control character anyone typed (a tab or
    a line break in an erasure's reason, a terminal's escape in a name tried at sign-in), or
    one that turns or hides text (a right-to-left override, a line separator), is written
    out, so no entry can pass for another or work on the terminal."""
    return "".join((f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}")
                   if unicodedata.category(c) in _HIDDEN else c for c in str(field))
