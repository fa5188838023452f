"""Headers every response carries, and the guards on requests that change things."""

from __future__ import annotations

import hmac
import secrets
from typing import Literal
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storyatlas.errors import UploadError, said

CSRF_COOKIE = "csrf"
CSRF_FIELD = "csrf_token"
# A page's form is bounded by its size in all, not by its fields: an index point's sends one
# field per theme ticked, and moderators may add themes. Starlette's own bound on fields stays.
FORM_BYTES, FORM_FIELDS = 1024 * 1024, 1000

# the pages use only their own scripts and styles, never inline ones
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"microphone=(self), camera=(), geolocation=()"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [h for h in HEADERS if h[0] not in names]
            await send(message)

        await self.app(scope, receive, with_headers)


def same_origin(headers, host: str) -> bool:
    """Browsers send Origin on every cross-site POST; refuse one from another site.

    Programs (curl, scripts) send no Origin and carry no cookies, so they pass.
    """
    origin = headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == host


def refuse_other_sites(request: Request, what: Literal["form", "request"] = "form") -> None:
    if not same_origin(request.headers, request.headers.get("host", "")):
        raise UploadError(said("this request came from another site and was refused") if what == "request"
                          else said("this form came from another site and was refused"), status=403)


def page_token(request: Request) -> str:
    """The CSRF token a page's forms carry: the browser's, or a new one (``keep_token``)."""
    return request.cookies.get(CSRF_COOKIE) or new_token()


def keep_token(request: Request, response: Response, token: str) -> None:
    """The page's CSRF token, in its cookie. Lax, not Strict: a page opened from a link on
    another site (an email) came without it, made a new one, and every form open in
    another tab was refused; the Origin check and the token keep other sites' posts out."""
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, path="/", httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")


def forget_token(request: Request, response: Response) -> None:
    """At sign-in and sign-out: a token read before (by anyone at that browser) is no
    longer the one the pages after carry."""
    response.delete_cookie(CSRF_COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https")


def refuse_expired_form(request: Request, fields: dict[str, str]) -> None:
    """A form must carry the CSRF token of its page (the cookie's)."""
    if not tokens_match(request.cookies.get(CSRF_COOKIE), fields.get(CSRF_FIELD)):
        raise UploadError(said("the form had expired; please send it again"), status=403)


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a small form from this site, with its page's CSRF token; bounded,
    so a request with thousands of large fields is refused rather than held."""
    refuse_other_sites(request)
    too_large = UploadError(said("the form is larger than this archive's pages send (at most {size} KB and "
                                 "{fields} fields, and no files); reload the page and send it again",
                                 size=FORM_BYTES // 1024, fields=FORM_FIELDS), status=413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_BYTES:
            raise too_large

    async def replay() -> Message:
        return {"type": "http.request", "body": bytes(body), "more_body": False}
    try:
        form = await Request(request.scope, replay).form(max_files=0, max_fields=FORM_FIELDS,
                                                         max_part_size=FORM_BYTES)
    except HTTPException as e:  # Starlette's refusal, in its own words: a form past a limit, or garbled
        if "too many" in str(e.detail).lower():  # fields: the size was bounded above
            raise too_large from e
        raise UploadError(said("the form could not be read (it is not as this archive's pages send it): reload "
                               "the page and send it again"), status=400) from e
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    refuse_expired_form(request, fields)
    return fields


def new_token() -> str:
    return secrets.token_urlsafe(24)


def tokens_match(cookie: str | None, sent: str | None) -> bool:
    return bool(cookie and sent and hmac.compare_digest(cookie, sent))
