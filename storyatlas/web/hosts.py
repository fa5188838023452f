"""Answer only to the host names the archive is known by (the ``allowed_hosts`` setting).

Without this check a web page elsewhere could point a name it controls at this machine
(DNS rebinding) and read the archive through a visitor's browser as if it were its own site.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette._utils import parse_host_header
from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from storyatlas.errors import said
from storyatlas.web.i18n import Translator, request_language, sentence


class AllowedHosts(TrustedHostMiddleware):
    """Starlette's TrustedHostMiddleware, with IPv6 addresses allowed with or without their
    brackets and a refusal (400) that says what to do."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        hosts = [*allowed_hosts]
        # a Host header carries an IPv6 address in brackets: [::1]:8000
        hosts += [f"[{h}]" for h in allowed_hosts if ":" in h and not h.startswith("[")]
        super().__init__(app, allowed_hosts=hosts, www_redirect=False)

    def allows(self, host: str) -> bool:
        host = host.lower()
        return self.allow_any or any(
            host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
            for pattern in self.allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allow_any or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        parsed = parse_host_header(Headers(scope=scope).get("host"))
        if parsed is not None and self.allows(parsed.host):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        # before the language middleware: a resident given the wrong address reads it in their language
        t = Translator(request_language(Request(scope)))
        message = t.said(said("this archive does not answer to the host name {host!r}; open it by the address its "
                              "keepers gave, or ask them to add the name to STORYATLAS_ALLOWED_HOSTS", host=parsed.host)
                         if parsed is not None else
                         said("this archive does not answer to a missing or malformed host name; open it by the "
                              "address its keepers gave, or ask them to add the name to STORYATLAS_ALLOWED_HOSTS"))
        if scope["path"].startswith("/api/") or scope["path"] == "/openapi.json":
            response = JSONResponse({"error": message, "status": 400}, status_code=400)
        else:
            response = PlainTextResponse(sentence(message), status_code=400)
        await response(scope, receive, send)
