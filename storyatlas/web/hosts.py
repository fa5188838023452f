"""Answer only to the host names the archive is known by (the ``allowed_hosts`` setting).

Without this check a web page elsewhere could point a name it controls at this machine
(DNS rebinding) and read the archive through a visitor's browser as if it were its own site.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette._utils import parse_host_header
from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send


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
        named = f"the host name {parsed.host!r}" if parsed is not None else "a missing or malformed host name"
        message = (f"this archive does not answer to {named}; open it by the address its keepers gave, "
                   "or ask them to add the name to STORYATLAS_ALLOWED_HOSTS")
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["path"].startswith("/api/") or scope["path"] == "/openapi.json":
            response = JSONResponse({"error": message, "status": 400}, status_code=400)
        else:
            response = PlainTextResponse(message, status_code=400)
        await response(scope, receive, send)
