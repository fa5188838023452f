"""Signing in and out, and the admins' pages for people, roles and the audit log.

``viewer(request)`` is who is asking: every page and API answer that shows stories
takes it. The session cookie holds a random token; this archive keeps only its SHA-256
(see ``archive.accounts``), so a cookie from another installation, or one signed out,
revoked or expired, is simply anonymous.
"""

from __future__ import annotations

import csv
import io
import logging
from urllib.parse import quote, urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from storyatlas.archive import Archive, accounts, audit
from storyatlas.archive.policy import COMMUNITY_ROLES, ROLES, Viewer
from storyatlas.errors import AccessDenied, AccountError, NotFound, SignInRefused, reason, said
from storyatlas.web import reading
from storyatlas.web.security import forget_token, read_form

log = logging.getLogger(__name__)

SESSION_COOKIE = "session"
AUDIT_PAGE = 100
# roles held for the whole archive, as checkboxes; the community roles take a list of names
ARCHIVE_ROLES = tuple(r for r in ROLES if r not in COMMUNITY_ROLES)
COMMUNITY_FIELDS = {"moderator": "moderates", "member": "member_of"}


def viewer(request: Request) -> Viewer:
    """Who is asking: the holder of the request's session, or anonymous. Read once per
    request (roles fresh from the archive) and kept on ``request.state``."""
    found = getattr(request.state, "viewer", None)
    if found is None:
        found = accounts.viewer_for_session(request.app.state.archives.get(), request.cookies.get(SESSION_COOKIE))
        request.state.viewer = found
    return found


def setup(app: Starlette) -> None:
    """At app start: the first admin, from the settings, when the archive has nobody."""
    settings = app.state.settings
    if settings.admin_password:
        with Archive(settings.database) as archive:
            if accounts.ensure_first_admin(archive, settings.admin_password):
                log.warning("created the admin 'admin' from STORYATLAS_ADMIN_PASSWORD; sign in at /login "
                             "and add people at /admin/users")


def _render(request: Request, name: str, status: int = 200, **context) -> Response:
    from storyatlas.web.pages import render  # pages imports this module: not at import time

    return render(request, name, status=status, **context)


def local_path(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``/``: a sign-in never sends its
    visitor to another site (``//evil.example``, ``https://...``, ``/\\evil``)."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(ch) < 32 or ord(ch) == 127 for ch in target)):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _address(request: Request) -> str | None:
    # behind a reverse proxy uvicorn puts the client's address here (--forwarded-allow-ips)
    return request.client.host if request.client else None


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    # Lax: sent when following a link from elsewhere (so the visitor stays signed in),
    # never on another site's POST; Secure whenever the site is served over HTTPS
    response.set_cookie(SESSION_COOKIE, token, max_age=accounts.ABSOLUTE_S, path="/", httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")


def _sign_in(request: Request, name: str, password: str) -> str:
    """In a worker thread (Argon2 takes a tenth of a second): the new session's token."""
    archive = request.app.state.archives.get()
    signed_in = accounts.authenticate(archive, name, password, _address(request))
    accounts.end_session(archive, request.cookies.get(SESSION_COOKIE))  # never two at once in one browser
    return accounts.start_session(archive, signed_in.user_id, _address(request))


async def login(request: Request) -> Response:
    target = local_path(request.query_params.get("next"))
    if reading(request):
        if viewer(request).signed_in and request.query_params.get("next"):
            return RedirectResponse(target, status_code=303)
        return _render(request, "login.html", next=target, typed_name="", error=None)
    fields = await read_form(request)
    target = local_path(fields.get("next") or request.query_params.get("next"))
    name = fields.get("name", "")
    try:
        token = await run_in_threadpool(_sign_in, request, name, fields.get("password", ""))
    except SignInRefused as e:
        minutes = -(-(e.retry_after or 0) // 60)
        response = _render(request, "login.html", status=e.status, next=target, typed_name=name, error=e,
                           minutes=max(1, minutes))
        if e.retry_after:
            response.headers["retry-after"] = str(e.retry_after)
        return response
    response = RedirectResponse(target, status_code=303)
    _set_session_cookie(request, response, token)
    forget_token(request, response)
    return response


def _sign_out(request: Request) -> None:
    """In a worker thread, on its own connection: it waits for any other process writing."""
    accounts.end_session(request.app.state.archives.get(), request.cookies.get(SESSION_COOKIE))


async def logout(request: Request) -> Response:
    await read_form(request)
    await run_in_threadpool(_sign_out, request)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.url.scheme == "https")
    forget_token(request, response)
    return response


def _admin(request: Request) -> Viewer | Response:
    """The admin asking, or where to send the visitor: anonymous visitors of a page to
    the sign-in (and back), anyone else refused."""
    asking = viewer(request)
    if not asking.signed_in and reading(request):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    if not asking.is_admin:
        raise AccessDenied(said("only the archive's admins may see this page: sign in as an admin"))
    return asking


def roles_from_form(fields: dict[str, str]) -> list[tuple[str, str | None]]:
    """Checkboxes ``role_admin``... and comma-separated communities ``moderates``, ``member_of``
    (a name holding a comma in double quotes, as ``_Listed`` shows it)."""
    pairs: list[tuple[str, str | None]] = [(r, None) for r in ARCHIVE_ROLES if fields.get(f"role_{r}")]
    for role, field in COMMUNITY_FIELDS.items():
        text = " ".join(fields.get(field, "").splitlines())
        pairs += [(role, c.strip()) for c in next(csv.reader([text], skipinitialspace=True), []) if c.strip()]
    return pairs


def _quoted(community: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([community])
    return out.getvalue()


class _Listed(accounts.Person):
    """A person as the page's forms show them: the roles form lists communities separated by
    commas, so a collection such as "Floods, 1997" is quoted, or saving the form split it in two."""

    def communities(self, role: str) -> list[str]:
        return [_quoted(c) for c in super().communities(role)]


def _change(request: Request, asking: Viewer, fields: dict[str, str]) -> str:
    """Carry out the posted change; what to tell the admin (an error is raised)."""
    archive = request.app.state.archives.get()
    action, name = fields.get("action"), fields.get("name", "")
    if action == "add":
        if fields.get("password", "") != fields.get("password_again", ""):
            raise AccountError(said("the two passwords differ: type the same password twice"))
        accounts.add_user(archive, name, fields.get("password", ""), roles_from_form(fields), asking)
        return "added"
    if action == "remove":
        accounts.remove_user(archive, name, asking)
        return "removed"
    if action == "roles":
        accounts.set_roles(archive, name, roles_from_form(fields), asking)
        return "roles_changed"
    if action == "signout":
        accounts.sign_out_everywhere(archive, name, asking)
        return "signed_out"
    raise AccountError(said("unknown action: use the page's buttons"))


async def admin_users(request: Request) -> Response:
    asking = _admin(request)
    if isinstance(asking, Response):
        return asking
    done = error = None
    fields: dict[str, str] = {}
    if request.method == "POST":
        fields = await read_form(request)
        try:
            # hashing a new password takes a tenth of a second: off the event loop
            done = (await run_in_threadpool(_change, request, asking, fields), fields.get("name", "").strip())
        except (AccountError, NotFound) as e:
            error = reason(e)
    archive = request.app.state.archives.get()
    kept = {} if done else {k: v for k, v in fields.items() if "password" not in k and k != "csrf_token"}
    people = [_Listed(p.id, p.name, p.created_at, p.roles) for p in accounts.list_users(archive, asking)]
    return _render(request, "admin_users.html", status=422 if error else 200, people=people, done=done,
                   error=error, fields=kept, archive_roles=ARCHIVE_ROLES, min_password=accounts.MIN_PASSWORD,
                   kept_roles=[r for r in ARCHIVE_ROLES if kept.get(f"role_{r}")])


async def admin_audit(request: Request) -> Response:
    asking = _admin(request)
    if isinstance(asking, Response):
        return asking
    archive = request.app.state.archives.get()
    try:
        # a billion pages is past any archive's last; more made an offset past SQLite's integers
        page = min(max(1, int(request.query_params.get("page", "1"))), 10**9)
    except ValueError:
        page = 1
    total = audit.count(archive, asking)
    return _render(request, "admin_audit.html", entries=audit.entries(archive, asking, AUDIT_PAGE,
                                                                        (page - 1) * AUDIT_PAGE),
                   page=page, more=page * AUDIT_PAGE < total, total=total,
                   last_backup=audit.last(archive, asking, "backup made"))


routes = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/admin/users", admin_users, methods=["GET", "POST"]),
    Route("/admin/audit", admin_audit),
]
